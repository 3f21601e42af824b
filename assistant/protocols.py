"""The seams between the stages, in the order a question travels: one small typed Protocol per stage.

`Assistant` takes each of them (see its constructor), so another embedding model, a shared vector store or a
new answerer is a class that keeps one of these contracts, not an edit of the façade. The real
implementations pass the contract tests in ``tests/test_contracts.py``; a new one should too.

======================  =======================================  ==============================================
Stage                   Protocol                                 Implementations
======================  =======================================  ==============================================
read articles           `ArticleLoader`                          `assistant.ingest.loading.load_paths`
embed                   `Embedder` (LangChain `Embeddings` +)    `OnnxEmbeddings`, `SentenceTransformerEmbeddings`,
                                                                 any `Embeddings` via `embeddings.plain`
token states            `TokenEmbedder` (optional)               `OnnxEmbeddings`, `SentenceTransformerEmbeddings`
store vectors           `VectorStore`                            `assistant.indexing.store.ChromaStore`
keyword index           `KeywordIndexer`, `KeywordSearch`        `indexing.keyword_index.KeywordIndex`, `…Snapshot`
retrieve passages       `Retriever`, `RetrieverFactory`          `assistant.answering.retrieval.HybridRetriever`
LangChain retriever     `PassageSearch` (wrapped)                `Assistant` → `lc_retriever.ArticleRetriever`
answer                  `Answerer`                               `ExtractiveAnswerer`, `GenerativeAnswerer`
follow-up questions     `Rewrite`                                `rewrite_followup`, `generation.llm_rewrite`
======================  =======================================  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from assistant.answers import Answer, Passage
    from assistant.articles import LoadResult
    from assistant.embeddings.alignment import TokenStates
    from assistant.indexing.records import Records
    from assistant.indexing.store import Hit, StoredChunk
    from assistant.question import Question, SearchFilter

Message = dict[str, str]
"""A chat message as Gradio and LangChain exchange it: ``{"role": "user" | "assistant", "content": text}``."""

Rewrite = Callable[[str, Sequence[Message]], str]
"""``(question, history) -> question for retrieval``: a follow-up made to stand on its own (history is the
plain-text conversation before the question)."""


class ArticleLoader(Protocol):
    """Reads files and folders into articles, each file either loaded or refused with a reason. `fields` maps
    record fields to article fields (``--field``); it is passed only when the caller gave a mapping."""

    def __call__(
        self, paths: Iterable[Path], *, id_base: Path, max_bytes: int, fields: Mapping[str, str] | None = ...
    ) -> LoadResult: ...


class PassageEmbedder(Protocol):
    """What indexing and quoting need of an embedder: passages (and sentences) as one float32 matrix."""

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


@runtime_checkable
class TokenEmbedder(Protocol):
    """An embedder that also gives each token's state (`assistant.embeddings.alignment`: coverage of a question by a
    sentence in another language). The bundled model's embedders do; a plain LangChain `Embeddings` does not,
    and then a question in another language is answered without it."""

    def query_token_states(self, text: str) -> TokenStates: ...

    def passage_token_states(self, texts: list[str]) -> list[TokenStates]: ...


@runtime_checkable
class Embedder(PassageEmbedder, Protocol):
    """LangChain's `Embeddings` plus arrays: the question path keeps vectors in numpy (no list round trip) and
    the index remembers which model built it (`model_name`), so a changed model is caught, not mixed in.

    A plain LangChain `Embeddings` (only `embed_documents` and `embed_query`) is adapted by
    `assistant.embeddings.plain.as_embedder`, which `Assistant` applies to what it is given."""

    model_name: str

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    def embed_query_array(self, text: str) -> np.ndarray: ...


class VectorStore(Protocol):
    """Chunk vectors with their text and metadata, searched by cosine; ``where`` is a Chroma-style filter."""

    def count(self) -> int: ...

    def close(self) -> None:
        """Release what the store opened itself (a client reopened after another process wrote)."""
        ...

    def ids(self) -> set[str]: ...

    def upsert(self, chunks: Sequence[StoredChunk], vectors: np.ndarray) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def set_language(self, ids: Sequence[str], language: str) -> None: ...

    def vectors_by_text(self, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def fetch(self, ids: Sequence[str]) -> list[tuple[StoredChunk, np.ndarray]]: ...

    def matching_ids(self, where: dict[str, Any]) -> set[str]: ...

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]: ...


class KeywordSearch(Protocol):
    """One consistent view of the BM25 index: every chunk's score for a question's tokens."""

    @property
    def chunk_count(self) -> int: ...

    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]: ...

    def position(self, chunk_id: str) -> int | None: ...

    def idf(self, token: str) -> float: ...


class KeywordIndexer(Protocol):
    """The keyword index as indexing keeps it: brought up to the record's changes after each write."""

    def update(self, records: Records) -> None: ...

    def is_current(self, records: Records) -> bool: ...


class Retriever(Protocol):
    """From a question (and its vector) to the `k` passages most likely to answer it, best first."""

    def retrieve(
        self, question: Question, query_vector: np.ndarray, k: int, search_filter: SearchFilter | None = None
    ) -> list[Passage]: ...


@runtime_checkable
class PassageSearch(Protocol):
    """Retrieval from the question alone (the assistant embeds it): what LangChain's retriever wraps."""

    def retrieve(
        self, question: str, k: int | None = None, *, search_filter: SearchFilter | None = None
    ) -> list[Passage]: ...


class RetrieverFactory(Protocol):
    """Builds the retriever for one question over the store and keyword views current at that moment (a
    retriever lives inside one read section of the store, so the assistant makes one per question)."""

    def __call__(self, store: VectorStore, keyword: KeywordSearch, records: Records) -> Retriever: ...


class Answerer(Protocol):
    """Turns the passages into an `Answer` with verbatim quotes (or an abstention), at once or streamed."""

    def answer(self, question: Question, query_vector: np.ndarray, passages: list[Passage]) -> Answer: ...

    def stream(self, question: Question, query_vector: np.ndarray, passages: list[Passage]) -> Iterator[str | Answer]:
        """Pieces of answer text as they are written, then the final `Answer` (always last, exactly once)."""
        ...
