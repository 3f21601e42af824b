"""What each user keeps beside the archive (conversations; the stories' saved questions), on the index's storage.

One record per thing kept, never a read-modify-write: a conversation is a head record and one record per turn,
so two processes adding turns at once lose neither, and a crash leaves whole records only. Two homes, the same
records:

- `FolderUserStore`: ``user_records.sqlite`` in the index directory (SQLite in WAL mode, one transaction per
  change), shared by every process on that folder;
- `ServerUserStore`: the collection ``<collection>-user-records`` on the Chroma server (``ASSISTANT_CHROMA_URL``),
  so conversations follow the archive to every machine that uses it.

A record: ``user`` (who keeps it), ``kind`` (``conversation``, ``turn``, …), ``key`` (unique per user),
``group`` (what it belongs to: a conversation's id), ``at`` (Unix time) and ``body`` (a JSON object).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.core import Assistant
from assistant.indexing.database import SharedFile
from assistant.indexing.server_records import DUMMY, server_errors, shared_client
from assistant.indexing.store import asked, never_embed_function

if TYPE_CHECKING:  # chromadb is imported when a client opens, not with this module
    from chromadb.api.types import Metadata, Where

FILE = "user_records.sqlite"
Body = dict[str, object]


@dataclass(frozen=True)
class UserRecord:
    user: str
    kind: str
    key: str
    group: str
    at: float
    body: Body


class UserStore(Protocol):
    """Records kept per user: put (insert or replace by key), read a user's records, delete a group."""

    def put(self, record: UserRecord) -> None: ...

    def records(self, user: str, *, kind: str | None = None, group: str | None = None) -> list[UserRecord]: ...

    def delete_group(self, user: str, group: str) -> int: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS user_records (
    user TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, grp TEXT NOT NULL, at REAL NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (user, key)
);
CREATE INDEX IF NOT EXISTS user_records_group ON user_records(user, grp);
"""


class FolderUserStore:
    """The records in a SQLite file beside the index (WAL: readers never wait for a writer)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = SharedFile(self.path, busy_seconds=30, fast_commits=False)  # users' own records: fsync each
        self._made = False

    def _db(self) -> sqlite3.Connection:
        if not self._made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file.db.executescript(_SCHEMA)
            self._made = True
        return self._file.db

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        self._db()
        return self._file.transaction()

    def put(self, record: UserRecord) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO user_records VALUES (?, ?, ?, ?, ?, ?)",
                (record.user, record.kind, record.key, record.group, record.at, json.dumps(record.body)),
            )

    def records(self, user: str, *, kind: str | None = None, group: str | None = None) -> list[UserRecord]:
        query, values = "SELECT user, kind, key, grp, at, body FROM user_records WHERE user = ?", [user]
        if kind is not None:
            query, values = query + " AND kind = ?", [*values, kind]
        if group is not None:
            query, values = query + " AND grp = ?", [*values, group]
        rows = self._db().execute(query + " ORDER BY at, key", values).fetchall()
        return [UserRecord(u, k, key, g, at, json.loads(body)) for u, k, key, g, at, body in rows]

    def delete_group(self, user: str, group: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM user_records WHERE user = ? AND grp = ?", (user, group)).rowcount


class ServerUserStore:
    """The records in a collection of the Chroma server that holds the archive (one record per thing kept)."""

    def __init__(self, url: str, collection: str) -> None:
        self.url = url
        with server_errors(url):
            client = shared_client(url)
            self.collection = client.get_or_create_collection(
                f"{collection}-user-records", embedding_function=never_embed_function()
            )

    def put(self, record: UserRecord) -> None:
        meta: Metadata = {"user": record.user, "kind": record.kind, "group": record.group, "at": record.at}
        with server_errors(self.url):
            self.collection.upsert(
                ids=[_server_id(record.user, record.key)],
                embeddings=DUMMY,
                metadatas=[meta],
                documents=[json.dumps(record.body)],
            )

    def records(self, user: str, *, kind: str | None = None, group: str | None = None) -> list[UserRecord]:
        conditions: list[Where] = [{"user": user}]
        if kind is not None:
            conditions.append({"kind": kind})
        if group is not None:
            conditions.append({"group": group})
        where: Where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        with server_errors(self.url):
            got = self.collection.get(where=where, include=["metadatas", "documents"])
        found = [
            UserRecord(
                str(meta["user"]),
                str(meta["kind"]),
                record_id.split("\x1f", 1)[1],
                str(meta["group"]),
                _number(meta["at"]),
                json.loads(document),
            )
            for record_id, meta, document in zip(
                got["ids"], asked(got["metadatas"]), asked(got["documents"]), strict=True
            )
        ]
        return sorted(found, key=lambda record: (record.at, record.key))

    def delete_group(self, user: str, group: str) -> int:
        with server_errors(self.url):
            got = self.collection.get(where={"$and": [{"user": user}, {"group": group}]}, include=[])
            if got["ids"]:
                self.collection.delete(ids=got["ids"])
        return len(got["ids"])


def _server_id(user: str, key: str) -> str:
    return f"{user}\x1f{key}"  # a separator no user name or key contains


_OPENED: dict[tuple[str, str], UserStore] = {}
_OPENING = threading.Lock()


def user_store_for(assistant: Assistant) -> UserStore:
    """The store on the archive's own storage: its Chroma server when it lives there, else its folder. One per
    archive in a process, opened at first use: the chat's conversations, visits and saved questions and its API
    share it (each opened its own before)."""
    settings = assistant.settings
    path = assistant.index_dir / FILE
    key = (settings.chroma_url, settings.collection) if settings.chroma_url else ("", str(path.resolve()))
    with _OPENING:
        if key not in _OPENED:
            url = settings.chroma_url
            _OPENED[key] = ServerUserStore(url, settings.collection) if url else FolderUserStore(path)
        return _OPENED[key]


def _number(value: object) -> float:
    """A time the server keeps as a number (a record that is not one is not this store's)."""
    if not isinstance(value, int | float):
        raise TypeError(f"expected a number in the user records, got {value!r}")
    return float(value)
