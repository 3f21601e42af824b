"""Hostile input to the indexer and the CLI: nothing stops a batch, no article is taken over, nothing
dangerous reaches the terminal. Real Chroma store on disk, the real packaged model, a real `assistant`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant import Article, Assistant, Settings
from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings
from assistant.indexing.keyword_index import KeywordIndex
from tests.helpers import run_cli, write

TEXT = (
    "Die Stadtwerke Leipzig erhöhen zum 1. Februar die Preise für Fernwärme um 4,5 Prozent. "
    "Als Grund nennt das Unternehmen gestiegene Kosten für Erdgas und Personal."
)


def keyword_chunk_ids(assistant: Assistant) -> set[str]:
    """The chunks of the keyword index's current version, as a reader in another process would load it."""
    return set(KeywordIndex(assistant.index_dir / "keyword").ensure_current().chunk_ids)


def assert_quotes_verify(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    for item in [*answer.quotes, *answer.passages]:
        assert assistant.article(item.article_id).text[item.start : item.end] == item.text


def hostile_folder(root: Path) -> Path:
    """Good articles between a symlink loop, a FIFO and a JSON file with lone surrogates and a bad id."""
    folder = root / "news"
    write(folder / "a-gut.txt", f"Fernwärme\n\n{TEXT}")
    (folder / "b-schleife.txt").symlink_to(folder / "c-schleife.txt")
    (folder / "c-schleife.txt").symlink_to(folder / "b-schleife.txt")
    os.mkfifo(folder / "d-pipe.md")
    records = [
        {"id": "kaputt-1", "text": "Der Bahnstreik \ud800 legt den Fernverkehr lahm. Die GDL fordert mehr Lohn."},
        {"id": "kaputt-\udfff", "text": "Eine Id, die kein Unicode ist."},
    ]
    write(folder / "e-records.json", json.dumps(records))
    return folder


def test_a_hostile_folder_is_indexed_around_its_bad_entries(assistant: Assistant, tmp_path: Path) -> None:
    """Before: RuntimeError (symlink loop), then UnicodeEncodeError (surrogate); nothing indexed."""
    report = assistant.index([hostile_folder(tmp_path)])
    assert sorted(report.added) == ["kaputt-1", "news/a-gut.txt"]
    reasons = {r.path: r.reason for r in report.refused}
    assert set(reasons) == {"news/b-schleife.txt", "news/c-schleife.txt", "news/d-pipe.md", "news/e-records.json#2"}
    assert "\ufffd" in assistant.article("kaputt-1").text
    status = assistant.status()
    assert status.articles == 2 and status.embedding_model == assistant.model_name
    assert keyword_chunk_ids(assistant) == assistant.records().all_chunk_ids()
    assert_quotes_verify(assistant, "Was fordert die GDL?")


def test_an_article_that_cannot_be_indexed_is_refused_and_the_rest_still_lands(
    assistant: Assistant, tmp_path: Path
) -> None:
    """An Article that slipped past validation (a lone surrogate set afterwards) is refused, not fatal;
    the keyword index and the model are still recorded for the rest."""
    bad = Article(id="bad", text="Text.")
    object.__setattr__(bad, "text", "Text \ud800.")
    report = assistant.index([Article(id="good", text=TEXT), bad])
    assert report.added == ["good"]
    [refusal] = report.refused
    assert refusal.path == "bad" and refusal.reason.startswith("cannot be indexed:")
    assert assistant.status().embedding_model == assistant.model_name
    assert keyword_chunk_ids(assistant) == assistant.records().all_chunk_ids()


def test_an_article_over_the_chunk_limit_is_refused_before_embedding(
    embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    """Before: a 4 MB text without punctuation became 4,013 chunks and 25 minutes of embedding."""
    assistant = Assistant(Settings(index_dir=tmp_path / "index", max_chunks_per_article=5), embeddings=embeddings)
    endless = write(tmp_path / "endlos.txt", "wort " * 2_000)  # 10,000 characters, no sentence end
    report = assistant.index([endless, Article(id="kurz", text=TEXT)])
    assert report.added == ["kurz"] and report.chunks_embedded == 1
    [refusal] = report.refused
    assert refusal.path == "endlos.txt"
    assert "above the limit of 5 per article (ASSISTANT_MAX_CHUNKS_PER_ARTICLE)" in refusal.reason
    assert Settings().max_chunks_per_article == 200


def front_matter(article_id: str, body: str) -> str:
    return f"---\nid: {article_id}\ntitle: {body[:20]}\n---\n{body}\n"


def test_an_id_from_another_file_cannot_take_over_an_article(assistant: Assistant, tmp_path: Path) -> None:
    """Before: an upload whose front matter said `id: <another article's id>` silently replaced it."""
    original = write(tmp_path / "news" / "original.md", front_matter("meldung-1", TEXT))
    assert assistant.index([original]).added == ["meldung-1"]
    evil = write(tmp_path / "uploads" / "evil.md", front_matter("meldung-1", "Alles erfunden. Glauben Sie nichts."))
    report = assistant.index([evil])
    assert report.added == report.updated == []
    [refusal] = report.refused
    assert refusal.path == "uploads/evil.md"
    assert "belongs to the article indexed from news/original.md" in refusal.reason
    assert "ASSISTANT_ALLOW_ID_TAKEOVER" in refusal.reason
    assert assistant.article("meldung-1").text.startswith("Die Stadtwerke")

    write(original, front_matter("meldung-1", TEXT + " Neu ist ein Sozialtarif."))
    assert assistant.index([original]).updated == ["meldung-1"]  # the same file again: an update

    original.unlink()  # the file moved: its new place may keep the id
    moved = write(tmp_path / "archiv" / "original.md", front_matter("meldung-1", TEXT))
    assert assistant.index([moved]).updated == ["meldung-1"]
    assert assistant.article("meldung-1").path == "archiv/original.md"


def test_a_file_cannot_take_over_an_article_given_from_python(assistant: Assistant, tmp_path: Path) -> None:
    assistant.index([Article(id="notiz", text=TEXT)])
    report = assistant.index([write(tmp_path / "notiz.md", front_matter("notiz", "Anderer Text."))])
    assert "without a file (from Python or a URL)" in report.refused[0].reason
    assert assistant.index([Article(id="notiz", text=TEXT + " Nachtrag.")]).updated == ["notiz"]


def test_id_takeover_is_allowed_when_the_settings_say_so(
    embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index", allow_id_takeover=True)
    assert Settings().allow_id_takeover is False
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([write(tmp_path / "a.md", front_matter("meldung-1", TEXT))])
    report = assistant.index([write(tmp_path / "b.md", front_matter("meldung-1", "Ein anderer Text."))])
    assert report.updated == ["meldung-1"] and report.refused == []
    assert assistant.article("meldung-1").path == "b.md"


@pytest.mark.slow
def test_cli_survives_a_hostile_folder_and_never_prints_control_characters(
    embeddings: SentenceTransformerEmbeddings, tmp_path: Path
) -> None:
    """`assistant index DIR --json` reports instead of a traceback; `assistant ask` and `article` print no
    escape sequences even from an index that holds them (built from Python, or before text was cleaned)."""
    index_dir = tmp_path / "index"
    env = {"ASSISTANT_INDEX_DIR": str(index_dir)}
    done = run_cli("index", str(hostile_folder(tmp_path)), "--json", cwd=tmp_path, env=env)
    report = json.loads(done.stdout)
    assert report["added"] == 2 and len(report["refused"]) == 4

    planted = "Die GDL fordert \x1b[2J\x1b]0;gekapert\x07mehr Lohn\x9b31m und kürzere Arbeitszeiten.\u202e"
    assistant = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    assistant.index([Article(id="roh", title="Titel\x1b[5m", text=planted)])
    assistant.close()
    asked = run_cli("ask", "Was fordert die GDL?", "-k", "3", cwd=tmp_path, env=env)
    shown = run_cli("article", "roh", cwd=tmp_path, env=env)
    as_json = run_cli("article", "roh", "--json", cwd=tmp_path, env=env)
    for done in (asked, shown, as_json):
        assert not any(char in done.stdout for char in "\x1b\x07\x9b\u202e"), done.stdout
    assert "mehr Lohn" in asked.stdout and "mehr Lohn" in shown.stdout
    assert json.loads(as_json.stdout)["text"] == planted  # JSON keeps the exact value, escaped
