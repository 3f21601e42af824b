"""The vector store: one Chroma collection of chunk vectors, chunk text and metadata.

Chroma never embeds anything itself here: every vector is computed by our model and passed in. Its default
embedding function would download a model at run time, so the collection is opened with a guard that raises
instead (`_NeverEmbed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from assistant.errors import ConfigurationError, StoreUnavailableError
from assistant.indexing.migrations import widen_search

if TYPE_CHECKING:  # chromadb is imported when a store opens, not with this module (the CLI starts faster)
    from chromadb.api import ClientAPI
    from chromadb.api.types import Embeddable, EmbeddingFunction, GetResult

T = TypeVar("T")

_BATCH = 1000  # Chroma limits the size of one write


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as written to the store: its id, text, vector and metadata."""

    id: str
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    """One search result: chunk id, text, metadata and cosine similarity (1 = same direction)."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float


SEARCH_EF = 400
"""How many graph neighbours Chroma's HNSW search keeps in view. Chroma's default (100) missed the true nearest
chunk for some questions, and which ones changed from process to process; 400 found it for all of them at the
same cost per search (docs/decisions.md, "Dense search looks wide")."""


def never_embed_function() -> EmbeddingFunction[Embeddable]:
    """An embedding function that refuses: a call means a code path forgot to pass our vectors.

    Registered under its name with Chroma, so a collection's configuration (which names it) can be read back."""
    from chromadb.api.types import Embeddable, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class _NeverEmbed(EmbeddingFunction[Embeddable]):  # refuses texts and images alike (what collections take)
        def __init__(self) -> None:
            pass

        def __call__(self, input: Embeddable) -> Embeddings:
            raise RuntimeError("the assistant passes its own vectors; Chroma must never embed by itself")

        @staticmethod
        def name() -> str:
            return "news-assistant-never-embed"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> _NeverEmbed:
            return _NeverEmbed()

    register_embedding_function(_NeverEmbed)
    return _NeverEmbed()


def open_client(persist_dir: Path, chroma_url: str | None = None) -> ClientAPI:
    """A Chroma client: the folder under the index directory, or a Chroma server when a URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        persist_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(persist_dir), settings=chroma_settings)
    from urllib.parse import urlparse

    url = urlparse(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigurationError(f"ASSISTANT_CHROMA_URL must look like http://host:port, got {chroma_url!r}")
    return chromadb.HttpClient(
        host=url.hostname,
        port=url.port or (443 if url.scheme == "https" else 8000),
        ssl=url.scheme == "https",
        settings=chroma_settings,
    )


class ChromaStore:
    """Chunk vectors in one Chroma collection (cosine space)."""

    def __init__(self, client: ClientAPI, collection: str, *, owned: bool = False) -> None:
        self._client = client
        self._owned = owned
        self._collection = client.get_or_create_collection(
            collection,
            embedding_function=never_embed_function(),
            metadata={"hnsw:space": "cosine", "hnsw:search_ef": SEARCH_EF},
        )
        widen_search(self._collection, SEARCH_EF)  # an older collection searched narrower

    def search_breadth(self) -> int:
        """The HNSW search breadth (``ef_search``) the collection uses."""
        hnsw = self._collection.configuration.get("hnsw") or {}
        return int(hnsw.get("ef_search", 0))

    def close(self) -> None:
        """Release a client this store opened itself (the next one reads the files afresh)."""
        from chromadb.api.client import Client

        if self._owned and isinstance(self._client, Client):  # `ClientAPI` does not declare the close() it has
            self._client.close()

    def count(self) -> int:
        return self._collection.count()

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def upsert(self, chunks: Sequence[StoredChunk], vectors: np.ndarray) -> None:
        for lo in range(0, len(chunks), _BATCH):
            part = chunks[lo : lo + _BATCH]
            self._collection.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata for c in part],
                embeddings=vectors[lo : lo + _BATCH],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), _BATCH):
            self._collection.delete(ids=list(ids[lo : lo + _BATCH]))

    def set_language(self, ids: Sequence[str], language: str) -> None:
        """Mark chunks with their article's language (metadata merges: the other fields stay)."""
        for lo in range(0, len(ids), _BATCH):
            part = list(ids[lo : lo + _BATCH])
            self._collection.update(ids=part, metadatas=[{"language": language}] * len(part))

    def vectors_by_text(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of stored chunks keyed by their text, so unchanged chunks are never embedded twice."""
        if not ids:
            return {}
        got = self._collection.get(ids=list(ids), include=["documents", "embeddings"])
        return dict(zip(asked(got["documents"]), vectors_of(got), strict=True))

    def fetch(self, ids: Sequence[str]) -> list[tuple[StoredChunk, np.ndarray]]:
        """Stored chunks with their vectors, in the order of `ids` (missing ids are skipped)."""
        if not ids:
            return []
        got = self._collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        rows = zip(got["ids"], asked(got["documents"]), asked(got["metadatas"]), vectors_of(got), strict=True)
        found = {i: (StoredChunk(i, t, dict(m)), v) for i, t, m, v in rows}
        return [found[i] for i in ids if i in found]

    def matching_ids(self, where: dict[str, Any]) -> set[str]:
        """Ids of the chunks a metadata filter lets through (to filter the keyword side in the store too)."""
        return set(self._collection.get(where=where, include=[])["ids"])

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` nearest chunks. An empty collection answers with none, so nothing is counted first: that cost
        35 ms at 40,000 chunks on disk, and a server more than the query itself."""
        result = self._collection.query(
            query_embeddings=[vector],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        ids, texts = result["ids"][0], asked(result["documents"])[0]
        metadatas, distances = asked(result["metadatas"])[0], asked(result["distances"])[0]
        return [
            Hit(id=i, text=t, metadata=dict(m), score=1.0 - float(d))
            for i, t, m, d in zip(ids, texts, metadatas, distances, strict=True)
        ]


def asked(field: list[T] | None) -> list[T]:
    """A field of a Chroma answer that `include` asked for (Chroma's types make every field optional)."""
    if field is None:
        raise StoreUnavailableError("the Chroma store left out a field it was asked for")
    return field


def vectors_of(got: GetResult) -> list[np.ndarray]:
    """The embeddings a `get` was asked to include, as float32 vectors (Chroma gives arrays or lists)."""
    if got["embeddings"] is None:
        raise StoreUnavailableError("the Chroma store left out the vectors it was asked for")
    return [np.asarray(vector, dtype=np.float32) for vector in got["embeddings"]]
