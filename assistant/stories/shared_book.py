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
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import StoreUnavailableError
from assistant.indexing.server_records import server_errors
from assistant.indexing.store import asked, never_embed_function
from assistant.stories.book import Entry, Stored, StoryBook

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Metadata

MARKER = "changes"
TOKEN = "server_token"
"""The book's meta key: the server marker's token the book last matched (``local:<token>``: matched it, then
changed in this cache only, by a reader's catch-up)."""
LOCAL = "local:"


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

        The marker is read before the records, so a write meanwhile moves it again and the next look pulls it."""
        with server_errors(self.url):
            token = self.marker()
            if not force and _based_on(book) == token:
                return False
            entries, aliases = self._listing()
            local = book.entries()
            wanted = [aid for aid, entry in entries.items() if local.get(aid) != entry]
            book.mirror(entries, aliases, self._fetch(wanted), token)
            return True

    def reconcile(self, book: StoryBook) -> None:
        """At the start of a writer's turn (the lease held): a book that matched the marker (or a server with no
        stories yet) is the truth and the server is made to match it; otherwise the book is made the server's."""
        with server_errors(self.url):
            token = self.marker()
            if token and token != (book.get_meta(TOKEN) or ""):  # behind, or changed in the cache only
                self.pull(book, force=True)
                return
            entries, aliases = self._listing()
            local, local_aliases = book.entries(), book.aliases()
            self._delete([f"m:{aid}" for aid in entries if aid not in local])
            self._delete([f"a:{old}" for old in aliases if old not in local_aliases])
            changed = [aid for aid, entry in local.items() if entries.get(aid) != entry]
            self._put_members(book.stored(changed))
            self._put_aliases({o: n for o, n in local_aliases.items() if aliases.get(o) != n})
            self._touch(book)

    def push(self, book: StoryBook, members: Iterable[str], into: Iterable[str], removed: Sequence[str]) -> None:
        """After a writer's local transaction: the members it assigned, the aliases leading into the stories it
        touched, the members it removed; then the marker. The book is noted as matching the new marker only if
        it matched the old one (a book that had fallen behind pulls at its next look)."""
        with server_errors(self.url):
            matched = self.marker() == (book.get_meta(TOKEN) or "")
            self._put_members(book.stored(members))
            self._put_aliases(book.aliases(into))
            self._delete([f"m:{aid}" for aid in removed])
            self._touch(book if matched else None)

    @staticmethod
    def diverged(book: StoryBook) -> None:
        """Note that a reader changed the cache on its own (its catch-up assigned or removed articles the
        server's book does not show yet): readers keep it, the next writer pulls over it and assigns again."""
        token = book.get_meta(TOKEN) or ""
        if not token.startswith(LOCAL):
            book.set_meta(TOKEN, LOCAL + token)

    # --- records ------------------------------------------------------------------------------
    def marker(self) -> str:
        got = self.records.get(ids=[MARKER], include=["metadatas"])
        return str(asked(got["metadatas"])[0]["token"]) if got["ids"] else ""

    def _touch(self, book: StoryBook | None) -> None:
        token = uuid.uuid4().hex
        self.records.upsert(ids=[MARKER], embeddings=np.ones((1, 1), np.float32), metadatas=[{"token": token,
                            "at": time.time()}], documents=[""])  # fmt: skip
        if book is not None:
            book.set_meta(TOKEN, token)

    def _listing(self) -> tuple[dict[str, Entry], dict[str, str]]:
        """Every member's entry and every alias, read page by page without documents."""
        entries: dict[str, Entry] = {}
        aliases: dict[str, str] = {}
        for record_id, meta in self._pages():
            if record_id.startswith("m:"):
                day = meta.get("day")
                entries[record_id[2:]] = Entry(_text(meta, "joined"), _number(meta, "seq"), _day(day))
            elif record_id.startswith("a:"):
                aliases[record_id[2:]] = _text(meta, "new")
        return entries, aliases

    def _pages(self) -> Iterator[tuple[str, Metadata]]:
        offset = 0
        while True:
            got = self.records.get(include=["metadatas"], limit=self.batch, offset=offset)
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

    def _put_members(self, stored: dict[str, Stored]) -> None:
        items = sorted(stored.items())
        for lo in range(0, len(items), self.batch):
            part = items[lo : lo + self.batch]
            self.records.upsert(
                ids=[f"m:{aid}" for aid, _ in part],
                embeddings=np.ones((len(part), 1), np.float32),
                metadatas=[_member_meta(aid, s.entry) for aid, s in part],
                documents=[_member_document(s) for _, s in part],
            )

    def _put_aliases(self, aliases: dict[str, str]) -> None:
        items = sorted(aliases.items())
        for lo in range(0, len(items), self.batch):
            part = items[lo : lo + self.batch]
            self.records.upsert(
                ids=[f"a:{old}" for old, _ in part],
                embeddings=np.ones((len(part), 1), np.float32),
                metadatas=[{"old": old, "new": new} for old, new in part],
                documents=["" for _ in part],
            )

    def _delete(self, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), self.batch):
            self.records.delete(ids=list(ids[lo : lo + self.batch]))


def _based_on(book: StoryBook) -> str:
    """The marker token the book's state comes from (its own changes aside)."""
    token = book.get_meta(TOKEN) or ""
    return token.removeprefix(LOCAL)


def _member_meta(article_id: str, entry: Entry) -> dict[str, str | int]:
    meta: dict[str, str | int] = {"article_id": article_id, "joined": entry.joined, "seq": entry.seq}
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
