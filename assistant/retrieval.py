"""From a question vector to the passages most likely to hold the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from assistant.answers import Passage
from assistant.errors import ConfigurationError
from assistant.indexing import published_day
from assistant.store import ChromaStore, Hit


@dataclass(frozen=True)
class SearchFilter:
    """Restricts retrieval to some sources and a publication date range (inclusive), inside the store."""

    sources: tuple[str, ...] = ()
    published_from: str | None = None
    published_to: str | None = None

    def to_where(self) -> dict[str, Any] | None:
        """The Chroma ``where`` clause, or None when nothing is filtered."""
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.published_from:
            clauses.append({"published_day": {"$gte": _day(self.published_from)}})
        if self.published_to:
            clauses.append({"published_day": {"$lte": _day(self.published_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _day(value: str | date) -> int:
    day = published_day(value.isoformat() if isinstance(value, date) else str(value).strip())
    if day is None:
        raise ConfigurationError(f"a date filter must be YYYY-MM-DD, got {value!r}")
    return day


class DenseRetriever:
    """Nearest chunks by cosine similarity of e5 vectors, from the Chroma collection."""

    def __init__(self, store: ChromaStore) -> None:
        self.store = store

    def retrieve(self, query_vector: np.ndarray, k: int, search_filter: SearchFilter | None = None) -> list[Passage]:
        where = search_filter.to_where() if search_filter else None
        return [_passage(hit) for hit in self.store.search(query_vector, k, where)]


def _passage(hit: Hit) -> Passage:
    meta = hit.metadata
    return Passage(
        article_id=meta["article_id"],
        title=meta.get("title", ""),
        text=hit.text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=hit.score,
        source=meta.get("source", ""),
        published=meta.get("published") or None,
        url=meta.get("url", ""),
        chunk_id=hit.id,
    )
