"""One archive in a Chroma server (`chroma run`, started here on 127.0.0.1), shared by assistant processes
whose local index folders are different and empty: what one indexes the other answers, re-indexing through
either is incremental, local folders are caches, and a writer killed halfway is repaired by the next run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant import Article, Assistant, Settings
from assistant.indexing.server_records import SYNC_EVERY
from tests.helpers import (
    Askers,
    ChromaServer,
    assert_quotes_verify,
    chroma_running,
    cli,
    serve_process,
    wait_for_answer,
)
from tests.samples import question_for, write_towns

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function"),
]

COLLECTION = "articles"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_running(tmp_path_factory.mktemp("scaleout") / "chroma-server") as chroma:
        yield chroma


def run(server: ChromaServer, index_dir: Path, *args: str, cwd: Path, **env: str) -> str:
    """One CLI run of a process whose archive is the server and whose cache is `index_dir`."""
    result = subprocess.run(
        cli(*args, "--index-dir", str(index_dir), "--json"),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "ASSISTANT_CHROMA_URL": server.url, "PYTHONWARNINGS": "ignore", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def server_collection(server: ChromaServer, suffix: str, collection: str = COLLECTION) -> Any:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    return client.get_collection(collection + suffix)


def committed(server: ChromaServer, collection: str) -> int:
    """How many article records the server holds (0 before the first commit made the collection)."""
    from chromadb.errors import NotFoundError

    try:
        return server_collection(server, "-articles", collection).count()
    except NotFoundError:
        return 0


def assert_server_consistent(server: ChromaServer, collection: str = COLLECTION) -> None:
    """The server holds exactly the chunks and sentences its committed article records list (no orphans)."""
    listed = set()
    for meta in server_collection(server, "-articles", collection).get(include=["metadatas"])["metadatas"]:
        listed.update(chunk_id for chunk_id, *_ in json.loads(meta["chunks"]))
    assert set(server_collection(server, "", collection).get(include=[])["ids"]) == listed
    sentences = server_collection(server, "-sentences", collection).get(include=["metadatas"])["metadatas"]
    assert {meta["chunk_id"] for meta in sentences} == listed


def test_two_processes_with_empty_folders_share_one_archive(server: ChromaServer, tmp_path: Path) -> None:
    towns = write_towns(tmp_path / "towns", range(0, 3))
    a_dir, b_dir = tmp_path / "a-index", tmp_path / "b-index"
    report = json.loads(run(server, a_dir, "index", str(towns), cwd=tmp_path))
    assert report["added"] == 3

    answer = json.loads(run(server, b_dir, "ask", question_for(1), cwd=tmp_path))
    assert answer["quotes"] and answer["quotes"][0]["article_id"].endswith("town-01.md")
    for quote in answer["quotes"]:
        article = json.loads(run(server, b_dir, "article", quote["article_id"], cwd=tmp_path))
        assert article["text"][quote["start"] : quote["end"]] == quote["text"]

    again = json.loads(run(server, b_dir, "index", str(towns), cwd=tmp_path))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 3)  # hashes come from the server

    shutil.rmtree(b_dir)  # the local folder is a cache
    answer = json.loads(run(server, b_dir, "ask", question_for(2), cwd=tmp_path))
    assert answer["quotes"][0]["article_id"].endswith("town-02.md")
    assert_server_consistent(server)


def leave_orphans(server: ChromaServer, collection: str) -> None:
    """A chunk and a sentence of an article version that was never committed."""
    chunk_id = "towns/town-99.md#0123456789ab-0"
    meta = {"article_id": "towns/town-99.md", "ordinal": 0, "start": 0, "end": 5, "title": "", "source": ""}
    meta |= {"url": "", "published": ""}
    vector = [1.0] + [0.0] * 383
    chunks = server_collection(server, "", collection)
    chunks.upsert(ids=[chunk_id], embeddings=[vector], metadatas=[meta], documents=["Halbe"])
    sentence = {"article_id": "towns/town-99.md", "chunk_id": chunk_id, "start": 0, "end": 5}
    sentences = server_collection(server, "-sentences", collection)
    sentences.upsert(ids=[chunk_id + "@0-5"], embeddings=[vector], metadatas=[sentence], documents=[""])


def lose_a_chunk(server: ChromaServer, collection: str) -> str:
    """Delete one chunk of a committed article from the server; its id."""
    meta = server_collection(server, "-articles", collection).get(limit=1, include=["metadatas"])["metadatas"][0]
    chunk_id = json.loads(meta["chunks"])[0][0]
    server_collection(server, "", collection).delete(ids=[chunk_id])
    return chunk_id


VERIFY = """
import json, sys
from assistant import Assistant, Settings
assistant = Assistant(Settings(index_dir=sys.argv[1]))
found = []
for question in sys.argv[2:]:
    answer = assistant.ask(question)
    for quote in answer.quotes + answer.passages:
        assert assistant.article(quote.article_id).text[quote.start : quote.end] == quote.text, quote
    found.append(answer.quotes[0].article_id if answer.quotes else None)
print(json.dumps(found))
"""


def test_a_writer_killed_midway_is_repaired_and_every_answer_is_consistent(
    server: ChromaServer, tmp_path: Path
) -> None:
    towns = write_towns(tmp_path / "towns", range(3, 10))
    a_dir, b_dir = tmp_path / "a-index", tmp_path / "b-index"
    env = {**os.environ, "ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_COLLECTION": "killed"}
    writer = subprocess.Popen(
        cli("index", str(towns), "--index-dir", str(b_dir)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "ASSISTANT_INDEX_BATCH_CHARS": "1"},
    )
    deadline = time.monotonic() + 300
    while committed(server, "killed") < 2 and time.monotonic() < deadline and writer.poll() is None:
        time.sleep(0.02)
    assert writer.poll() is None, "the writer finished before it could be killed"
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    assert 2 <= committed(server, "killed") < 7
    leave_orphans(server, "killed")  # what a writer killed between its chunks and its article record leaves, for sure
    lost = lose_a_chunk(server, "killed")  # what a sweep by an overlapping writer can do

    rerun = json.loads(run(server, a_dir, "index", str(towns), cwd=tmp_path, ASSISTANT_COLLECTION="killed"))
    assert rerun["added"] + rerun["unchanged"] + rerun["updated"] == 7 and rerun["updated"] == 1, rerun
    assert lost in server_collection(server, "", "killed").get(include=[])["ids"]  # indexed again
    assert_server_consistent(server, "killed")  # the killed run's orphans are gone

    shutil.rmtree(b_dir)
    questions = [question_for(n) for n in range(3, 10)]
    result = subprocess.run(
        [sys.executable, "-c", VERIFY, str(b_dir), *questions], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [quoted.endswith(f"town-{n:02}.md") for quoted, n in zip(found, range(3, 10), strict=True)] == [True] * 7


def test_a_running_reader_answers_what_another_writer_indexed(
    server: ChromaServer, tmp_path: Path, embeddings: Any
) -> None:
    """Without a restart, and both assistants of this process use one client for the server."""
    settings = {"chroma_url": server.url, "collection": "live"}
    reader = Assistant(Settings(index_dir=tmp_path / "reader", **settings), embeddings=embeddings)
    writer = Assistant(Settings(index_dir=tmp_path / "writer", **settings), embeddings=embeddings)
    text = "Die Gemeinde Quellenau baut ein Museum für alte Schreibmaschinen. Das hat Hella Voss angekündigt."
    writer.index([Article(id="quellenau", text=text, title="Quellenau")])
    assert reader.ask("Was baut Quellenau?").quotes[0].article_id == "quellenau"

    other = text.replace("Quellenau", "Brakwitz").replace("Museum für alte Schreibmaschinen", "eine Seilbahn")
    writer.index([Article(id="brakwitz", text=other, title="Brakwitz")])
    time.sleep(SYNC_EVERY + 0.1)
    assert reader.ask("Was baut Brakwitz?").quotes[0].article_id == "brakwitz"
    writer.delete("quellenau")
    time.sleep(SYNC_EVERY + 0.1)
    assert {p.article_id for p in reader.ask("Was baut Quellenau?").passages} == {"brakwitz"}
    assert reader.vector_store()._client is writer.vector_store()._client
    reader.close()
    writer.close()


def test_a_chat_server_answers_throughout_while_another_machine_indexes(
    server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`assistant serve` on one cache folder, clients asking it in a loop; a CLI writer with another folder (as
    on another machine) indexes into the same server: no question fails, the new articles are answered by the
    running chat, and every quote verifies through a third, empty folder."""
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", server.url)
    monkeypatch.setenv("ASSISTANT_COLLECTION", "chat")
    run(server, tmp_path / "writer", "index", str(write_towns(tmp_path / "first", range(0, 2))), cwd=tmp_path)
    with serve_process(tmp_path / "chat", cwd=tmp_path) as chat:
        askers = Askers(chat.url, [question_for(n) for n in range(0, 6)])
        askers.start()
        askers.wait_for(askers.threads)  # asking throughout: before the writers start
        added = json.loads(
            run(server, tmp_path / "writer", "index", str(write_towns(tmp_path / "more", range(2, 6))), cwd=tmp_path)
        )
        assert added["added"] == 4
        client = Client(chat.url, verbose=False)
        for n in range(0, 6):
            wait_for_answer(client, n, timeout=60)
        askers.stop()
        assert askers.errors == []
        assert len(askers.answers) > 10
        assert_quotes_verify(tmp_path / "reader", askers.answers)
    assert_server_consistent(server, "chat")
