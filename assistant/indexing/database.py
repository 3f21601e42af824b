"""A SQLite file that many threads and processes share: the connection set-up in one place.

- one connection per thread: SQLite transactions belong to a connection, and questions run in threads;
- autocommit (``isolation_level=None``): each caller opens its own transactions (`transaction`);
- WAL: readers never wait for a writer, and a reader's transaction sees one state of the file;
- a busy timeout: a writer waits for another one instead of failing at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class _PerThread(threading.local):
    """Each thread's own connection (None until the thread first asks)."""

    db: sqlite3.Connection | None = None


class SharedFile:
    """Connections to one SQLite file, one per thread, all closed by `close` (the next use opens afresh).

    `fast_commits` sets ``synchronous=NORMAL``: in WAL mode a killed process still loses no commit, only a power
    failure may lose the last ones, and no commit waits for an fsync (the index's record and story book, which
    can be rebuilt; a store of users' own records keeps SQLite's default)."""

    def __init__(
        self, path: Path, *, busy_seconds: float = 60.0, fast_commits: bool = True, foreign_keys: bool = False
    ) -> None:
        self.path = path
        self.busy_seconds = busy_seconds
        self.fast_commits = fast_commits
        self.foreign_keys = foreign_keys
        self._local = _PerThread()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        db = self._local.db
        if db is None:
            db = self._connect()
            self._local.db = db
            with self._opened_lock:
                self._opened.append(db)
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_seconds)
        db.execute("PRAGMA journal_mode=WAL")
        if self.fast_commits:
            db.execute("PRAGMA synchronous=NORMAL")
        if self.foreign_keys:
            db.execute("PRAGMA foreign_keys=ON")
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic step: all of it is on disk, or none of it (taken as a writer at once, so two writers queue
        at the start instead of failing halfway)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._opened_lock:
            for db in self._opened:
                db.close()
            self._opened.clear()
        self._local = _PerThread()


def rows_where_in(db: sqlite3.Connection, query: str, ids: Sequence[str]) -> Iterator[tuple]:
    """Rows of `query` (with ``{}`` where the id placeholders go) for many ids, 500 per statement (SQLite limits
    the variables of one statement)."""
    for lo in range(0, len(ids), 500):
        part = list(ids[lo : lo + 500])
        yield from db.execute(query.format(",".join("?" * len(part))), part).fetchall()
