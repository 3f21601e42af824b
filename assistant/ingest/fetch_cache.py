"""What was fetched from the web, so a feed polled again costs a conditional request and nothing more.

A cache, not a record: deleting ``<index_dir>/web.sqlite3`` only means pages are fetched once more (and
their unchanged content hashes still keep them from being embedded again). SQLite in WAL mode, so the
watcher, the CLI and the chat may poll at the same time; the file's connections are set up by
`assistant.indexing.database.SharedFile`, handed in by the facade (ingest sits below indexing).
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetched (
    url TEXT PRIMARY KEY, etag TEXT, modified TEXT, article_id TEXT, entry_updated TEXT, checked_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Seen:
    """One URL as last fetched: its validators, the article it became, and its feed entry's update stamp."""

    etag: str | None
    modified: str | None
    article_id: str | None
    entry_updated: str | None


class SQLiteFile(Protocol):
    """A SQLite file shared by threads and processes (`assistant.indexing.database.SharedFile`)."""

    @property
    def path(self) -> Path: ...

    @property
    def db(self) -> sqlite3.Connection: ...

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def close(self) -> None: ...


class WebState:
    """The fetch cache in one SQLite file."""

    def __init__(self, file: SQLiteFile) -> None:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = file
        file.db.executescript(_SCHEMA)

    def get(self, url: str) -> Seen | None:
        row = self._file.db.execute(
            "SELECT etag, modified, article_id, entry_updated FROM fetched WHERE url = ?", (url,)
        ).fetchone()
        return Seen(*row) if row else None

    def remember(self, seen: dict[str, Seen]) -> None:
        """Store what was fetched (after its articles were indexed), in one transaction."""
        now = time.time()
        rows = [(url, s.etag, s.modified, s.article_id, s.entry_updated, now) for url, s in seen.items()]
        with self._file.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO fetched (url, etag, modified, article_id, entry_updated, checked_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def close(self) -> None:
        self._file.close()
