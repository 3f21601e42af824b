"""The indexing record on a Chroma server, so that processes on any number of machines share one archive.

With ``ASSISTANT_CHROMA_URL`` everything needed to answer lives in the server, beside the chunk vectors
(collection ``<c>``):

- ``<c>-articles``: one record per *committed* article: document = its text, metadata = content hash,
  fields (title, source, url, published, path) and its chunk list (ids and spans);
- ``<c>-sentences``: one record per sentence; its embedding IS the sentence vector, metadata = article id,
  chunk id, start, end;
- ``<c>-meta``: the change marker (a fresh token at every commit), shared meta (the embedding model) and the
  writers' lease.

The local ``records.sqlite3`` and keyword index are caches, refreshed from the server when its change marker
moved, and rebuilt from it when deleted. Chroma has no transactions and no compare-and-swap, so the order of
writes carries crash safety: an article's chunks and sentences first, its article record last (the commit
marker). Readers use only chunks a committed record lists; a writer killed halfway leaves orphans that
readers ignore and the next writer removes. Ids are content-addressed (article id, content hash, ordinal,
span), so two writers of the same content write the same records.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from assistant.articles import Article
from assistant.errors import StoreUnavailableError
from assistant.indexing.migrations import LANGUAGES_TAGGED, dated
from assistant.indexing.records import ChunkRecord, Records, SentenceRecord
from assistant.indexing.shared_store import Waiting, file_lock, unreachable, writer_turn
from assistant.indexing.store import asked, never_embed_function, open_client, vectors_of
from assistant.protocols import KeywordIndexer

if TYPE_CHECKING:  # chromadb is imported when a client opens, not with this module
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, Include, LiteralValue, Metadata, Where

DUMMY = np.ones((1, 1), np.float32)
"""The embedding of a record that is not searched by vector (Chroma wants one per record; written one at a time)."""
SYNC_EVERY = 1.0
"""Seconds between looks at the server's change marker from the question path."""
LEASE_SECONDS = 30.0
"""How long a writer's lease lasts without renewal (a writer renews it every quarter of that)."""
SETTLE = 0.3
"""Seconds between writing the lease and reading it back, so two writers that raced see who wrote last."""
SHARED_META = frozenset({"embedding_model", LANGUAGES_TAGGED})
"""Meta keys that belong to the archive (kept in the server), not to one machine's cache."""
MARKER, LEASE = "changes", "lease"

_clients: dict[str, ClientAPI] = {}
_clients_lock = threading.Lock()


def shared_client(url: str) -> ClientAPI:
    """One Chroma client per server URL in this process (every `Assistant` on that server shares it)."""
    with _clients_lock, server_errors(url):
        if url not in _clients:
            _clients[url] = open_client(Path(), url)
        return _clients[url]


@contextmanager
def server_errors(url: str) -> Iterator[None]:
    """A server that does not answer becomes one clear error naming it (like the vector store's)."""
    try:
        yield
    except Exception as error:
        if not unreachable(error):
            raise
        raise StoreUnavailableError(
            f"the Chroma server at {url} does not answer ({error}): start it again (`chroma run`) or check "
            "ASSISTANT_CHROMA_URL; nothing already indexed is lost, the next question or run retries"
        ) from error


class ServerCollections:
    """The record's three collections on the server, read in batches the server accepts."""

    def __init__(self, client: ClientAPI, collection: str) -> None:
        never = never_embed_function()
        self.articles = client.get_or_create_collection(f"{collection}-articles", embedding_function=never)
        self.sentences = client.get_or_create_collection(f"{collection}-sentences", embedding_function=never)
        self.meta = client.get_or_create_collection(f"{collection}-meta", embedding_function=never)
        self.chunks = client.get_or_create_collection(
            collection,
            embedding_function=never,
            metadata={"hnsw:space": "cosine"},  # as the vector store opens it
        )
        self.batch = max(100, min(client.get_max_batch_size(), 5000))

    def all(self, collection: Collection, include: Include, where: Where | None = None) -> Iterator[Row]:
        """Every record (id and `include`), page by page (a server caps what one answer holds)."""
        offset = 0
        while True:
            got = collection.get(where=where, include=include, limit=self.batch, offset=offset)
            yield from _rows(got, include)
            if len(got["ids"]) < self.batch:
                return
            offset += self.batch

    def by_ids(self, collection: Collection, ids: Sequence[str], include: Include) -> Iterator[Row]:
        for lo in range(0, len(ids), self.batch):
            yield from _rows(collection.get(ids=list(ids[lo : lo + self.batch]), include=include), include)

    def meta_value(self, key: str) -> Metadata | None:
        got = self.meta.get(ids=[key], include=["metadatas"])
        return asked(got["metadatas"])[0] if got["ids"] else None

    def put_meta(self, key: str, value: Metadata) -> None:
        self.meta.upsert(ids=[key], embeddings=DUMMY, metadatas=[value], documents=[""])

    def touch(self) -> None:
        """Move the change marker: every reader refreshes its cache at its next look."""
        self.put_meta(MARKER, {"token": uuid.uuid4().hex, "at": time.time()})

    def delete_ids(self, collection: Collection, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), self.batch):
            collection.delete(ids=list(ids[lo : lo + self.batch]))

    def delete_where(self, collection: Collection, key: str, values: Sequence[str]) -> None:
        for lo in range(0, len(values), self.batch):
            collection.delete(where=one_of(key, values[lo : lo + self.batch]))


@dataclass(frozen=True)
class Row:
    """One record of a collection as read back: its id and what `include` asked for (the rest empty)."""

    id: str
    metadata: Metadata = field(default_factory=dict)
    document: str = ""
    vector: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def text(self, key: str) -> str:
        value = self.metadata.get(key)
        if not isinstance(value, str):
            raise StoreUnavailableError(f"the server's record {self.id!r} has no text {key!r}")
        return value

    def number(self, key: str) -> int:
        value = self.metadata.get(key)
        if not isinstance(value, int):
            raise StoreUnavailableError(f"the server's record {self.id!r} has no number {key!r}")
        return value


def _rows(got: GetResult, include: Include) -> Iterator[Row]:
    metadatas = asked(got["metadatas"]) if "metadatas" in include else None
    documents = asked(got["documents"]) if "documents" in include else None
    vectors = vectors_of(got) if "embeddings" in include else None
    for n, record_id in enumerate(got["ids"]):
        yield Row(
            record_id,
            metadatas[n] if metadatas is not None else {},
            documents[n] if documents is not None else "",
            vectors[n] if vectors is not None else np.zeros(0, np.float32),
        )


def one_of(key: str, values: Sequence[str]) -> Where:
    """The filter for records whose `key` is one of `values`."""
    listed: list[LiteralValue] = list(values)
    condition: dict[Literal["$in", "$nin"], list[LiteralValue]] = {"$in": listed}
    return {key: condition}


class ServerRecords(Records):
    """The record kept in the Chroma server, with ``records.sqlite3`` as this machine's cache of it.

    Reads (questions, planning) go to the cache, which `refresh` brings up to the server's state whenever
    the change marker moved (at open, and at most every `SYNC_EVERY` seconds from `snapshot`). Writes go to
    the server first and then to the cache."""

    def __init__(self, path: Path, client: ClientAPI, collection: str, url: str, keyword: KeywordIndexer) -> None:
        super().__init__(path)
        self.url = url
        self._keyword = keyword
        self._token: str | None = None
        self._looked = 0.0
        self._syncing = threading.Lock()
        with server_errors(url):
            self.server = ServerCollections(client, collection)
            self.refresh(force=True)

    # --- reading: the cache, refreshed --------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Like `Records.snapshot`, after bringing the cache up to the server's last commit."""
        if not self._db.in_transaction:
            self.refresh()
        with super().snapshot():
            yield

    def refresh(self, *, force: bool = False) -> bool:
        """Bring the cache (and the keyword index) to the server's state if its change marker moved.

        The marker is read before the articles, so a commit during the refresh moves it again and the next
        refresh picks that commit up. Another thread already refreshing: this one reads the cache as it is."""
        if not force and time.monotonic() - self._looked < SYNC_EVERY:
            return False
        if not self._syncing.acquire(blocking=force):
            return False
        try:
            with server_errors(self.url):
                return self._refresh_now()
        finally:
            self._syncing.release()

    def _refresh_now(self) -> bool:
        self._looked = time.monotonic()
        token = self._marker()
        changed = False
        if token != self._token:
            changed = self._pull(token)
            self._pull_meta()
            self._token = token
        if changed or not self._keyword.is_current(self):
            with file_lock(self.path.parent / ".keyword.lock", fcntl.LOCK_EX):
                self._keyword.update(self)  # only what the refresh changed (the cache logs it)
        return changed

    def _marker(self) -> str:
        marker = self.server.meta_value(MARKER)
        return str(marker["token"]) if marker else ""

    def _pull(self, token: str) -> bool:
        """Copy new and changed committed articles into the cache and drop those gone; True if any.

        The listing comes in pages; when the marker moved meanwhile, a page may have shifted, so nothing is
        dropped this time (the next refresh, due to the moved marker, lists again)."""
        server = {row.id: row.text("content_hash") for row in self._server_hashes()}
        local = dict(self._db.execute("SELECT id, content_hash FROM articles").fetchall())
        changed = sorted(aid for aid, digest in server.items() if local.get(aid) != digest)
        gone = sorted(aid for aid in local if aid not in server)
        if gone and self._marker() != token:
            gone = []
        for lo in range(0, len(changed), 50):
            self._copy(changed[lo : lo + 50])
        for article_id in gone:
            self.clear_pending(super().remove_article(article_id))
        return bool(changed or gone)

    def _server_hashes(self) -> Iterator[Row]:
        return self.server.all(self.server.articles, ["metadatas"])

    def _copy(self, article_ids: list[str]) -> None:
        rows = list(self.server.by_ids(self.server.articles, article_ids, ["documents", "metadatas"]))
        wanted: dict[str, list[SentenceRecord]] = {aid: [] for aid in article_ids}
        where = one_of("article_id", article_ids)
        for row in self.server.all(self.server.sentences, ["metadatas", "embeddings"], where):
            day = (row.number("day_first"), row.number("day_last")) if "day_first" in row.metadata else None
            wanted[row.text("article_id")].append(
                SentenceRecord(row.text("chunk_id"), row.number("start"), row.number("end"), row.vector, day)
            )
        for row in rows:
            article, digest, chunks = _article_of(row)
            listed = {c.id for c in chunks}
            sentences = sorted(
                (dated(article, s) for s in wanted[article.id] if s.chunk_id in listed), key=_sentence_order
            )
            self.clear_pending(super().commit_article(article, digest, chunks, sentences))

    def _pull_meta(self) -> None:
        for key in SHARED_META:
            value = self.server.meta_value(f"meta:{key}")
            if value is not None and super().get_meta(key) != str(value["value"]):
                super().set_meta(key, str(value["value"]))

    # --- writing: the server first, then the cache ----------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        if key in SHARED_META:
            with server_errors(self.url):
                self.server.put_meta(f"meta:{key}", {"value": value})
                self.server.touch()
        super().set_meta(key, value)

    def commit_article(
        self,
        article: Article,
        content_hash: str,
        chunks: list[ChunkRecord],
        sentences: Sequence[SentenceRecord] = (),
    ) -> list[str]:
        """Sentences, then the article record (the commit marker), then the change marker; then the cache.

        The chunk vectors are already in the server (the indexer writes them first). The replaced chunks are
        those the server's previous record listed, not only the cache's: another process refreshing the same
        cache may have copied this very commit into it already."""
        with self._syncing, server_errors(self.url):
            previous = self._listed_chunks(article.id)
            self._put_sentences(article.id, sentences)
            self.server.articles.upsert(
                ids=[article.id],
                documents=[article.text],
                embeddings=DUMMY,
                metadatas=[_article_meta(article, content_hash, chunks)],
            )
            self.server.touch()
            local = super().commit_article(article, content_hash, chunks, list(sentences))
            replaced = sorted((previous | set(local)) - {c.id for c in chunks})
            self.server.delete_where(self.server.sentences, "chunk_id", replaced)
        return replaced

    def _listed_chunks(self, article_id: str) -> set[str]:
        """The chunk ids the server's committed record of `article_id` lists (none: not committed)."""
        rows = list(self.server.by_ids(self.server.articles, [article_id], ["metadatas"]))
        return {chunk_id for chunk_id, *_ in json.loads(rows[0].text("chunks"))} if rows else set()

    def _put_sentences(self, article_id: str, sentences: Sequence[SentenceRecord]) -> None:
        batch = self.server.batch
        for lo in range(0, len(sentences), batch):
            part = sentences[lo : lo + batch]
            self.server.sentences.upsert(
                ids=[f"{s.chunk_id}@{s.start}-{s.end}" for s in part],
                embeddings=np.stack([np.asarray(s.vector, dtype=np.float32) for s in part]),
                metadatas=[_sentence_meta(article_id, s) for s in part],
                documents=["" for _ in part],
            )

    def remove_article(self, article_id: str) -> list[str]:
        """The article record first (readers stop using its chunks), then its sentences; then the cache."""
        with self._syncing, server_errors(self.url):
            previous = self._listed_chunks(article_id)
            self.server.articles.delete(ids=[article_id])
            self.server.touch()
            self.server.delete_where(self.server.sentences, "article_id", [article_id])
            return sorted(previous | set(super().remove_article(article_id)))

    def sweep(self) -> int:
        """Delete the server's chunks and sentences that no committed article lists (a killed writer's).

        Only under the lease: a writer that is still running has uncommitted chunks that look the same."""
        with server_errors(self.url):
            committed = self.all_chunk_ids()
            stored = {row.id for row in self.server.all(self.server.chunks, [])}
            orphans = sorted(stored - committed)
            self.server.delete_ids(self.server.chunks, orphans)
            rows = self.server.all(self.server.sentences, ["metadatas"])
            loose = [row.id for row in rows if row.text("chunk_id") not in committed]
            self.server.delete_ids(self.server.sentences, loose)
            self._mark_incomplete(committed - stored)
        return len(orphans) + len(loose)

    def _mark_incomplete(self, lost: set[str]) -> None:
        """Articles committed with chunks that are gone (two writers overlapped despite the lease) get another
        hash on the server, so the next run that is given them indexes them again instead of "unchanged"."""
        broken = sorted({chunk.article_id for chunk in self.all_chunks() if chunk.id in lost})
        for row in self.server.by_ids(self.server.articles, broken, ["documents", "metadatas"]):
            meta = {**row.metadata, "content_hash": "incomplete:" + row.text("content_hash")}
            self.server.articles.upsert(ids=[row.id], documents=[row.document], embeddings=DUMMY, metadatas=[meta])
        if broken:
            self.server.touch()
            self.refresh(force=True)

    def lease(self, waiting: Waiting | None = None) -> Lease:
        return Lease(self.server, self.url, waiting)


def _sentence_meta(article_id: str, sentence: SentenceRecord) -> dict[str, str | int]:
    """What the server keeps beside a sentence vector: where it stands and the days it speaks about."""
    meta: dict[str, str | int] = {
        "article_id": article_id,
        "chunk_id": sentence.chunk_id,
        "start": sentence.start,
        "end": sentence.end,
    }
    if sentence.day is not None:
        meta["day_first"], meta["day_last"] = sentence.day
    return meta


def _sentence_order(sentence: SentenceRecord) -> tuple[str, int]:
    return sentence.chunk_id, sentence.start


def _article_meta(article: Article, content_hash: str, chunks: list[ChunkRecord]) -> dict[str, str]:
    fields = {
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "path": article.path,
    }
    spans = [[c.id, c.ordinal, c.start, c.end] for c in chunks]
    return {"content_hash": content_hash, "fields": json.dumps(fields), "chunks": json.dumps(spans)}


def _article_of(row: Row) -> tuple[Article, str, list[ChunkRecord]]:
    """A committed article record as the cache keeps it: the article, its hash and its chunks."""
    fields = json.loads(row.text("fields"))
    article = Article(id=row.id, text=row.document, **fields)
    chunks = [
        ChunkRecord(cid, row.id, ordinal, start, end) for cid, ordinal, start, end in json.loads(row.text("chunks"))
    ]
    return article, row.text("content_hash"), chunks


class Lease:
    """Best-effort queue of writers on different machines: a lease record (owner, expiry) in the server.

    Taken by writing it and reading it back after `SETTLE` seconds (the last writer wins); renewed while
    held; given back at the end. A lease found expired means its writer died (`abandoned`): the next one
    sweeps. Without compare-and-swap two writers can still overlap in rare timings; content-addressed ids
    keep that harmless for the same content."""

    def __init__(self, server: ServerCollections, url: str, waiting: Waiting | None) -> None:
        self.server = server
        self.url = url
        self.waiting = waiting
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.abandoned = False  # a writer before this one ended without giving the lease back
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> Lease:
        with server_errors(self.url):
            self._take()
        self._renewer = threading.Thread(target=self._renew, name="lease-renewal", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, error_type: type[BaseException] | None, *exc: object) -> None:
        """Give the lease back; after a failed run mark it expired instead, so the next writer sweeps."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            if _live_owner(self.server.meta_value(LEASE)) != self.owner:
                return
            if error_type is None:
                self.server.meta.delete(ids=[LEASE])
            else:
                self.server.put_meta(LEASE, {"owner": self.owner, "expires": 0.0})
        except Exception as error:  # the lease expires by itself; the run's own error matters more
            if error_type is None and not unreachable(error):
                raise

    def _take(self) -> None:
        told = False
        while True:
            value = self.server.meta_value(LEASE)
            holder = _live_owner(value)
            if holder is None or holder == self.owner:
                self.abandoned = self.abandoned or (value is not None and holder is None)
                self._write()
                time.sleep(SETTLE)
                if _live_owner(self.server.meta_value(LEASE)) == self.owner:
                    return
            elif not told and self.waiting is not None:
                self.waiting(f"waiting for another indexing run ({holder} at {self.url}) …")
                told = True
            time.sleep(0.5)

    def _write(self) -> None:
        self.server.put_meta(LEASE, {"owner": self.owner, "expires": time.time() + LEASE_SECONDS})

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 4):
            try:
                self._write()
            except Exception as error:  # a server away for a moment: try again at the next tick
                if not unreachable(error):
                    raise


def _live_owner(value: Metadata | None) -> str | None:
    """The lease's owner while it holds (None: no lease, expired, or its process died on this host)."""
    expires = value.get("expires") if value is not None else None
    if value is None or not isinstance(expires, int | float) or expires < time.time():
        return None
    owner = str(value["owner"])
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return None
    return owner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def server_writer_turn(folder: Path, records: ServerRecords, waiting: Waiting | None = None) -> Iterator[None]:
    """This machine's writer lock, then the server's lease; the cache brought up to date, and the orphans of a
    writer that died go (only then: the sweep reads every id in the server)."""
    with writer_turn(folder, waiting), records.lease(waiting) as lease:
        records.refresh(force=True)
        if lease.abandoned:
            records.sweep()
        yield
