"""The indexing record: which articles (full text and metadata) and which chunk ids the index holds.

It is the source of truth that keeps the vector store (and the keyword index) in step, and what makes
indexing incremental and crash-safe:

- an article's content hash decides whether it is unchanged, updated or new;
- chunk ids written to the vector store are first recorded as *pending*; a run killed at any point
  leaves at most pending ids behind, and the next run deletes those that are not current (`recover`).

SQLite in WAL mode: every step is one transaction, so a SIGKILL never leaves a half-written row. Each
thread has its own connection, so a question can read one consistent snapshot (`snapshot`) while another
thread or process commits articles.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answers import Passage
from assistant.articles import Article
from assistant.indexing.database import SharedFile, rows_where_in
from assistant.indexing.migrations import upgrade_record
from assistant.language import article_language

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, text TEXT NOT NULL, title TEXT NOT NULL,
    source TEXT NOT NULL, url TEXT NOT NULL, published TEXT, path TEXT NOT NULL, indexed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE INDEX IF NOT EXISTS articles_arrival ON articles(indexed_at);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, vector BLOB NOT NULL, day_first INTEGER, day_last INTEGER
);
CREATE INDEX IF NOT EXISTS sentences_chunk ON sentences(chunk_id);
CREATE TABLE IF NOT EXISTS pending (chunk_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS article_languages (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE, language TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_languages_language ON article_languages(language);
CREATE TABLE IF NOT EXISTS keyword_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL, added INTEGER NOT NULL
);
"""
SENTENCE_DTYPES: dict[str, type[np.floating]] = {"float16": np.float16, "float32": np.float32}
"""How sentence vectors are stored: float16 in indexes created since it held the eval, float32 in older ones."""


@dataclass(frozen=True)
class SentenceRecord:
    """One sentence of a chunk (offsets into the article) and its passage vector, for choosing quotes."""

    chunk_id: str
    start: int
    end: int
    vector: np.ndarray
    day: tuple[int, int] | None = None  # first and last day it speaks about (20200617); None: not dated


@dataclass(frozen=True)
class DatedSentence:
    """A sentence's place and the days it speaks about (no vector): what a timeline ranks days with."""

    chunk_id: str
    start: int
    end: int
    day: tuple[int, int] | None


@dataclass(frozen=True)
class ChunkRecord:
    """Where one stored chunk lies in its article."""

    id: str
    article_id: str
    ordinal: int
    start: int
    end: int


@dataclass(frozen=True)
class ArticleHead:
    """An article's fields without its text (lists of many articles need no text)."""

    id: str
    title: str
    source: str
    url: str
    published: str | None


class Records:
    """The indexing record in ``<index_dir>/records.sqlite3``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = SharedFile(path, foreign_keys=True)
        self._db.executescript(_SCHEMA)
        with self.transaction() as db:  # an older record's own tables are upgraded at once (`migrations`)
            upgrade_record(db)
            dtype = db.execute("SELECT value FROM meta WHERE key = 'sentence_dtype'").fetchone()[0]
        self.sentence_dtype = SENTENCE_DTYPES[dtype]

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection (SQLite transactions belong to a connection, questions run in threads)."""
        return self._file.db

    def close(self) -> None:
        self._file.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read of this thread inside sees one state of the record, whatever writers commit meanwhile.

        The snapshot is taken at the first read inside (SQLite's deferred read transaction in WAL mode)."""
        db = self._db
        if db.in_transaction:  # nested: the outer snapshot holds
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic step: all of it is on disk, or none of it."""
        return self._file.transaction()

    # --- meta -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- articles -------------------------------------------------------------------------------
    def content_hash(self, article_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def path_of(self, article_id: str) -> str | None:
        """The file an article was read from ("" for one given from Python), or None if not recorded."""
        row = self._db.execute("SELECT path FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(
            "SELECT id, text, title, source, url, published, path FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _article_from_row(row) if row else None

    def articles(self, page: int = 200) -> Iterator[Article]:
        """Every article, in id order, read `page` at a time: at 100,000 articles all texts at once are about
        300 MB, and a caller may write between pages (an open cursor would hold the read)."""
        after = ""
        while True:
            rows = self._db.execute(
                "SELECT id, text, title, source, url, published, path FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (after, page),
            ).fetchall()
            yield from (_article_from_row(row) for row in rows)
            if len(rows) < page:
                return
            after = rows[-1][0]

    def article_ids(self) -> set[str]:
        """The ids of every stored article (no text read)."""
        return {row[0] for row in self._db.execute("SELECT id FROM articles")}

    def heads(self, article_ids: list[str]) -> dict[str, ArticleHead]:
        """The fields of the given articles that are stored, without reading their texts."""
        query = "SELECT id, title, source, url, published FROM articles WHERE id IN ({})"
        return {row[0]: ArticleHead(*row) for row in self._where_in(query, article_ids)}

    def published_between(self, first: str, last: str) -> list[str]:
        """Ids of the articles published from day `first` to day `last` (ISO, both included), by day."""
        rows = self._db.execute(
            "SELECT id FROM articles WHERE published >= ? AND published <= ? ORDER BY published, id", (first, last)
        )
        return [row[0] for row in rows]

    def indexed_after(self, article_ids: list[str], at: float) -> set[str]:
        """Those of `article_ids` (re)indexed after Unix time `at`: what arrived since someone last looked."""
        query = "SELECT id FROM articles WHERE indexed_at > ? AND id IN ({})"
        found: set[str] = set()
        for lo in range(0, len(article_ids), 500):
            part = article_ids[lo : lo + 500]
            rows = self._db.execute(query.format(",".join("?" * len(part))), [at, *part]).fetchall()
            found.update(row[0] for row in rows)
        return found

    def arrived_after(self, at: float) -> list[tuple[str, float]]:
        """(id, when) of every article (re)indexed after Unix time `at`, latest first: what arrived since someone last
        looked, whatever day it was published (an index on the time: the cost follows the arrivals, not the archive)."""
        rows = self._db.execute(
            "SELECT id, indexed_at FROM articles WHERE indexed_at > ? ORDER BY indexed_at DESC, id", (at,)
        )
        return [(row[0], float(row[1])) for row in rows]

    def sources(self) -> list[str]:
        """The distinct non-empty sources of the stored articles, sorted (without reading any text)."""
        rows = self._db.execute("SELECT DISTINCT source FROM articles WHERE source != '' ORDER BY source")
        return [row[0] for row in rows]

    def articles_under(self, scope: str) -> list[tuple[str, str]]:
        """(id, path) of articles read from the file `scope` or from any file below the folder `scope`."""
        prefix = scope.rstrip("/") + "/"
        rows = self._db.execute(
            "SELECT id, path FROM articles WHERE path = ? OR substr(path, 1, ?) = ?", (scope, len(prefix), prefix)
        )
        return [(row[0], row[1]) for row in rows]

    def has_language(self, language: str) -> bool:
        """Whether any article is in `language` (a search restricted to a language the index lacks costs as much
        as a full one: 95 ms at 421,527 chunks, for nothing)."""
        row = self._db.execute("SELECT 1 FROM article_languages WHERE language = ? LIMIT 1", (language,)).fetchone()
        return row is not None

    def set_languages(self, languages: dict[str, str]) -> None:
        """Record articles' languages (for an index made before the record kept them)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO article_languages VALUES (?, ?)", list(languages.items()))

    def counts(self) -> tuple[int, int]:
        """(articles, chunks) currently recorded: kept in step by every change, as counting rows costs tens of
        milliseconds per question at 400,000 chunks."""
        rows = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('article_count', 'chunk_count')"))
        return int(rows["article_count"]), int(rows["chunk_count"])

    # --- chunks ---------------------------------------------------------------------------------
    def chunks_of(self, article_id: str) -> list[ChunkRecord]:
        rows = self._db.execute(
            "SELECT id, article_id, ordinal, start, end FROM chunks WHERE article_id = ? ORDER BY ordinal",
            (article_id,),
        )
        return [ChunkRecord(*row) for row in rows]

    def lead_passage(self, article_id: str) -> Passage | None:
        """The article's first chunk as a passage: where a news article says what it is about (overview
        questions are answered from it). None when the article or its chunks are gone."""
        article, chunks = self.article(article_id), self.chunks_of(article_id)
        if article is None or not chunks:
            return None
        return _as_passage(article, chunks[0])

    def passages_of(self, article: Article) -> list[Passage]:
        """Every chunk of `article` as a passage, in article order (a story's timeline reads them all)."""
        return [_as_passage(article, chunk) for chunk in self.chunks_of(article.id)]

    def all_chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT id FROM chunks")}

    def all_chunks(self) -> list[ChunkRecord]:
        rows = self._db.execute("SELECT id, article_id, ordinal, start, end FROM chunks ORDER BY article_id, ordinal")
        return [ChunkRecord(*row) for row in rows]

    # --- the write-ahead steps ------------------------------------------------------------------
    def mark_pending(self, chunk_ids: Iterable[str]) -> None:
        """Record chunk ids before they are written to (or deleted from) the vector store."""
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(i,) for i in chunk_ids])

    def pending(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM pending")}

    def clear_pending(self, chunk_ids: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(i,) for i in chunk_ids])

    def _sentence_rows(self, chunk_ids: list[str]) -> Iterator[tuple[str, int, int, bytes]]:
        """(chunk id, start, end, vector bytes) of the given chunks' sentences, in few queries, in article order."""
        for lo in range(0, len(chunk_ids), 500):
            part = chunk_ids[lo : lo + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT chunk_id, start, end, vector FROM sentences WHERE chunk_id IN ({marks})"
            yield from self._db.execute(query + " ORDER BY chunk_id, start", part)

    def sentences_of(self, chunk_ids: Iterable[str]) -> dict[str, list[SentenceRecord]]:
        """Sentences (with vectors) of the given chunks, in article order."""
        ids = list(chunk_ids)
        found: dict[str, list[SentenceRecord]] = {chunk_id: [] for chunk_id in ids}
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            query = "SELECT chunk_id, start, end, vector, day_first, day_last FROM sentences WHERE chunk_id IN ({})"
            for chunk_id, start, end, blob, first, last in self._db.execute(
                query.format(",".join("?" * len(part))) + " ORDER BY chunk_id, start", part
            ):
                vector = np.frombuffer(blob, dtype=self.sentence_dtype).astype(np.float32)
                day = (first, last) if first is not None else None
                found[chunk_id].append(SentenceRecord(chunk_id, start, end, vector, day))
        return found

    def sentence_days(self, chunk_ids: Iterable[str]) -> dict[str, list[DatedSentence]]:
        """The given chunks' sentences with their days, in article order (no vectors: cheap for many chunks)."""
        ids = list(chunk_ids)
        found: dict[str, list[DatedSentence]] = {chunk_id: [] for chunk_id in ids}
        query = "SELECT chunk_id, start, end, day_first, day_last FROM sentences WHERE chunk_id IN ({})"
        for chunk_id, start, end, first, last in self._where_in(query + " ORDER BY chunk_id, start", ids):
            found[chunk_id].append(DatedSentence(chunk_id, start, end, (first, last) if first is not None else None))
        return found

    def set_sentence_days(self, days: list[tuple[str, int, int, int]]) -> None:
        """Record (chunk id, start, first day, last day) of sentences dated after they were stored, in one step
        (an index made before sentences carried their day)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE sentences SET day_first = ?, day_last = ? WHERE chunk_id = ? AND start = ?",
                [(first, last, chunk_id, start) for chunk_id, start, first, last in days],
            )

    def sentence_matrix(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Each chunk's sentence vectors as one (n, dim) matrix (the question path: no per-sentence objects)."""
        rows: dict[str, list[bytes]] = {}
        for chunk_id, _, _, blob in self._sentence_rows(chunk_ids):
            rows.setdefault(chunk_id, []).append(blob)
        dtype = self.sentence_dtype
        return {
            cid: np.frombuffer(b"".join(blobs), dtype=dtype).reshape(len(blobs), -1).astype(np.float32)
            for cid, blobs in rows.items()
        }

    def commit_article(
        self,
        article: Article,
        content_hash: str,
        chunks: list[ChunkRecord],
        sentences: Sequence[SentenceRecord] = (),
    ) -> list[str]:
        """Make `article` and its new chunks current in one step; return the ids of its replaced chunks.

        The replaced ids are marked pending in the same transaction, so a crash before they are deleted
        from the vector store is repaired by the next run.
        """
        with self.transaction() as db:
            old = [row[0] for row in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article.id,))]
            new_article = db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone() is None
            _count(db, int(new_article), len(chunks) - len(old))
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(i,) for i in old])
            db.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
            db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id,
                    content_hash,
                    article.text,
                    article.title,
                    article.source,
                    article.url,
                    article.published,
                    article.path,
                    time.time(),
                ),
            )
            db.execute(
                "INSERT OR REPLACE INTO article_languages VALUES (?, ?)", (article.id, article_language(article.text))
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
                [(c.id, c.article_id, c.ordinal, c.start, c.end) for c in chunks],
            )
            db.executemany(
                "INSERT INTO sentences (chunk_id, start, end, vector, day_first, day_last) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.chunk_id,
                        s.start,
                        s.end,
                        s.vector.astype(self.sentence_dtype).tobytes(),
                        *(s.day or (None, None)),
                    )
                    for s in sentences
                ],
            )
            db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(c.id,) for c in chunks])
            _log_keyword_change(db, old, added=False)
            _log_keyword_change(db, [c.id for c in chunks], added=True)
            self._touch(db)
        new_ids = {c.id for c in chunks}
        return [i for i in old if i not in new_ids]

    def remove_article(self, article_id: str) -> list[str]:
        """Forget `article_id`; its chunk ids become pending until deleted from the vector store."""
        with self.transaction() as db:
            old = [row[0] for row in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(i,) for i in old])
            removed = db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount
            _count(db, -removed, -len(old))
            _log_keyword_change(db, old, added=False)
            self._touch(db)
        return old

    def current_chunk_ids(self, chunk_ids: Iterable[str]) -> set[str]:
        """Those of `chunk_ids` that belong to a committed article (a killed run's leftovers do not)."""
        ids = list(chunk_ids)
        found: set[str] = set()
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            rows = self._db.execute(f"SELECT id FROM chunks WHERE id IN ({','.join('?' * len(part))})", part)
            found.update(row[0] for row in rows)
        return found

    def store_generation(self) -> int:
        """Counts the writes to the vector store: a reader whose store client is older must reopen it."""
        return int(self.get_meta("store_generation") or 0)

    def next_store_generation(self) -> int:
        """Announce a write to the vector store (before it starts, so a write killed halfway is noticed too)."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'store_generation'").fetchone()
            generation = int(row[0]) + 1 if row else 1
            db.execute("INSERT OR REPLACE INTO meta VALUES ('store_generation', ?)", (str(generation),))
        return generation

    # --- what the keyword index has to catch up with -----------------------------------------------
    def keyword_changes(self, after: int) -> list[tuple[int, str, bool]]:
        """(sequence number, chunk id, added) of every chunk added or removed since change `after`, in order."""
        rows = self._db.execute("SELECT seq, chunk_id, added FROM keyword_log WHERE seq > ? ORDER BY seq", (after,))
        return [(seq, chunk_id, bool(added)) for seq, chunk_id, added in rows]

    def keyword_head(self) -> int:
        """The number of the last chunk change ever logged (0: none), also after the log was trimmed."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'keyword_log'").fetchone()
        return int(row[0]) if row else 0

    def keyword_trimmed(self) -> int:
        """Changes up to this number are gone from the log: a keyword index older than that must be rebuilt."""
        return int(self.get_meta("keyword_trimmed") or 0)

    def trim_keyword_log(self, upto: int) -> None:
        """Forget the changes a published keyword version holds (the log stays as short as the work left)."""
        with self.transaction() as db:
            db.execute("DELETE FROM keyword_log WHERE seq <= ?", (upto,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('keyword_trimmed', ?)", (str(upto),))

    def chunk_texts(self, chunk_ids: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        """(chunk id, text) of the given chunks that are current, or of every chunk (streamed, for a rebuild)."""
        query = "SELECT c.id, c.start, c.end, a.text FROM chunks c JOIN articles a ON a.id = c.article_id"
        if chunk_ids is None:
            rows: Iterable[tuple[str, int, int, str]] = self._db.execute(query + " ORDER BY c.article_id, c.ordinal")
        else:
            rows = self._where_in(query + " WHERE c.id IN ({})", list(chunk_ids))
        for chunk_id, start, end, text in rows:  # sliced here: SQLite's substr stops at a NUL character
            yield chunk_id, text[start:end]

    def _where_in(self, query: str, ids: list[str]) -> Iterator[tuple]:
        return rows_where_in(self._db, query, ids)

    def last_changed(self) -> float | None:
        value = self.get_meta("last_changed")
        return float(value) if value else None

    @staticmethod
    def _touch(db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('last_changed', ?)", (repr(time.time()),))


def _count(db: sqlite3.Connection, articles: int, chunks: int) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'article_count'", (articles,))
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'chunk_count'", (chunks,))


def _log_keyword_change(db: sqlite3.Connection, chunk_ids: list[str], *, added: bool) -> None:
    """In the same transaction as the change itself: the keyword index cannot miss it, even after a crash."""
    db.executemany("INSERT INTO keyword_log (chunk_id, added) VALUES (?, ?)", [(i, int(added)) for i in chunk_ids])


def _article_from_row(row: tuple) -> Article:
    article_id, text, title, source, url, published, path = row
    return Article(id=article_id, text=text, title=title, source=source, url=url, published=published, path=path)


def _as_passage(article: Article, chunk: ChunkRecord) -> Passage:
    """A stored chunk as a passage (score 0: not retrieved for a question)."""
    return Passage(
        article_id=article.id,
        title=article.title,
        text=article.text[chunk.start : chunk.end],
        start=chunk.start,
        end=chunk.end,
        score=0.0,
        source=article.source,
        published=article.published,
        url=article.url,
        chunk_id=chunk.id,
    )
