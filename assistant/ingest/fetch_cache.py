"""What was fetched from the web, so a feed polled again costs a conditional request and nothing more.

A cache, not a record: deleting ``<index_dir>/web.sqlite3`` only means pages are fetched once more (and
their unchanged content hashes still keep them from being embedded again). SQLite in WAL mode, so the
watcher, the CLI and the chat may poll at the same time.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

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


class WebState:
    """The fetch cache in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)

    def get(self, url: str) -> Seen | None:
        row = self._db.execute(
            "SELECT etag, modified, article_id, entry_updated FROM fetched WHERE url = ?", (url,)
        ).fetchone()
        return Seen(*row) if row else None

    def remember(self, seen: dict[str, Seen]) -> None:
        """Store what was fetched (after its articles were indexed), in one transaction."""
        now = time.time()
        rows = [(url, s.etag, s.modified, s.article_id, s.entry_updated, now) for url, s in seen.items()]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO fetched (url, etag, modified, article_id, entry_updated, checked_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
