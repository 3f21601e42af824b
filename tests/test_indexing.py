"""Incremental, idempotent indexing against a real Chroma store and the real packaged model."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from assistant import Article, Assistant, ModelMismatchError, Settings, chunking
from assistant.core import RECORDS_FILE
from assistant.indexing.records import Records

PARAGRAPHS = [
    "Die Stadtwerke Leipzig erhöhen zum 1. Februar die Preise für Fernwärme um 4,5 Prozent.",
    "Als Grund nennt das Unternehmen gestiegene Kosten für Erdgas und Personal.",
    "Kunden können ab sofort Widerspruch einlegen, z. B. per Brief oder online.",
    "Der Verbraucherzentrale zufolge sind die Erhöhungen rechtlich nicht zu beanstanden.",
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def long_article(topic: str, paragraphs: int = 6) -> str:
    return "\n\n".join(
        f"{topic}: Absatz {n}. " + " ".join(PARAGRAPHS) + f" Dies ist Satz {n} über {topic}." for n in range(paragraphs)
    )


def store_ids(assistant: Assistant) -> set[str]:
    return assistant.vector_store().ids()


def assert_consistent(assistant: Assistant) -> None:
    """Vector store and record agree exactly, nothing pending, every chunk is its article's text."""
    records = assistant.records()
    assert store_ids(assistant) == records.all_chunk_ids()
    assert records.pending() == set()
    for chunk in records.all_chunks():
        article = records.article(chunk.article_id)
        assert article is not None
        stored = assistant.vector_store().fetch([chunk.id])[0][0].text
        assert stored == article.text[chunk.start : chunk.end]


def test_first_index_adds_and_second_embeds_nothing(assistant: Assistant, seeds: Path) -> None:
    first = assistant.index([seeds])
    assert len(first.added) == 1 and first.chunks_embedded > 0
    chunk_count = assistant.status().chunks
    assert chunk_count == len(store_ids(assistant)) > 0

    again = assistant.index([seeds])
    assert again.to_dict() == {"added": 0, "updated": 0, "unchanged": 1, "deleted": 0, "refused": []}
    assert again.chunks_embedded == 0
    assert assistant.status().chunks == chunk_count
    assert_consistent(assistant)


@pytest.mark.slow
def test_changed_article_replaces_its_chunks_and_reuses_unchanged_vectors(
    assistant: Assistant, tmp_path: Path, embeddings
) -> None:
    path = write(tmp_path / "news" / "strom.txt", long_article("Strompreise"))
    assistant.index([path])
    total_chunks = assistant.status().chunks
    assert total_chunks >= 3

    text = path.read_text(encoding="utf-8").replace("Absatz 0.", "Absatz null, neu geschrieben: Wolkenkratzer.")
    path.write_text(text, encoding="utf-8")
    report = assistant.index([path])
    assert len(report.updated) == 1
    assert 0 < report.chunks_embedded < total_chunks  # only the changed chunk was embedded again
    assert_consistent(assistant)
    store = assistant.vector_store()
    texts = [chunk.text for chunk, _ in store.fetch(sorted(store.ids()))]
    assert any("Wolkenkratzer" in t for t in texts)
    assert not any("Absatz 0." in t for t in texts)  # no stale text
    assert assistant.article(report.updated[0]).text == text
    records = assistant.records()
    sentences = [s for group in records.sentences_of(records.all_chunk_ids()).values() for s in group]
    fresh = embeddings.embed_passages_array([text[s.start : s.end] for s in sentences])
    for sentence, vector in zip(sentences, fresh, strict=True):  # reused sentence vectors belong to their text
        assert np.allclose(sentence.vector, vector, atol=1e-3)  # the same vector (stored as float16)


def test_sync_deletes_vanished_articles_only_when_asked(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    write(folder / "a.txt", long_article("Bahnstreik", 1))
    gone = write(folder / "sub" / "b.txt", long_article("Hochwasser", 1))
    assert len(assistant.index([folder]).added) == 2
    gone.unlink()

    without_sync = assistant.index([folder])
    assert without_sync.deleted == [] and assistant.status().articles == 2

    with_sync = assistant.index([folder], sync=True)
    assert len(with_sync.deleted) == 1 and with_sync.deleted[0].endswith("sub/b.txt")
    assert assistant.status().articles == 1
    assert_consistent(assistant)


def test_sync_keeps_articles_outside_the_synced_folder(assistant: Assistant, tmp_path: Path) -> None:
    write(tmp_path / "one" / "a.txt", long_article("Wahl", 1))
    write(tmp_path / "two" / "a.txt", long_article("Wetter", 1))
    report = assistant.index([tmp_path / "one", tmp_path / "two"])
    assert len(report.added) == 2 and len(set(report.added)) == 2  # same file name, different ids
    assert assistant.index([tmp_path / "one"], sync=True).deleted == []
    assert assistant.status().articles == 2


def test_sync_keeps_a_refused_file_s_last_good_version(assistant: Assistant, tmp_path: Path) -> None:
    path = write(tmp_path / "news" / "a.txt", long_article("Haushalt", 1))
    assistant.index([tmp_path / "news"])
    path.write_bytes(b"")
    report = assistant.index([tmp_path / "news"], sync=True)
    assert len(report.refused) == 1 and report.deleted == []
    assert assistant.status().articles == 1


def test_article_ids_do_not_depend_on_order_or_working_directory(
    settings: Settings, embeddings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path / "x" / "a.txt", long_article("Rente", 1))
    b = write(tmp_path / "y" / "b.txt", long_article("Pflege", 1))
    first = Assistant(settings, embeddings=embeddings).index([a, b]).added
    monkeypatch.chdir(tmp_path / "x")
    other = Settings(index_dir=tmp_path / "index2")
    second = Assistant(other, embeddings=embeddings).index([b, a]).added
    assert sorted(first) == sorted(second)


def test_python_articles_and_duplicate_ids(assistant: Assistant) -> None:
    article = Article(id="ft-1", text=long_article("Gas", 1), title="Gas", source="FT", published="2024-10-18")
    twin = Article(id="ft-1", text="Anderer Text über etwas anderes.", title="Zwilling")
    report = assistant.index([article, twin])
    assert report.added == ["ft-1"]
    assert [r.path for r in report.refused] == ["ft-1"] and "duplicate" in report.refused[0].reason
    stored = assistant.article("ft-1")
    assert stored.text == article.text and stored.source == "FT" and stored.published == "2024-10-18"


def test_opening_an_index_with_another_model_is_a_clear_error(indexed: Assistant, seeds: Path) -> None:
    other = Assistant(Settings(index_dir=indexed.index_dir, embedding_model="intfloat/multilingual-e5-base"))
    for action in (lambda: other.ask("Wer vermittelt?"), lambda: other.index([seeds])):
        with pytest.raises(ModelMismatchError) as error:
            action()
        message = str(error.value)
        assert "multilingual-e5-small" in message and "multilingual-e5-base" in message
        assert "index the articles again" in message  # said in words that fit the chat and the command line


class _DiesAtCommit(Exception):
    pass


@pytest.mark.slow
def test_a_run_that_dies_between_store_and_record_is_repaired(
    assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection at the most delicate step: a group's vectors written, one article's record committed, the
    next one's not yet."""
    folder = tmp_path / "news"
    for n in range(3):
        write(folder / f"{n}.txt", long_article(f"Thema {n}", 2))
    real_commit = Records.commit_article
    calls = {"n": 0}

    def commit_then_die(self: Records, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise _DiesAtCommit
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(Records, "commit_article", commit_then_die)
    with pytest.raises(_DiesAtCommit):
        assistant.index([folder])
    assert store_ids(assistant) != assistant.records().all_chunk_ids()  # orphans exist now
    monkeypatch.setattr(Records, "commit_article", real_commit)
    write(folder / "1.txt", long_article("Thema eins, geändert", 2))  # the half-written article changed meanwhile
    report = assistant.index([folder])
    assert len(report.added) == 2 and len(report.unchanged) == 1
    assert_consistent(assistant)


def test_records_live_in_the_index_directory(indexed: Assistant) -> None:
    with sqlite3.connect(indexed.index_dir / RECORDS_FILE) as db:
        assert db.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()[0] == "multilingual-e5-small"


WRAPPED = (
    "Die Landesregierung in\nNordrhein-Westfalen hat nach dem Kreis Gütersloh auch für den\ngesamten Kreis "
    "Warendorf einen Lockdown verfügt. Schulen und Kitas bleiben geschlossen.\n\nDer Landrat rief die Bürger "
    "zur Ruhe auf."
)


def test_an_index_made_when_every_line_break_ended_a_sentence_keeps_wrapped_sentences_whole_after_one_run(
    assistant: Assistant, tmp_path: Path, seeds: Path
) -> None:
    """An index made by the rules before 2026-12-07 (simulated: the line-joining rule switched off) split a
    hard-wrapped sentence at every line; the next run indexes that article again, once, and leaves the rest."""
    path = write(tmp_path / "news" / "lockdown.txt", WRAPPED)
    with mock.patch.object(chunking, "_continues", return_value=False):
        first = assistant.index([path, seeds])
    assert len(first.added) == 2
    records = assistant.records()
    article_id = first.added[0] if "lockdown" in first.added[0] else first.added[1]

    def sentences() -> list[str]:
        chunk_ids = [c.id for c in records.chunks_of(article_id)]
        return [WRAPPED[s.start : s.end] for group in records.sentences_of(chunk_ids).values() for s in group]

    assert "Die Landesregierung in" in sentences()  # the old rule's fragment

    upgraded = assistant.index([path, seeds])
    assert upgraded.updated == [article_id] and len(upgraded.unchanged) == 1  # the seed has no wrapped line
    assert sentences()[0] == WRAPPED.split(" Schulen")[0]  # the whole sentence, its line breaks kept
    assert_consistent(assistant)
    again = assistant.index([path, seeds])
    assert again.to_dict() == {"added": 0, "updated": 0, "unchanged": 2, "deleted": 0, "refused": []}
