"""The keyword index as several processes see it: writers build finished versions, readers switch atomically."""

from __future__ import annotations

from pathlib import Path

from assistant import Article
from assistant.keyword import KeywordIndex, tokenize
from assistant.records import ChunkRecord, Records


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
    writer.rebuild(records)
    held = reader.ensure_current()  # a question holds on to the version it started with
    assert held.chunk_ids == ["a#0"] and writer.is_current(records)

    commit(records, "b", "Das Freibad bekommt eine Solarheizung.")
    assert reader.ensure_current() is held  # the record changed, but no finished version yet: no rebuild here
    writer.rebuild(records)
    newer = reader.ensure_current()
    assert newer is not held and sorted(newer.chunk_ids) == ["a#0", "b#0"]
    ids, scores = newer.scores(tokenize("Solarheizung"))
    assert ids[int(scores.argmax())] == "b#0"
    assert held.chunk_ids == ["a#0"]  # the old snapshot is unchanged

    writer.rebuild(records)
    writer.rebuild(records)
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
