"""The question path replayed on part of an index, in memory: the benches that fit the answerer's weights ask
thousands of questions of article subsets of one index (how evidence grows with the index, a question's own
article left out), which re-indexing could never afford.

The replay is the question path itself: `HybridRetriever` (candidate pool, fusion) over a read-only view of
the index's chunks, then `ExtractiveAnswerer.weigh` (sentence scores, evidence, second look, detail search).
The view holds the chunk vectors, texts and metadata and the sentence vectors in memory; searching it is
exact where the store's is approximate, so on a small index a replay gives the passages and the evidence of
`Assistant.ask` (tests/test_replay.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answering.extractive import ExtractiveAnswerer, Weighing
from assistant.answering.retrieval import HybridRetriever
from assistant.answers import Passage
from assistant.chunking import Span
from assistant.indexing.records import Records
from assistant.indexing.store import Hit, StoredChunk
from assistant.language import LANGUAGES
from assistant.protocols import KeywordSearch, VectorStore
from assistant.question import Question

FETCHED = 500
"""Chunks fetched from the store at once while the snapshot is taken."""


@dataclass(frozen=True)
class IndexSnapshot:
    """An index's chunks (as the store gives them back), their vectors, their sentences with vectors, and the
    index's keyword search (BM25 and IDF of the whole index)."""

    chunks: list[StoredChunk]
    vectors: np.ndarray  # one row per chunk
    sentences: dict[str, list[tuple[Span, np.ndarray]]]
    keyword: KeywordSearch
    languages: frozenset[str]  # the languages the index holds articles in

    @classmethod
    def of(cls, store: VectorStore, records: Records, keyword: KeywordSearch) -> IndexSnapshot:
        ids = sorted(records.all_chunk_ids())
        fetched: list[tuple[StoredChunk, np.ndarray]] = []
        for lo in range(0, len(ids), FETCHED):
            fetched.extend(store.fetch(ids[lo : lo + FETCHED]))
        sentences = records.sentences_of([chunk.id for chunk, _ in fetched])
        return cls(
            [chunk for chunk, _ in fetched],
            np.stack([vector for _, vector in fetched]).astype(np.float32),
            {cid: [(Span(s.start, s.end), s.vector) for s in rows] for cid, rows in sentences.items()},
            keyword,
            frozenset(language for language in LANGUAGES if records.has_language(language)),
        )

    def article_ids(self) -> np.ndarray:
        """Each chunk's article id (to choose subsets by article)."""
        return np.array([str(chunk.metadata["article_id"]) for chunk in self.chunks])

    def view(self, allowed: np.ndarray | None = None) -> SubsetView:
        """The index as if it held only the `allowed` chunks (a boolean mask; None: all of them)."""
        mask = np.ones(len(self.chunks), bool) if allowed is None else allowed
        return SubsetView(self, mask)


class SubsetView:
    """A read-only `VectorStore` and `KeywordSearch` over some chunks of a snapshot."""

    def __init__(self, snapshot: IndexSnapshot, allowed: np.ndarray) -> None:
        self.snapshot = snapshot
        self.rows = np.flatnonzero(allowed)
        self.by_id = {snapshot.chunks[row].id: int(row) for row in self.rows}

    # --- VectorStore ---------------------------------------------------------------------------------------
    def count(self) -> int:
        return len(self.rows)

    def close(self) -> None:
        return None

    def ids(self) -> set[str]:
        return set(self.by_id)

    def upsert(self, chunks: Sequence[StoredChunk], vectors: np.ndarray) -> None:
        raise TypeError("a replay's view of an index is read-only")

    def delete(self, ids: Sequence[str]) -> None:
        raise TypeError("a replay's view of an index is read-only")

    def set_language(self, ids: Sequence[str], language: str) -> None:
        raise TypeError("a replay's view of an index is read-only")

    def vectors_by_text(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {self.snapshot.chunks[self.by_id[i]].text: self.snapshot.vectors[self.by_id[i]] for i in ids}

    def fetch(self, ids: Sequence[str]) -> list[tuple[StoredChunk, np.ndarray]]:
        return [
            (self.snapshot.chunks[self.by_id[i]], self.snapshot.vectors[self.by_id[i]]) for i in ids if i in self.by_id
        ]

    def matching_ids(self, where: dict[str, Any]) -> set[str]:
        return {
            self.snapshot.chunks[row].id for row in self.rows if _matches(self.snapshot.chunks[row].metadata, where)
        }

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        rows = self.rows
        if where is not None:
            rows = np.array([r for r in rows if _matches(self.snapshot.chunks[r].metadata, where)], dtype=int)
        scores = self.snapshot.vectors[rows] @ vector
        best = np.argsort(-scores, kind="stable")[:k]
        chunks = self.snapshot.chunks
        return [Hit(chunks[rows[n]].id, chunks[rows[n]].text, chunks[rows[n]].metadata, float(scores[n])) for n in best]

    # --- KeywordSearch (the whole index's BM25 and IDF, chunks outside the view scoring 0) ----------------
    @property
    def chunk_count(self) -> int:
        return len(self.rows)

    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]:
        ids, scores = self.snapshot.keyword.scores(query_tokens)
        return ids, np.array([s if i in self.by_id else 0.0 for i, s in zip(ids, scores, strict=True)])

    def position(self, chunk_id: str) -> int | None:
        return self.snapshot.keyword.position(chunk_id)

    def idf(self, token: str) -> float:
        return self.snapshot.keyword.idf(token)

    # --- what the record gives the retriever and the answerer ---------------------------------------------
    def has_language(self, language: str) -> bool:
        return language in self.snapshot.languages

    def current(self, chunk_ids: Iterable[str]) -> set[str]:
        return {i for i in chunk_ids if i in self.by_id}

    def sentence_matrices(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        found = {cid: self.snapshot.sentences.get(cid) for cid in chunk_ids}
        return {cid: np.stack([v for _, v in rows]) for cid, rows in found.items() if rows}

    def sentences_of(self, passages: list[Passage]) -> dict[str, list[tuple[Span, np.ndarray]]]:
        return {p.chunk_id: self.snapshot.sentences.get(p.chunk_id, []) for p in passages}


def replay(
    view: SubsetView, answerer: ExtractiveAnswerer, question: Question, query_vector: np.ndarray, k: int = 10
) -> tuple[list[Passage], Weighing]:
    """Retrieve and weigh `question` as `Assistant.ask` does, on the index `view` shows (with `answerer`'s
    weights and thresholds, sized to the view)."""
    retriever = HybridRetriever(
        view,
        view,
        sentence_matrices=view.sentence_matrices,
        current=view.current,
        has_language=view.has_language,
    )
    passages = retriever.retrieve(question, query_vector, k)
    weighing = answerer.on_index(view.sentences_of, view.count).weigh(question, query_vector, passages)
    return passages, weighing


def _matches(metadata: dict[str, Any], where: dict[str, Any]) -> bool:
    """Chroma's `where` for the clauses the retriever writes: equality, $in, $gte, $lte and $and."""
    if "$and" in where:
        return all(_matches(metadata, clause) for clause in where["$and"])
    for key, condition in where.items():
        value = metadata.get(key)
        if not isinstance(condition, dict):
            if value != condition:
                return False
            continue
        for operator, operand in condition.items():
            if operator == "$eq" and value != operand:
                return False
            if operator == "$in" and value not in operand:
                return False
            if operator == "$gte" and (value is None or value < operand):
                return False
            if operator == "$lte" and (value is None or value > operand):
                return False
    return True
