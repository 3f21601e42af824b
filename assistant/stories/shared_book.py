"""The story book on a Chroma server, so that every machine of one archive sees the same story ids.

Collection ``<c>-stories`` beside the record's (`assistant.indexing.server_records`):

- ``m:<article id>``: one record per member: metadata = article id, the story it *joined*, its place in the
  book's order (``seq``) and its day; document = its terms and lead vector (JSON; the vector base64). A member
  never changes: a merge writes aliases instead;
- ``a:<old story id>``: one record per alias: the story an old id became (written flattened, read as a chain);
- ``changes``: the change marker, a fresh token after every write.

Only a writer holding the writers' lease writes, after its local transaction, and the marker last. Each machine's
``stories.sqlite3`` is a cache: when the marker moved since the state it last matched, it becomes the server's
book (`StoryBook.mirror`); its own assignments the server lacks are dropped there and made again by the catch-up.
A writer whose cache matched the marker makes the server match its cache instead (`reconcile`), which also
removes what a writer killed before moving the marker left; a writer killed after its local transaction thus
loses nothing: its next run (or, if another machine wrote first, that machine) repairs the server.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import StoreUnavailableError
from assistant.indexing.server_records import server_errors
from assistant.indexing.store import asked, never_embed_function
from assistant.stories.book import TOKEN, Entry, Stored, StoryBook

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import LiteralValue, LogicalOperator, Metadata, Where, WhereOperator

MARKER = "changes"
LOCAL = "local:"


@dataclass(frozen=True)
class State:
    """What the marker says of the server's book: its state's token and serial number (one on with every write),
    and the serial of the last write that removed records (a book that matched a later state can skip listing)."""

    token: str
    serial: int
    removals: int


class SharedBook:
    """The ``<collection>-stories`` collection of one Chroma server."""

    def __init__(self, client: ClientAPI, collection: str, url: str) -> None:
        self.url = url
        with server_errors(url):
            self.records: Collection = client.get_or_create_collection(
                f"{collection}-stories", embedding_function=never_embed_function()
            )
            self.batch = max(100, min(client.get_max_batch_size(), 5000))

    # --- the two directions -------------------------------------------------------------------
    def pull(self, book: StoryBook, *, force: bool = False) -> bool:
        """Make the local book the server's if the marker moved since the book last matched it; True if it did.

        A book that matched an earlier state, with nothing of its own since and nothing removed on the server
        since, takes in only the records written after that state (their serial number); otherwise every member's
        entry is listed. The marker is read before the records, so a write meanwhile moves it again and the next
        look pulls it."""
        with server_errors(self.url):
            state = self.state()
            if not force and _based_on(book) == state.token:
                return False
            since = book.server_serial()
            if not force and since is not None and _clean(book) and state.removals <= since < state.serial:
                entries, aliases = self._listing(since)
                local = book.stored(entries)
                wanted = [aid for aid, entry in entries.items() if aid not in local or local[aid].entry != entry]
                book.mirror_changes(entries, aliases, self._fetch(wanted), state.token, state.serial)
                return True
            entries, aliases = self._listing()
            known = book.entries()
            wanted = [aid for aid, entry in entries.items() if known.get(aid) != entry]
            book.mirror(entries, aliases, self._fetch(wanted), state.token, state.serial)
            return True

    def reconcile(self, book: StoryBook) -> None:
        """At the start of a writer's turn (the lease held): a book that matched the marker (or a server with no
        stories yet) is the truth and the server is made to match it; otherwise the book is made the server's.

        A book that matched the marker's very state and holds nothing unpushed needs only the records a writer
        killed before moving the marker left (those numbered after it) removed; other books list every record."""
        with server_errors(self.url):
            state = self.state()
            if state.token and state.token != (book.get_meta(TOKEN) or ""):  # behind, or changed in the cache only
                self.pull(book, force=True)
                return
            if state.token and book.server_serial() == state.serial and not book.unpushed():
                self._settle_strays(book, state)
                return
            entries, aliases = self._listing()
            local, local_aliases = book.entries(), book.aliases()
            gone = [f"m:{aid}" for aid in entries if aid not in local]
            gone += [f"a:{old}" for old in aliases if old not in local_aliases]
            self._delete(gone)
            serial = state.serial + 1
            changed = [aid for aid, entry in local.items() if entries.get(aid) != entry]
            self._put_members(book.stored(changed), serial)
            self._put_aliases({o: n for o, n in local_aliases.items() if aliases.get(o) != n}, serial)
            self._touch(book, state, removed=bool(gone))

    def _settle_strays(self, book: StoryBook, state: State) -> None:
        """The records written after the marker's state (a push killed before it moved the marker) made to match
        the book, which matched that state: those it lacks removed, those it holds otherwise written again."""
        entries, aliases = self._listing(state.serial)
        stored, local_aliases = book.stored(entries), book.aliases()
        gone = [f"m:{aid}" for aid in entries if aid not in stored]
        gone += [f"a:{old}" for old in aliases if old not in local_aliases]
        members = {aid: found for aid, found in stored.items() if entries[aid] != found.entry}
        fixed = {old: new for old, new in local_aliases.items() if old in aliases and aliases[old] != new}
        if gone or members or fixed:
            self._delete(gone)
            self._put_members(members, state.serial + 1)
            self._put_aliases(fixed, state.serial + 1)
            self._touch(book, state, removed=bool(gone))

    def push(self, book: StoryBook, members: Iterable[str], into: Iterable[str], removed: Sequence[str]) -> None:
        """After a writer's local transaction: the members it assigned, the aliases leading into the stories it
        touched, the members it removed (each record numbered with the state it belongs to); then the marker. The
        book is noted as matching the new marker only if it matched the old one (a book that had fallen behind
        pulls at its next look)."""
        with server_errors(self.url):
            state = self.state()
            matched = state.token == (book.get_meta(TOKEN) or "")
            self._put_members(book.stored(members), state.serial + 1)
            self._put_aliases(book.aliases(into), state.serial + 1)
            self._delete([f"m:{aid}" for aid in removed])
            self._touch(book if matched else None, state, removed=bool(removed))

    @staticmethod
    def diverged(book: StoryBook) -> None:
        """Note that a reader changed the cache on its own (its catch-up assigned or removed articles the
        server's book does not show yet): readers keep it, the next writer pulls over it and assigns again."""
        token = book.get_meta(TOKEN) or ""
        if not token.startswith(LOCAL):
            book.set_meta(TOKEN, LOCAL + token)

    # --- records ------------------------------------------------------------------------------
    def marker(self) -> str:
        return self.state().token

    def state(self) -> State:
        """The marker: the server's book state (its token, its serial number, the serial of its last removal)."""
        got = self.records.get(ids=[MARKER], include=["metadatas"])
        if not got["ids"]:
            return State("", 0, 0)
        meta = asked(got["metadatas"])[0]
        serial, removals = meta.get("serial"), meta.get("removals")
        return State(
            str(meta["token"]),
            serial if isinstance(serial, int) else 0,
            removals if isinstance(removals, int) else (serial if isinstance(serial, int) else 0),
        )

    def _touch(self, book: StoryBook | None, state: State, *, removed: bool) -> None:
        """Move the marker to the next state (a fresh token, the serial one on, the removal noted)."""
        token, serial = uuid.uuid4().hex, state.serial + 1
        meta: Metadata = {"token": token, "at": time.time(), "serial": serial,
                          "removals": serial if removed else state.removals}  # fmt: skip
        self.records.upsert(ids=[MARKER], embeddings=np.ones((1, 1), np.float32), metadatas=[meta], documents=[""])
        if book is not None:
            book.matched_server(token, serial)

    def _listing(self, after: int | None = None) -> tuple[dict[str, Entry], dict[str, str]]:
        """Every member's entry and every alias (or those written after state `after`), page by page without
        documents."""
        entries: dict[str, Entry] = {}
        aliases: dict[str, str] = {}
        where: Where | None = None
        if after is not None:
            later: dict[WhereOperator | LogicalOperator, LiteralValue] = {"$gt": after}
            where = {"serial": later}
        for record_id, meta in self._pages(where):
            if record_id.startswith("m:"):
                day = meta.get("day")
                entries[record_id[2:]] = Entry(_text(meta, "joined"), _number(meta, "seq"), _day(day))
            elif record_id.startswith("a:"):
                aliases[record_id[2:]] = _text(meta, "new")
        return entries, aliases

    def _pages(self, where: Where | None) -> Iterator[tuple[str, Metadata]]:
        offset = 0
        while True:
            got = self.records.get(where=where, include=["metadatas"], limit=self.batch, offset=offset)
            yield from zip(got["ids"], asked(got["metadatas"]), strict=True)
            if len(got["ids"]) < self.batch:
                return
            offset += self.batch

    def _fetch(self, article_ids: Sequence[str]) -> dict[str, Stored]:
        found: dict[str, Stored] = {}
        for lo in range(0, len(article_ids), self.batch):
            ids = [f"m:{aid}" for aid in article_ids[lo : lo + self.batch]]
            got = self.records.get(ids=ids, include=["metadatas", "documents"])
            for record_id, meta, document in zip(
                got["ids"], asked(got["metadatas"]), asked(got["documents"]), strict=True
            ):
                body = json.loads(document)
                vector = np.frombuffer(base64.b64decode(body["vector"]), dtype=np.float32).copy()
                entry = Entry(_text(meta, "joined"), _number(meta, "seq"), _day(meta.get("day")))
                found[record_id[2:]] = Stored(entry, vector, body["terms"])
        return found

    def _put_members(self, stored: dict[str, Stored], serial: int) -> None:
        items = sorted(stored.items())
        self._upsert(
            [f"m:{aid}" for aid, _ in items],
            [_member_meta(aid, s.entry, serial) for aid, s in items],
            [_member_document(s) for _, s in items],
        )

    def _put_aliases(self, aliases: dict[str, str], serial: int) -> None:
        items = sorted(aliases.items())
        self._upsert(
            [f"a:{old}" for old, _ in items],
            [{"old": old, "new": new, "serial": serial} for old, new in items],
            ["" for _ in items],
        )

    def _upsert(self, ids: list[str], metadatas: list[Metadata], documents: list[str]) -> None:
        """Records written in batches of `batch` (Chroma limits one write); their vectors are placeholders."""
        for lo in range(0, len(ids), self.batch):
            part = slice(lo, lo + self.batch)
            self.records.upsert(
                ids=ids[part],
                embeddings=np.ones((len(ids[part]), 1), np.float32),
                metadatas=metadatas[part],
                documents=documents[part],
            )

    def _delete(self, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), self.batch):
            self.records.delete(ids=list(ids[lo : lo + self.batch]))


def _clean(book: StoryBook) -> bool:
    """The book holds the server's state as it matched it: nothing assigned in the cache only, nothing unpushed."""
    token = book.get_meta(TOKEN) or ""
    return bool(token) and not token.startswith(LOCAL) and not book.unpushed()


def _based_on(book: StoryBook) -> str:
    """The marker token the book's state comes from (its own changes aside)."""
    token = book.get_meta(TOKEN) or ""
    return token.removeprefix(LOCAL)


def _member_meta(article_id: str, entry: Entry, serial: int) -> dict[str, str | int]:
    meta: dict[str, str | int] = {"article_id": article_id, "joined": entry.joined, "seq": entry.seq, "serial": serial}
    if entry.day is not None:
        meta["day"] = entry.day
    return meta


def _member_document(stored: Stored) -> str:
    vector = base64.b64encode(np.asarray(stored.vector, np.float32).tobytes()).decode("ascii")
    return json.dumps({"terms": stored.terms, "vector": vector})


def _text(meta: Metadata, key: str) -> str:
    value = meta.get(key)
    if not isinstance(value, str):
        raise StoreUnavailableError(f"a story record on the server has no text {key!r}")
    return value


def _number(meta: Metadata, key: str) -> int:
    value = meta.get(key)
    if not isinstance(value, int):
        raise StoreUnavailableError(f"a story record on the server has no number {key!r}")
    return value


def _day(value: object) -> int | None:
    return value if isinstance(value, int) else None
