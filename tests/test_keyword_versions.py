"""The keyword index and the record as several processes and versions see them: writers publish finished
versions, readers switch atomically; indexes written by earlier versions of the code are still read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant import Article
from assistant.indexing.keyword_index import KeywordIndex, tokenize
from assistant.indexing.records import _SCHEMA, ChunkRecord, Records, SentenceRecord


def commit(records: Records, article_id: str, text: str) -> None:
    article = Article(id=article_id, text=text, title=article_id)
    records.commit_article(
        article, f"hash-{article_id}-{len(text)}", [ChunkRecord(f"{article_id}#0", article_id, 0, 0, len(text))]
    )


def test_readers_load_each_finished_version_and_never_build(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.sqlite3")
    writer, reader = KeywordIndex(tmp_path / "keyword"), KeywordIndex(tmp_path / "keyword")
    assert reader.ensure_current().chunk_count == 0  # nothing built: an empty index, no error

    commit(records, "a", "Die Seilbahn über den Stausee wird gebaut.")
    assert not writer.is_current(records)
    writer.update(records)
    held = reader.ensure_current()  # a question holds on to the version it started with
    assert held.chunk_ids == ["a#0"] and writer.is_current(records)

    commit(records, "b", "Das Freibad bekommt eine Solarheizung.")
    assert reader.ensure_current() is held  # the record changed, but no finished version yet: no rebuild here
    writer.update(records)
    newer = reader.ensure_current()
    assert newer is not held and sorted(newer.chunk_ids) == ["a#0", "b#0"]
    ids, scores = newer.scores(tokenize("Solarheizung"))
    assert held.chunk_ids == ["a#0"] and writer.is_current(records)
    assert ids[int(scores.argmax())] == "b#0"
    assert held.chunk_ids == ["a#0"]  # the old snapshot is unchanged

    writer.update(records)
    writer.update(records)
    assert len(list((tmp_path / "keyword").glob("v-*"))) == 2  # the current one and the one before it
    assert reader.ensure_current().chunk_count == 2
    records.close()


def test_record_snapshots_hold_while_another_connection_commits(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    records, other = Records(path), Records(path)
    commit(records, "a", "Erster Artikel.")
    with records.snapshot():
        assert records.counts() == (1, 1)
        commit(other, "b", "Zweiter Artikel.")
        assert records.counts() == (1, 1) and records.article("b") is None
        assert records.current_chunk_ids(["a#0", "b#0"]) == {"a#0"}
    assert records.counts() == (2, 2)
    generation = records.store_generation()
    assert other.next_store_generation() == generation + 1 == records.store_generation()
    records.close()
    other.close()


def write_legacy_version(folder: Path, records: Records) -> None:
    """A keyword index as the code before segments wrote it: one bm25s folder, its meta.json, CURRENT."""
    chunks = list(records.chunk_texts())
    tokens = [tokenize(text) for _, text in chunks]
    version = folder / "v-legacy"
    version.mkdir(parents=True)
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    bm25.save(version, show_progress=False)
    meta = {"chunk_ids": [cid for cid, _ in chunks], "idf": {}, "stamp": "0", "searchable": True}
    (version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "CURRENT").write_text("v-legacy", encoding="utf-8")


def test_an_index_from_before_segments_is_read_then_converted_by_the_next_writer(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.sqlite3")
    for n, text in enumerate(["Die Seilbahn über den Stausee.", "Das Freibad bekommt eine Solarheizung.", "Wien."]):
        commit(records, f"a{n}", text)
    write_legacy_version(tmp_path / "keyword", records)
    reader = KeywordIndex(tmp_path / "keyword")
    old = reader.ensure_current()
    ids, before = old.scores(tokenize("Solarheizung Stausee"))
    assert old.chunk_count == 3 and before.max() > 0
    assert not KeywordIndex(tmp_path / "keyword").is_current(records)

    writer = KeywordIndex(tmp_path / "keyword")
    writer.update(records)  # the next indexing run converts it
    new = reader.ensure_current()
    assert new.version.endswith(".json") and writer.is_current(records)
    _, after = new.scores(tokenize("Solarheizung Stausee"))
    assert [float(after[new.position(chunk_id)]) for chunk_id in ids] == pytest.approx(before.tolist(), rel=1e-5)
    commit(records, "a3", "Noch ein Artikel.")
    writer.update(records)
    assert not (tmp_path / "keyword" / "v-legacy").exists()  # kept while readers might load it, then collected
    records.close()


def test_new_records_store_sentence_vectors_as_float16_and_old_float32_ones_stay_readable(tmp_path: Path) -> None:
    vector = np.random.default_rng(0).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    chunk = ChunkRecord("a#0", "a", 0, 0, 6)
    records = Records(tmp_path / "new.sqlite3")
    records.commit_article(
        Article(id="a", text="Satz. ", title="a"), "h", [chunk], [SentenceRecord("a#0", 0, 5, vector)]
    )
    stored = records.sentences_of(["a#0"])["a#0"][0].vector
    assert stored.dtype == np.float32 and np.abs(stored - vector).max() < 1e-3 and float(stored @ vector) > 0.9999
    assert len(sqlite3.connect(records.path).execute("SELECT vector FROM sentences").fetchone()[0]) == 384 * 2
    records.close()

    old = sqlite3.connect(tmp_path / "old.sqlite3")  # as the code before float16 left it: no dtype, float32 blobs
    old.executescript(_SCHEMA.split("CREATE TABLE IF NOT EXISTS keyword_log")[0])
    old.execute("INSERT INTO articles VALUES ('a', 'h', 'Satz. ', 'a', '', '', NULL, '', 0)")
    old.execute("INSERT INTO chunks VALUES ('a#0', 'a', 0, 0, 6)")
    old.execute("INSERT INTO sentences (chunk_id, start, end, vector) VALUES ('a#0', 0, 5, ?)", (vector.tobytes(),))
    old.commit()
    old.close()
    records = Records(tmp_path / "old.sqlite3")
    assert np.array_equal(records.sentences_of(["a#0"])["a#0"][0].vector, vector)
    assert np.array_equal(records.sentence_matrix(["a#0"])["a#0"][0], vector)
    records.commit_article(Article(id="b", text="Neu. ", title="b"), "h", [ChunkRecord("b#0", "b", 0, 0, 5)],
                           [SentenceRecord("b#0", 0, 4, vector)])  # fmt: skip
    assert np.array_equal(records.sentence_matrix(["b#0"])["b#0"][0], vector)  # it stays float32 throughout
    records.close()


def test_counts_follow_every_change_and_a_record_from_before_them_is_counted_once(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.sqlite3")

    def counted() -> tuple[int, int]:
        db = sqlite3.connect(records.path)
        try:
            return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "chunks"))
        finally:
            db.close()

    commit(records, "a", "Erster Artikel.")
    commit(records, "b", "Zweiter Artikel.")
    records.commit_article(Article(id="a", text="Neu und länger.", title="a"), "h2", [
        ChunkRecord("a#1", "a", 0, 0, 4), ChunkRecord("a#2", "a", 1, 4, 15)])  # fmt: skip
    records.remove_article("b")
    records.remove_article("b")  # already gone: counts nothing
    assert records.counts() == counted() == (1, 2)
    db = sqlite3.connect(records.path)
    db.execute("DELETE FROM meta WHERE key IN ('article_count', 'chunk_count')")  # as before the counts
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")  # and before the upgrade steps
    db.commit()
    db.close()
    records.close()
    reopened = Records(tmp_path / "records.sqlite3")
    assert reopened.counts() == (1, 2)
    reopened.close()
