"""The writer's bookkeeping in one place: whose turn it is, what a killed writer left, the upgrade of an older
index, the keyword index after a change and the embedding model's stamp.

Adding and deleting articles both go through `IndexWriter`, so neither forgets a step: the folder's writer lock (and
on a Chroma server the writers' lease there, so other machines queue too), then the work, then the keyword index
brought up to the record, also when the work stopped halfway (readers never build it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from assistant.articles import Article
from assistant.indexing.indexer import Indexer, IndexReport, StoryHook, delete_article, recover
from assistant.indexing.migrations import upgrade
from assistant.indexing.progress import ProgressCallback
from assistant.indexing.records import Records
from assistant.indexing.server_records import ServerRecords, server_writer_turn
from assistant.indexing.shared_store import StoreAccess, Waiting, writer_turn, writer_turn_if_free
from assistant.protocols import KeywordIndexer

log = logging.getLogger(__name__)

MODEL_KEY = "embedding_model"
"""Meta key: the embedding model whose vectors the index holds (shared meta on a Chroma server)."""


class IndexWriter:
    """One index folder's writer: `index` and `delete` each take the writer's turn and do its bookkeeping."""

    def __init__(
        self,
        folder: Path,
        records: Records,
        store: StoreAccess,
        keyword: KeywordIndexer,
        *,
        model_name: str,
        stories: StoryHook | None = None,
    ) -> None:
        self.folder = folder
        self.records = records
        self.store = store
        self.keyword = keyword
        self.model_name = model_name
        self.stories = stories

    def index(
        self,
        indexer: Indexer,
        items: Iterable[str | Path | Article],
        *,
        sync: bool = False,
        progress: ProgressCallback | None = None,
        waiting: Waiting | None = None,
    ) -> IndexReport:
        """Index `items` in the writer's turn, after repairing what a killed writer left, upgrading an older index
        (its steps shown on `progress`) and giving stories to articles a killed run committed without one."""
        with self._turn(waiting):
            try:
                recover(self.records, self.store)
                upgrade(self.records, self.store, self.keyword, progress)
                if self.stories is not None:
                    self.stories.catch_up(self.records, self.store)
                return indexer.index(items, sync=sync, progress=progress)
            finally:  # also after an interrupted run: the vectors written so far are this model's
                self._stamp_model()

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove articles and their vectors in the writer's turn."""
        with self._turn():
            for article_id in article_ids:
                delete_article(self.records, self.store, article_id, self.stories)

    @contextmanager
    def _turn(self, waiting: Waiting | None = None) -> Iterator[None]:
        with self._lock(waiting):
            try:
                yield
            finally:  # even if the work stopped (interrupted, store down), what was written is searchable by keyword
                if not self.keyword.is_current(self.records):
                    self.keyword.update(self.records)

    def _lock(self, waiting: Waiting | None) -> AbstractContextManager[None]:
        if isinstance(self.records, ServerRecords):
            return server_writer_turn(self.folder, self.records, waiting)
        return writer_turn(self.folder, waiting)

    def _stamp_model(self) -> None:
        if self.records.get_meta(MODEL_KEY) is None and self.records.counts()[0]:
            self.records.set_meta(MODEL_KEY, self.model_name)


def clean_interrupted_write(folder: Path, records: Records, store: StoreAccess) -> None:
    """The vectors a killed writer left go as soon as a process opens the index (not at the next write), when no
    writer runs now (a running one cleans them itself). The server's record sweeps at its next write."""
    if not records.pending():
        return
    with writer_turn_if_free(folder) as mine:
        if mine and records.pending():
            removed = recover(records, store)
            log.info("removed %d vectors an interrupted write left in %s", removed, folder)
