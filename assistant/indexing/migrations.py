"""Upgrades of indexes written by earlier versions: numbered steps, each run once per index, in order.

The record's meta key ``schema_version`` says how far an index is: every step with a higher number is still to run.
An index from before the steps were numbered says "1" (its steps check for themselves whether their work is
there already, so an index that had some of them under their old flags passes those quickly).

Two kinds of steps, and the record steps all come first:

- *record steps* change only the record's own tables (SQLite). A reader needs them (its queries name the
  columns), so every open applies them, all in one transaction with the version they reach: a process killed
  meanwhile leaves the record as it was, and the next open does them again.
- *writer steps* touch the vector store, read every article or rewrite the keyword index: they run at the start of
  an indexing run (`Indexer.index`, inside the writer's turn, so one process at a time), each followed by the new
  version. A step killed halfway left only work that is right in itself (tags, days, a new keyword version
  published atomically), so the next writer simply runs it again. Steps that count articles show it on the run's
  progress as a `Phase`. Until then an older index reads as before: untagged chunks are searched in every
  language, undated sentences have no day, the older keyword format is read by `LegacySnapshot`.

On a Chroma server the record is each machine's cache (``records.sqlite3``) of the server's: the version is that
cache's, and a writer step's work on the server is done once per archive (the language tags' flag is shared meta,
kept in the server; the search breadth is the collection's own setting), so another machine's run of it finds
its work done and only records its version. ``docs/architecture.md`` lists the steps.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.articles import Article
from assistant.dates import sentence_day
from assistant.indexing.keyword_index import KeywordSnapshot
from assistant.indexing.progress import Phase, ProgressCallback
from assistant.language import article_language
from assistant.protocols import KeywordIndexer

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from assistant.indexing.records import Records, SentenceRecord
    from assistant.indexing.shared_store import StoreAccess

log = logging.getLogger(__name__)

VERSION_KEY = "schema_version"
"""Meta key of the record: the number of the last upgrade step the index has had."""
FIRST_VERSION = 1
"""The version of a record made before the steps were numbered (and the starting point of a new one)."""
LANGUAGES_TAGGED = "chunk_languages"
"""Records flag: every chunk in the store carries its article's language. Shared meta on a Chroma server (the
tags are in the server's collection), so one machine's tagging serves every machine."""
SENTENCE_DAYS = "sentence_days"
"""Meta key: the sentences carry the days they speak about, as dated by the rules of version `DATING_VERSION`."""
DATING_VERSION = "5"  # 4: seasons with a year ("im Herbst 2023"); 5: undated articles date what names its year
TAG_BATCH = 500
"""Articles tagged per store write (a write per article took 24 ms each)."""
DATE_BATCH = 200
"""Articles dated per record transaction."""


@dataclass(frozen=True)
class Writing:
    """What a writer step works on: the record, the vector store as processes share it, the keyword index (None: this
    writer does not keep one) and the run's progress callback."""

    records: Records
    store: StoreAccess
    keyword: KeywordIndexer | None
    progress: ProgressCallback | None


@dataclass(frozen=True)
class RecordStep:
    version: int
    name: str
    run: Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class WriterStep:
    version: int
    name: str
    run: Callable[[Writing], bool]
    """True when done; False when this writer cannot do it (the version stays, a later writer does it)."""
    outdated: Callable[[Records], bool] | None = None
    """For a step with rules of its own (dating): True when the index was made by older rules, so the step runs
    again, once, though the index's version is past it."""


# --- record steps: the record's own tables, at every open ----------------------------------------------------
def _sentence_dtype(db: sqlite3.Connection) -> None:
    """Record how sentence vectors are stored: float16 since that held the eval; a record that already holds
    vectors from before kept float32 ones, which stay float32 (the record reads both, by this key)."""
    held = db.execute("SELECT 1 FROM sentences LIMIT 1").fetchone()
    db.execute("INSERT OR IGNORE INTO meta VALUES ('sentence_dtype', ?)", ("float32" if held else "float16",))


def _start_counting(db: sqlite3.Connection) -> None:
    """Count articles and chunks once (a record from before the counts); from then on every change counts."""
    if db.execute("SELECT 1 FROM meta WHERE key = 'article_count'").fetchone():
        return
    articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("article_count", articles), ("chunk_count", chunks)])


def _add_day_columns(db: sqlite3.Connection) -> None:
    """Give an older record's sentences their day columns (empty until the writer step `_date_sentences`)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(sentences)")}
    if "day_first" not in columns:
        db.execute("ALTER TABLE sentences ADD COLUMN day_first INTEGER")
        db.execute("ALTER TABLE sentences ADD COLUMN day_last INTEGER")


RECORD_STEPS: tuple[RecordStep, ...] = (
    RecordStep(2, "sentence vector type", _sentence_dtype),
    RecordStep(3, "article and chunk counts", _start_counting),
    RecordStep(4, "sentence day columns", _add_day_columns),
)


def upgrade_record(db: sqlite3.Connection) -> None:
    """Apply the record steps this record has not had, inside the caller's transaction (tables a version added
    were created by the schema's ``CREATE TABLE IF NOT EXISTS`` just before)."""
    db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (VERSION_KEY, str(FIRST_VERSION)))
    version = _version_in(db)
    for step in RECORD_STEPS:
        if step.version > version:
            step.run(db)
            db.execute("UPDATE meta SET value = ? WHERE key = ?", (str(step.version), VERSION_KEY))


def _version_in(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()[0])


# --- writer steps: the store, every article, the keyword index, at the start of an indexing run -------------------
def _widen_search(writing: Writing) -> bool:
    """The store widens its collection's search breadth when it opens it (`widen_search`: readers of an older
    collection need it before any writer comes); this step opens it, so the version can say it is done."""
    with writing.store.reading():
        return True


def _tag_languages(writing: Writing) -> bool:
    """Give every chunk of an index made before chunks carried their article's language that language, so
    retrieval searches each language of an older index too (about a second per thousand articles)."""
    records = writing.records
    if records.get_meta(LANGUAGES_TAGGED) == "1":
        return True
    articles = records.counts()[0]
    if articles:
        log.info("tagging the chunks of %d articles with their language (once, for an older index)", articles)
    tagged = 0
    batch: list[Article] = []
    for article in records.articles():
        batch.append(article)
        if len(batch) == TAG_BATCH:
            tagged += _tag(writing, batch)
            batch = []
            _report(writing, tagged, articles, Phase.LANGUAGE_TAGS)
    tagged += _tag(writing, batch)
    if tagged:
        _report(writing, tagged, articles, Phase.LANGUAGE_TAGS)
    records.set_meta(LANGUAGES_TAGGED, "1")
    return True


def _tag(writing: Writing, articles: list[Article]) -> int:
    """One store write per language for a batch of articles, then the record of their languages."""
    languages = {article.id: article_language(article.text) for article in articles}
    by_language: dict[str, list[str]] = {}
    for article_id, language in languages.items():
        by_language.setdefault(language, []).extend(c.id for c in writing.records.chunks_of(article_id))
    if by_language:
        with writing.store.writing() as store:
            for language, ids in by_language.items():
                store.set_language(ids, language)
    writing.records.set_languages(languages)
    return len(articles)


def _date_sentences(writing: Writing) -> bool:
    """Give every sentence of an index made before sentences carried their day (or dated by other rules) that
    day; each batch is one transaction that writes only what the text determines."""
    records = writing.records
    if records.get_meta(SENTENCE_DAYS) == DATING_VERSION:
        return True
    articles = records.counts()[0]
    dated = 0
    rows: list[tuple[str, int, int, int]] = []
    for article in records.articles():
        chunk_ids = [c.id for c in records.chunks_of(article.id)]
        for sentences in records.sentence_days(chunk_ids).values():
            for s in sentences:
                if (day := sentence_days(article, s.start, s.end)) is not None:
                    rows.append((s.chunk_id, s.start, *day))
        dated += 1
        if dated % DATE_BATCH == 0:
            records.set_sentence_days(rows)
            rows = []
            _report(writing, dated, articles, Phase.SENTENCE_DAYS)
    records.set_sentence_days(rows)
    if dated:
        _report(writing, dated, articles, Phase.SENTENCE_DAYS)
    records.set_meta(SENTENCE_DAYS, DATING_VERSION)
    return True


def _dated_by_older_rules(records: Records) -> bool:
    return records.get_meta(SENTENCE_DAYS) != DATING_VERSION


def _keyword_segments(writing: Writing) -> bool:
    """Rewrite a keyword index from before segments (one bm25s folder, read by `LegacySnapshot` until then)."""
    if writing.keyword is None:
        return False
    if not writing.keyword.is_current(writing.records):
        writing.keyword.update(writing.records)  # a folder in the older format is rebuilt
    return True


WRITER_STEPS: tuple[WriterStep, ...] = (
    WriterStep(5, "search breadth", _widen_search),
    WriterStep(6, "language tags", _tag_languages),
    WriterStep(7, "sentence days", _date_sentences, outdated=_dated_by_older_rules),
    WriterStep(8, "keyword segments", _keyword_segments),
)
LATEST = WRITER_STEPS[-1].version
"""The version of an index that has had every step."""


def schema_version(records: Records) -> int:
    """How far an index is upgraded (`LATEST`: fully)."""
    return int(records.get_meta(VERSION_KEY) or FIRST_VERSION)


def upgrade(
    records: Records,
    store: StoreAccess,
    keyword: KeywordIndexer | None = None,
    progress: ProgressCallback | None = None,
) -> list[str]:
    """Run the writer steps the index has not had, in order, each followed by its version; call it in the writer's
    turn. Returns the names of the steps run (none: the index was up to date)."""
    writing = Writing(records, store, keyword, progress)
    ran: list[str] = []
    for step in WRITER_STEPS:
        done = step.version <= schema_version(records)
        if done and (step.outdated is None or not step.outdated(records)):
            continue
        if not step.run(writing):
            break
        if not done:
            records.set_meta(VERSION_KEY, str(step.version))
        ran.append(step.name)
    return ran


def _report(writing: Writing, done: int, total: int, phase: Phase) -> None:
    if writing.progress is not None:
        writing.progress(done, total, phase)


# --- reading older data until (or while) it is upgraded ------------------------------------------------------
def sentence_days(article: Article, start: int, end: int) -> tuple[int, int] | None:
    """The (first, last) day numbers the sentence ``article.text[start:end]`` speaks about; None when undated."""
    span = sentence_day(article.text[start:end], article.published)
    return span.numbers() if span is not None else None


def dated(article: Article, sentence: SentenceRecord) -> SentenceRecord:
    """A sentence from a Chroma server with its day: as stored, or (stored there by an older version) dated on the
    way into this machine's cache, from the text it stands for. The server's sentences stay as they are: every
    cache dates them alike."""
    if sentence.day is not None:
        return sentence
    day = sentence_days(article, sentence.start, sentence.end)
    return sentence if day is None else replace(sentence, day=day)


def widen_search(collection: Collection, breadth: int) -> None:
    """A collection made before the store searched `breadth` wide searched narrower: widen it, once (a setting of
    the collection, kept in the store, so every process that opens it afterwards searches as wide). Called by the
    store whenever it opens the collection: readers of an older index need it before any writer comes."""
    hnsw = collection.configuration.get("hnsw")
    if hnsw is None or hnsw.get("ef_search", 0) < breadth:
        collection.modify(configuration={"hnsw": {"ef_search": breadth}})


class LegacySnapshot(KeywordSnapshot):
    """A keyword version written before the index was incremental (one bm25s folder): read as it was, until the
    writer step `_keyword_segments` (or any writer's update) rebuilds it in segments."""

    def __init__(self, version: str, folder: Path) -> None:
        super().__init__(version)
        import bm25s

        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self._ids: list[str] = meta["chunk_ids"]
        self._where = {cid: n for n, cid in enumerate(self._ids)}
        self._idf: dict[str, float] = meta["idf"]
        searchable = meta.get("searchable", bool(self._ids))
        self._bm25 = bm25s.BM25.load(folder, show_progress=False) if searchable else None
        self.applied = -1  # never current: the next writer rebuilds it

    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]:
        if self._bm25 is None or not query_tokens:
            return self._ids, np.zeros(len(self._ids), dtype=np.float32)
        return self._ids, np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    @property
    def chunk_count(self) -> int:
        return len(self._ids)

    @property
    def chunk_ids(self) -> list[str]:
        return list(self._ids)

    def position(self, chunk_id: str) -> int | None:
        return self._where.get(chunk_id)

    def idf(self, token: str) -> float:
        return self._idf.get(token, max(self._idf.values(), default=1.0))
