"""Keeping the index: the indexer, the indexing record (local or on a Chroma server), the vector store, the keyword
index and how processes share them.

The names below are this stage's public surface, imported on first use (PEP 562): importing one module of the
stage does not load the others (the CLI starts faster, and no import cycle runs through this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.indexing.indexer import Indexer, IndexReport
    from assistant.indexing.keyword_index import KeywordIndex
    from assistant.indexing.records import Records
    from assistant.indexing.server_records import ServerRecords
    from assistant.indexing.shared_store import SharedStore
    from assistant.indexing.store import ChromaStore

_WHERE = {
    "Indexer": "assistant.indexing.indexer",
    "IndexReport": "assistant.indexing.indexer",
    "Records": "assistant.indexing.records",
    "ServerRecords": "assistant.indexing.server_records",
    "ChromaStore": "assistant.indexing.store",
    "KeywordIndex": "assistant.indexing.keyword_index",
    "SharedStore": "assistant.indexing.shared_store",
}

__all__ = ["ChromaStore", "IndexReport", "Indexer", "KeywordIndex", "Records", "ServerRecords", "SharedStore"]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
