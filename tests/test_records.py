"""The indexing record on its own: a real SQLite file in tmp_path, sentence vectors from the packaged model."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.articles import Article
from assistant.indexing.records import ChunkRecord, Records, SentenceRecord

TEXT = "Der erste Wasserstoffbus fährt durch Quellenau. Die Stadt will bis 2030 zwanzig weitere kaufen."
SPLIT = TEXT.index(" Die") + 1


@pytest.fixture
def records(tmp_path: Path) -> Records:
    opened = Records(tmp_path / "records.sqlite3")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def sentence_vectors(embeddings) -> np.ndarray:
    return embeddings.embed_passages_array([TEXT[:SPLIT].strip(), TEXT[SPLIT:]])


def article(article_id: str = "bus", text: str = TEXT, source: str = "Landbote", path: str = "") -> Article:
    return Article(id=article_id, text=text, title="Wasserstoffbus", source=source, published="2024-03-01", path=path)


def chunks_of(article_id: str, *bounds: tuple[int, int]) -> list[ChunkRecord]:
    return [ChunkRecord(f"{article_id}:{n}", article_id, n, start, end) for n, (start, end) in enumerate(bounds)]


def commit(records: Records, item: Article, chunks: list[ChunkRecord], vectors: np.ndarray | None = None) -> list[str]:
    """Commit with one sentence per chunk (its vector from `vectors`), or no sentences."""
    pairs = zip(chunks, vectors, strict=True) if vectors is not None else []
    sentences = [SentenceRecord(c.id, c.start, c.end, vector) for c, vector in pairs]
    return records.commit_article(item, f"hash-{item.text}", chunks, sentences)


def test_articles_are_read_a_page_at_a_time_and_a_write_between_pages_loses_none(records: Records) -> None:
    """The one-off language tagging reads every article and writes between pages: at 100,000 articles all texts at
    once were about 300 MB."""
    ids = [f"a{n:02d}" for n in range(7)]
    for article_id in ids:
        commit(records, article(article_id), chunks_of(article_id, (0, SPLIT)))
    seen = []
    for item in records.articles(page=3):
        seen.append(item.id)
        if item.id == "a03":  # a write while pages are being read, as the tagging does
            records.set_languages({"a00": "de"})
    assert seen == ids
    assert records.has_language("de")
    assert [a.id for a in records.articles(page=7)] == ids and [a.id for a in records.articles(page=100)] == ids


def test_an_article_comes_back_as_committed(records: Records, sentence_vectors: np.ndarray) -> None:
    chunks = chunks_of("bus", (0, SPLIT), (SPLIT, len(TEXT)))
    assert commit(records, article(path="news/bus.md"), chunks, sentence_vectors) == []
    assert records.article("bus") == article(path="news/bus.md")
    assert [a.id for a in records.articles()] == ["bus"]
    assert records.content_hash("bus") == f"hash-{TEXT}" and records.path_of("bus") == "news/bus.md"
    assert records.chunks_of("bus") == chunks and records.all_chunks() == chunks
    assert records.counts() == (1, 2) and records.all_chunk_ids() == {"bus:0", "bus:1"}
    sentences = records.sentences_of(["bus:1", "bus:0"])
    assert [(s.start, s.end) for s in sentences["bus:0"]] == [(0, SPLIT)]
    np.testing.assert_allclose(sentences["bus:1"][0].vector, sentence_vectors[1], atol=2e-3)
    matrices = records.sentence_matrix(["bus:0", "bus:1"])
    assert matrices["bus:0"].shape == (1, sentence_vectors.shape[1]) and matrices["bus:0"].dtype == np.float32
    np.testing.assert_allclose(matrices["bus:0"][0], sentence_vectors[0], atol=2e-3)
    assert records.article("nope") is None and records.content_hash("nope") is None and records.path_of("nope") is None


def test_a_changed_article_replaces_its_chunks_and_leaves_the_old_ones_pending(records: Records) -> None:
    commit(records, article(), chunks_of("bus", (0, SPLIT), (SPLIT, len(TEXT))))
    changed = article(text=TEXT + " Nachtrag.")
    kept_and_new = [ChunkRecord("bus:0", "bus", 0, 0, SPLIT), ChunkRecord("bus:9", "bus", 1, SPLIT, len(changed.text))]
    replaced = commit(records, changed, kept_and_new)
    assert replaced == ["bus:1"]  # bus:0 is still current: it is not to be deleted from the store
    assert records.pending() == {"bus:1"}
    assert records.current_chunk_ids(["bus:0", "bus:1", "bus:9", "other"]) == {"bus:0", "bus:9"}
    assert records.article("bus").text == changed.text and records.counts() == (1, 2)
    records.clear_pending(replaced)
    assert records.pending() == set()


def test_removing_an_article_removes_its_chunks_and_sentences(records: Records, sentence_vectors: np.ndarray) -> None:
    commit(records, article(), chunks_of("bus", (0, SPLIT), (SPLIT, len(TEXT))), sentence_vectors)
    commit(records, article("bridge", "Die Brücke wird saniert.", source="Kurier"), chunks_of("bridge", (0, 24)))
    assert records.sources() == ["Kurier", "Landbote"]
    assert sorted(records.remove_article("bus")) == ["bus:0", "bus:1"]
    assert records.pending() == {"bus:0", "bus:1"}  # until the store has deleted them too
    assert records.counts() == (1, 1) and records.sentences_of(["bus:0"]) == {"bus:0": []}
    assert records.sources() == ["Kurier"]


def test_pending_ids_are_recorded_before_the_store_is_written(records: Records) -> None:
    records.mark_pending(["a:0", "a:1"])
    records.mark_pending(["a:1"])  # twice is once
    assert records.pending() == {"a:0", "a:1"}
    commit(records, article("a", TEXT), chunks_of("a", (0, len(TEXT))))
    assert records.pending() == {"a:1"}  # a committed chunk is no longer pending


def test_a_failed_commit_changes_nothing(records: Records) -> None:
    commit(records, article(), chunks_of("bus", (0, len(TEXT))))
    twice = [ChunkRecord("x:0", "bus", 0, 0, 5), ChunkRecord("x:0", "bus", 1, 5, 9)]  # the same id twice
    with pytest.raises(Exception, match="UNIQUE"):
        records.commit_article(article(text="Ein neuer Text."), "hash-new", twice)
    assert records.article("bus").text == TEXT and records.content_hash("bus") == f"hash-{TEXT}"
    assert records.chunks_of("bus") == chunks_of("bus", (0, len(TEXT))) and records.pending() == set()


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from assistant.indexing.records import Records
records = Records(Path(sys.argv[1]))
with records.transaction() as db:
    db.execute("INSERT INTO meta VALUES ('half-written', 'yes')")
    db.execute("DELETE FROM chunks")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_inside_a_step_leaves_the_record_as_it_was(records: Records, tmp_path: Path) -> None:
    commit(records, article(), chunks_of("bus", (0, len(TEXT))))
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(records.path)], capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    again = Records(records.path)
    try:
        assert again.get_meta("half-written") is None
        assert again.counts() == (1, 1) and again.article("bus") == article()
    finally:
        again.close()


def test_a_snapshot_reads_one_state_while_another_writer_commits(records: Records, tmp_path: Path) -> None:
    commit(records, article(), chunks_of("bus", (0, len(TEXT))))
    writer = Records(records.path)  # another connection, as another process would have
    try:
        with records.snapshot():
            before = records.counts()
            commit(writer, article("bridge", "Die Brücke wird saniert."), chunks_of("bridge", (0, 24)))
            seen_inside = (records.counts(), records.article("bridge"), records.current_chunk_ids(["bridge:0"]))
        assert before == (1, 1) and seen_inside == ((1, 1), None, set())
        assert records.counts() == (2, 2)  # after the snapshot, the commit is there
    finally:
        writer.close()


def test_threads_each_get_their_own_snapshot(records: Records) -> None:
    commit(records, article(), chunks_of("bus", (0, len(TEXT))))
    inside, release = threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def reader() -> None:
        with records.snapshot():
            seen.append(records.counts())
            inside.set()
            release.wait(30)
            seen.append(records.counts())

    thread = threading.Thread(target=reader)
    thread.start()
    assert inside.wait(30)
    commit(records, article("bridge", "Die Brücke wird saniert."), chunks_of("bridge", (0, 24)))  # this thread
    release.set()
    thread.join(30)
    assert seen == [(1, 1), (1, 1)] and records.counts() == (2, 2)


def test_scope_generation_and_change_time(records: Records) -> None:
    assert records.last_changed() is None and records.store_generation() == 0
    commit(records, article("news/a.md", path="news/a.md"), chunks_of("news/a.md", (0, 10)))
    commit(records, article("news/sub/b.md", path="news/sub/b.md"), chunks_of("news/sub/b.md", (0, 10)))
    commit(records, article("newsroom.md", path="newsroom.md"), chunks_of("newsroom.md", (0, 10)))
    assert sorted(records.articles_under("news")) == [("news/a.md", "news/a.md"), ("news/sub/b.md", "news/sub/b.md")]
    assert records.articles_under("news/a.md") == [("news/a.md", "news/a.md")]
    assert records.last_changed() is not None
    assert records.next_store_generation() == 1 and records.next_store_generation() == 2
    assert records.store_generation() == 2
