"""The store on a Chroma server (`chroma run`, started here on 127.0.0.1): the server going away is a clear
error naming its URL, nothing committed is lost, and the assistant recovers by itself when it is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Article, Assistant, Settings, StoreUnavailableError
from tests.helpers import ChromaServer

pytestmark = pytest.mark.slow

TEXT = (
    "Die Gemeinde Quellenau baut ein Museum für alte Schreibmaschinen. Das hat Bürgermeisterin Hella Voss am "
    "Dienstag angekündigt. Der Bau soll im Frühjahr beginnen und zwei Millionen Euro kosten."
)


def test_a_server_that_goes_away_is_a_clear_error_and_the_assistant_recovers(
    chroma_server: ChromaServer, tmp_path: Path, embeddings
) -> None:
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma_server.url)
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([Article(id="quellenau", text=TEXT, title="Quellenau", source="Landbote")])
    question = "Was baut die Gemeinde Quellenau?"
    assert assistant.ask(question).quotes[0].article_id == "quellenau"

    chroma_server.stop()
    with pytest.raises(StoreUnavailableError, match=f"Chroma server at {chroma_server.url}"):
        assistant.ask(question)
    with pytest.raises(StoreUnavailableError, match=f"Chroma server at {chroma_server.url}"):
        assistant.index([Article(id="second", text=TEXT.replace("Quellenau", "Brakwitz"), title="Brakwitz")])

    chroma_server.start()
    assert assistant.ask(question).quotes[0].article_id == "quellenau"
    report = assistant.index([Article(id="second", text=TEXT.replace("Quellenau", "Brakwitz"), title="Brakwitz")])
    assert report.added == ["second"]
    store = assistant.vector_store()
    records = assistant.records()
    assert store.ids() == records.all_chunk_ids() and records.pending() == set()  # the failed run was repaired
    assistant.close()

    fresh = Assistant(settings, embeddings=embeddings)  # a new process's client: connects on first use
    assert fresh.ask("Was baut die Gemeinde Brakwitz?").quotes[0].article_id == "second"
    fresh.close()
