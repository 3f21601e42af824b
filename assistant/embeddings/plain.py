"""Any LangChain `Embeddings` as the assistant's `Embedder`: a user's `HuggingFaceEmbeddings`, `OllamaEmbeddings`
or `OpenAIEmbeddings` has only `embed_documents` and `embed_query`; indexing and answering want float32 arrays
of unit length and the model's name (the index remembers which model built it, so a changed model is caught).

`as_embedder` keeps what already keeps the `Embedder` protocol and wraps anything else in `PlainEmbeddings`.
The name is the one given, else the model field LangChain's classes declare (``model_name`` on
`HuggingFaceEmbeddings`, ``model`` on `OllamaEmbeddings` and `OpenAIEmbeddings`), else the class's name.
"""

from __future__ import annotations

import logging

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from assistant.errors import ConfigurationError
from assistant.protocols import Embedder

log = logging.getLogger(__name__)

MODEL_FIELDS = ("model_name", "model", "model_id", "deployment")
"""The fields LangChain's embedding classes (pydantic models) declare for their model, in this order."""


def as_embedder(embeddings: Embedder | Embeddings, model_name: str | None = None) -> Embedder:
    """The embeddings as the assistant uses them: an `Embedder` as it is, any other LangChain `Embeddings`
    adapted (`PlainEmbeddings`); `model_name` names the model when the object does not say."""
    if isinstance(embeddings, Embedder) and model_name is None:
        return embeddings
    if isinstance(embeddings, PlainEmbeddings):
        return PlainEmbeddings(embeddings.wrapped, model_name or embeddings.model_name)
    if isinstance(embeddings, Embeddings):
        return PlainEmbeddings(embeddings, model_name)
    raise ConfigurationError(f"{type(embeddings).__name__} is no LangChain Embeddings: it cannot be given a model_name")


def declared_model_name(embeddings: Embeddings) -> str | None:
    """The model a LangChain embeddings object declares in a field (pydantic models only), or None."""
    if not isinstance(embeddings, BaseModel):
        return None
    declared = type(embeddings).model_fields
    for name in MODEL_FIELDS:
        if name in declared:
            value = embeddings.model_dump(include={name}).get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


class PlainEmbeddings(Embeddings):
    """A plain LangChain `Embeddings` with the array methods and the model name of the `Embedder` protocol.

    Vectors are float32 and scaled to unit length (the store searches by cosine, quoting compares by dot
    product); a model that already normalises is unchanged by it."""

    def __init__(self, embeddings: Embeddings, model_name: str | None = None) -> None:
        self.wrapped = embeddings
        named = model_name or declared_model_name(embeddings)
        if named is None:
            named = f"{type(embeddings).__module__}.{type(embeddings).__qualname__}"
            log.warning(
                "the embeddings %s do not name their model: the index records %r (name it: as_embedder(e, "
                "model_name=...)) so that a changed model is caught",
                type(embeddings).__name__,
                named,
            )
        self.model_name = named
        self._dimension: int | None = None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Passages as one float32 matrix of unit rows (``(0, dimension)`` for none, once the size is known)."""
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        vectors = _unit_rows(np.asarray(self.wrapped.embed_documents(list(texts)), dtype=np.float32))
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise ValueError(
                f"{type(self.wrapped).__name__}.embed_documents gave {vectors.shape} for {len(texts)} texts"
            )
        self._dimension = vectors.shape[1]
        return vectors

    def embed_query_array(self, text: str) -> np.ndarray:
        """The question as a float32 vector of unit length."""
        vector = _unit_rows(np.asarray(self.wrapped.embed_query(text), dtype=np.float32)[None, :])[0]
        self._dimension = vector.shape[0]
        return vector

    def __repr__(self) -> str:
        return f"PlainEmbeddings({type(self.wrapped).__name__}, model_name={self.model_name!r})"


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    if vectors.ndim != 2:
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
