"""Upgrades of older indexes (`assistant.indexing.migrations`): each step once, in order, recorded in the record's
schema version; killed halfway, the next process finishes it; on a Chroma server too.

Every older index here is made inside the test: the record's tables as the older code wrote them (SQLite), or an
index of today's code turned back into the older format through the real store (Chroma, the keyword folder)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.articles import Article
from assistant.core import RECORDS_FILE
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.indexing import migrations
from assistant.indexing.keyword_index import tokenize
from assistant.indexing.migrations import DATING_VERSION, LANGUAGES_TAGGED, LATEST, SENTENCE_DAYS, VERSION_KEY
from assistant.indexing.progress import Phase
from assistant.indexing.records import _SCHEMA, Records
from assistant.indexing.store import SEARCH_EF, open_client
from tests.helpers import ChromaServer, cli_env

ENGLISH = (
    "The county council approved the new cable car across the reservoir on Tuesday. Construction starts in "
    "spring, and the first cabins are to run in the summer of next year, the council said."
)


def _version(index_dir: Path) -> int:
    with sqlite3.connect(index_dir / RECORDS_FILE) as db:
        return int(db.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()[0])


def _languages(settings: Settings) -> dict[str, str | None]:
    collection = open_client(settings.index_dir / "chroma").get_collection(settings.collection)
    got = collection.get(include=["metadatas"])
    return {str(m["article_id"]): m.get("language") for m in got["metadatas"]}


def _write_legacy_keyword(folder: Path, records: Records) -> None:
    """The keyword index as the code before segments wrote it: one bm25s folder with its meta.json, CURRENT."""
    for entry in folder.iterdir():
        if entry.is_file():
            entry.unlink()
    chunks = list(records.chunk_texts())
    version = folder / "v-legacy"
    version.mkdir()
    bm25 = bm25s.BM25()
    bm25.index([tokenize(text) for _, text in chunks], show_progress=False)
    bm25.save(version, show_progress=False)
    meta = {"chunk_ids": [cid for cid, _ in chunks], "idf": {}, "stamp": "0", "searchable": True}
    (version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "CURRENT").write_text("v-legacy", encoding="utf-8")


def _make_older(settings: Settings) -> None:
    """Turn a closed index of today's code into one from before every writer step: a narrow search breadth,
    chunks and record without languages, sentences without days, the keyword index in one bm25s folder."""
    collection = open_client(settings.index_dir / "chroma").get_collection(settings.collection)
    collection.modify(configuration={"hnsw": {"ef_search": 100}})
    ids = collection.get(include=[])["ids"]
    collection.update(ids=ids, metadatas=[{"language": None}] * len(ids))
    records = Records(settings.index_dir / RECORDS_FILE)
    with records.transaction() as db:
        db.execute("DELETE FROM article_languages")
        db.execute("UPDATE sentences SET day_first = NULL, day_last = NULL")
        db.execute("DELETE FROM meta WHERE key IN (?, ?)", (LANGUAGES_TAGGED, SENTENCE_DAYS))
        db.execute("UPDATE meta SET value = '1' WHERE key = ?", (VERSION_KEY,))
    _write_legacy_keyword(settings.index_dir / "keyword", records)
    records.close()


def test_a_new_index_has_every_step_and_a_second_run_does_nothing(indexed: Assistant) -> None:
    records = indexed.records()
    assert migrations.schema_version(records) == LATEST
    assert [s.version for s in (*migrations.RECORD_STEPS, *migrations.WRITER_STEPS)] == list(range(2, LATEST + 1))
    shown: list[str] = []
    indexed.index([indexed.index_dir.parent / "seeds"], progress=lambda done, total, what: shown.append(what))
    assert not any(isinstance(what, Phase) for what in shown)


def test_an_older_record_gets_its_tables_upgraded_once_at_open(tmp_path: Path) -> None:
    """The record as the code before float16 vectors, counts and day columns left it (no schema version)."""
    vector = np.random.default_rng(1).normal(size=384).astype(np.float32)
    old = sqlite3.connect(tmp_path / "records.sqlite3")
    old.executescript(_SCHEMA.split("CREATE TABLE IF NOT EXISTS keyword_log")[0].replace(
        ", day_first INTEGER, day_last INTEGER", ""))  # fmt: skip
    old.execute("INSERT INTO articles VALUES ('a', 'h', 'Satz. ', 'a', '', '', NULL, '', 0)")
    old.execute("INSERT INTO chunks VALUES ('a#0', 'a', 0, 0, 6)")
    old.execute("INSERT INTO sentences (chunk_id, start, end, vector) VALUES ('a#0', 0, 5, ?)", (vector.tobytes(),))
    old.commit()
    old.close()

    records = Records(tmp_path / "records.sqlite3")
    assert migrations.schema_version(records) == migrations.RECORD_STEPS[-1].version  # the writer steps wait
    assert records.get_meta("sentence_dtype") == "float32"  # step 2: the vectors it holds stay as they are
    assert np.array_equal(records.sentence_matrix(["a#0"])["a#0"][0], vector)
    assert records.counts() == (1, 1)  # step 3
    assert records.sentence_days(["a#0"])["a#0"][0].day is None  # step 4: the columns are there, not yet filled
    records.close()

    def meta() -> dict[str, str]:
        with sqlite3.connect(tmp_path / "records.sqlite3") as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())

    before = meta()
    Records(tmp_path / "records.sqlite3").close()
    assert meta() == before  # opened again: nothing to do


def test_an_older_index_gets_every_writer_step_once_at_the_next_run(indexed: Assistant) -> None:
    settings, seeds = indexed.settings, indexed.index_dir.parent / "seeds"
    (seeds / "cable-car.txt").write_text(f"---\npublished: 2024-03-07\n---\n{ENGLISH}", encoding="utf-8")
    indexed.index([seeds])
    embeddings = indexed.embeddings
    indexed.close()
    _make_older(settings)

    again = Assistant(settings, embeddings=embeddings)
    try:
        assert again.keyword_index.ensure_current().chunk_count > 0  # the older keyword format still reads
        shown: list[tuple[int, int, str]] = []
        report = again.index([seeds], progress=lambda done, total, what: shown.append((done, total, what)))
        assert not report.changed  # nothing embedded again
        phases = [what for _, _, what in shown if isinstance(what, Phase)]
        assert phases == [Phase.LANGUAGE_TAGS, Phase.SENTENCE_DAYS]
        assert (2, 2, Phase.LANGUAGE_TAGS) in shown
        records = again.records()
        assert migrations.schema_version(records) == LATEST
        assert again.vector_store().search_breadth() == SEARCH_EF  # step 5
        assert records.has_language("en") and records.has_language("de")  # step 6
        assert records.get_meta(SENTENCE_DAYS) == DATING_VERSION  # step 7
        chunks = [c.id for c in records.all_chunks()]
        assert any(s.day is not None for group in records.sentence_days(chunks).values() for s in group)
        current = (settings.index_dir / "keyword" / "CURRENT").read_text(encoding="utf-8")
        assert current.endswith(".json")  # step 8: in segments

        shown.clear()
        again.index([seeds], progress=lambda done, total, what: shown.append((done, total, what)))
        assert not any(isinstance(what, Phase) for _, _, what in shown)  # once: a second run does nothing
        assert (settings.index_dir / "keyword" / "CURRENT").read_text(encoding="utf-8") == current
    finally:
        again.close()
    assert set(_languages(settings).values()) == {"de", "en"}


def test_new_dating_rules_date_an_upgraded_index_again_once(indexed: Assistant) -> None:
    """An index past every version step, dated by older rules (the seed: undated, so no day was stored), is dated
    again at the next run; its undated article now dates what names its year ("im August 2024")."""
    records = indexed.records()
    with records.transaction() as db:
        db.execute("UPDATE sentences SET day_first = NULL, day_last = NULL")
        db.execute("UPDATE meta SET value = '1' WHERE key = ?", (SENTENCE_DAYS,))
    seeds = indexed.index_dir.parent / "seeds"
    shown: list[object] = []
    indexed.index([seeds], progress=lambda done, total, what: shown.append(what))
    assert [what for what in shown if isinstance(what, Phase)] == [Phase.SENTENCE_DAYS]
    assert migrations.schema_version(records) == LATEST and records.get_meta(SENTENCE_DAYS) == DATING_VERSION
    chunks = [c.id for c in records.all_chunks()]
    days = {s.day for group in records.sentence_days(chunks).values() for s in group} - {None}
    assert (20240801, 20240831) in days  # "… sollten ursprünglich im August 2024 … beginnen"
    shown.clear()
    indexed.index([seeds], progress=lambda done, total, what: shown.append(what))
    assert not any(isinstance(what, Phase) for what in shown)


KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from assistant import Assistant, Settings
    from assistant.indexing import migrations
    from assistant.indexing.progress import Phase

    migrations.TAG_BATCH = 1  # one article per store write, so the run dies between two of them


    def progress(done, total, what):
        if what == Phase.LANGUAGE_TAGS:
            os.kill(os.getpid(), signal.SIGKILL)


    Assistant(Settings(index_dir=sys.argv[1])).index([sys.argv[2]], progress=progress)
    """
)


@pytest.mark.slow
def test_an_upgrade_killed_halfway_is_finished_by_the_next_process(indexed: Assistant) -> None:
    settings, seeds = indexed.settings, indexed.index_dir.parent / "seeds"
    indexed.index([Article(id="cable-car", text=ENGLISH, title="Cable car")])
    embeddings = indexed.embeddings
    indexed.close()
    _make_older(settings)

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(settings.index_dir), str(seeds)], env=cli_env(), capture_output=True
    )
    assert killed.returncode == -9, killed.stderr
    assert _version(settings.index_dir) == 5  # the search breadth is done, the language tags are not
    assert list(_languages(settings).values()).count(None) == 1  # one article of two tagged

    finished = subprocess.run(
        [sys.executable, "-c", KILLED_RUN.replace("os.kill(os.getpid(), signal.SIGKILL)", "pass"),
         str(settings.index_dir), str(seeds)], env=cli_env(), capture_output=True, text=True)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert _version(settings.index_dir) == LATEST
    assert set(_languages(settings).values()) == {"de", "en"}
    reopened = Assistant(settings, embeddings=embeddings)
    try:
        assert reopened.records().has_language("en") and reopened.records().get_meta(SENTENCE_DAYS) == DATING_VERSION
    finally:
        reopened.close()


@pytest.mark.slow
def test_on_a_chroma_server_the_tags_are_done_once_for_every_machine(
    tmp_path: Path, chroma_server: ChromaServer, embeddings: OnnxEmbeddings
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "cable-car.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma_server.url)
    first = Assistant(settings, embeddings=embeddings)
    first.index([seeds])
    records = first.records()
    records.set_meta(LANGUAGES_TAGGED, "")  # shared meta: kept in the server
    records.set_meta(VERSION_KEY, "1")
    collection = open_client(Path(), chroma_server.url).get_collection(settings.collection)
    ids = collection.get(include=[])["ids"]
    collection.update(ids=ids, metadatas=[{"language": None}] * len(ids))

    shown: list[str] = []
    first.index([seeds], progress=lambda done, total, what: shown.append(what))
    assert Phase.LANGUAGE_TAGS in shown and migrations.schema_version(records) == LATEST
    assert {m["language"] for m in collection.get(include=["metadatas"])["metadatas"]} == {"en"}
    first.close()

    other = Assistant(Settings(index_dir=tmp_path / "elsewhere", chroma_url=chroma_server.url), embeddings=embeddings)
    try:
        other.records().set_meta(VERSION_KEY, "1")  # another machine's cache, from before the steps
        shown.clear()
        other.index([], sync=True, progress=lambda done, total, what: shown.append(what))
        assert Phase.LANGUAGE_TAGS not in shown  # the server's archive is tagged already
        assert migrations.schema_version(other.records()) == LATEST
    finally:
        other.close()
