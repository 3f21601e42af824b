"""How processes share one index folder: writers queue, and no reader sees a write halfway.

Chroma's embedded store keeps its index in memory per process and is not built for several processes: a
reader whose in-memory state is older than the files fails on ids another process added ("Error finding
id") and keeps answering from deleted chunks. So every process reopens its store client when the record's
*store generation* moved, and three file locks in the index folder (flock: the kernel releases them when a
process dies, even by SIGKILL) order the access:

- ``.lock``: one indexing run at a time; it holds the running writer's pid, so one that waits can say so;
- ``.store.lock``: shared while a question reads the store, exclusive while a writer changes it (per
  batch of articles, never while embedding: questions wait milliseconds, not minutes);
- ``.turnstile``: a writer waiting for the exclusive lock holds it, so a stream of questions cannot starve it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from assistant.errors import StoreUnavailableError
from assistant.indexing.records import Records
from assistant.protocols import VectorStore

Waiting = Callable[[str], None]
"""Told once, in words, when a writer has to wait for another one."""


@contextmanager
def file_lock(path: Path, mode: int) -> Iterator[int]:
    """An flock on `path` through a descriptor of its own (so threads of one process exclude each other too)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def writer_turn(folder: Path, waiting: Waiting | None = None) -> Iterator[None]:
    """Wait for the running indexing run (saying so), then be the only writer of `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(f"waiting for another indexing run ({_holder(path)}) …")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def writer_turn_if_free(folder: Path) -> Iterator[bool]:
    """The writer's turn of `folder` if nobody holds it now (True), else False at once: for repairs that a
    running writer makes itself anyway."""
    path = folder / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield True
    finally:
        os.close(fd)


HOLDER_SETTLE = 0.05
"""Seconds a writer that must wait lets pass before it reads the holder's pid, and between reads while the file is
empty: the holder writes its pid just after it takes the lock, so a read at once could fall between the two."""


def _holder(path: Path, reads: int = 20) -> str:
    for _ in range(reads):
        time.sleep(HOLDER_SETTLE)
        try:
            pid = path.read_text(encoding="utf-8").strip()
        except OSError:
            pid = ""
        if pid.isdigit():
            return f"pid {pid}"
    return "another process"


def unreachable(error: Exception) -> bool:
    """Whether `error` says the server cannot be reached (connection refused, reset, timed out)."""
    import httpx

    if isinstance(error, httpx.TransportError):
        return True
    return isinstance(error, ValueError) and "Could not connect to a Chroma server" in str(error)


class _ReadWriteLock:
    """Many threads read the store client at once; reopening it waits until none does."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


class StoreAccess(Protocol):
    """The vector store for reading (questions, planning) and for writing (one batch of changes)."""

    def reading(self) -> AbstractContextManager[VectorStore]: ...

    def writing(self) -> AbstractContextManager[VectorStore]: ...


class SharedStore:
    """This process's view of the vector store, current with what every other process wrote.

    `open_store` builds a fresh client; `reopen` is False for a Chroma server (it is shared by design) or a
    client passed in from outside (which cannot be rebuilt here). With a server `url`, a server that does not
    answer is a `StoreUnavailableError` naming it; the next access tries again."""

    def __init__(
        self,
        folder: Path,
        records: Records,
        open_store: Callable[[], VectorStore],
        *,
        reopen: bool,
        url: str | None = None,
    ) -> None:
        self.folder = folder
        self.url = url
        self.records = records
        self._open_store = open_store
        self._reopen = reopen
        self._store: VectorStore | None = None
        self._generation: int | None = None
        self._clients = _ReadWriteLock()

    @contextmanager
    def reading(self) -> Iterator[VectorStore]:
        """The store as of now; no writer changes it until the block ends (keep the block short)."""
        with self._shared(), self._server_errors():
            self._refresh(self.records.store_generation())
            with self._clients.read():
                yield self._current()

    @contextmanager
    def writing(self) -> Iterator[VectorStore]:
        """The store for one batch of changes: no reader looks meanwhile, all readers reopen afterwards."""
        with self._exclusive(), self._server_errors():
            self._refresh(self.records.store_generation())
            with self._clients.write():
                self._generation = self.records.next_store_generation()
                yield self._current()

    @contextmanager
    def _server_errors(self) -> Iterator[None]:
        """A Chroma server that went away becomes one clear error naming it (the client reconnects by itself)."""
        try:
            yield
        except Exception as error:
            if self.url is None or not unreachable(error):
                raise
            raise StoreUnavailableError(
                f"the Chroma server at {self.url} does not answer ({error}): start it again (`chroma run`) or "
                "check ASSISTANT_CHROMA_URL; nothing already indexed is lost, the next question or run retries"
            ) from error

    def stale(self) -> None:
        """Forget the client (after a store error): the next access opens a fresh one."""
        with self._clients.write():
            self._generation = None

    def _refresh(self, generation: int) -> None:
        if generation == self._generation and self._store is not None:
            return
        with self._clients.write():
            if self._store is None:
                self._store = self._open_store()
            elif generation != self._generation and self._reopen:
                self._store.close()
                self._store = self._open_store()
            self._generation = generation

    def _current(self) -> VectorStore:
        assert self._store is not None
        return self._store

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if not self._reopen:  # a Chroma server orders its own writes
            yield
            return
        with file_lock(self.folder / ".turnstile", fcntl.LOCK_EX):
            pass
        with file_lock(self.folder / ".store.lock", fcntl.LOCK_SH):
            yield

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if not self._reopen:
            yield
            return
        with (
            file_lock(self.folder / ".turnstile", fcntl.LOCK_EX),
            file_lock(self.folder / ".store.lock", fcntl.LOCK_EX),
        ):
            yield

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
            self._generation = None
