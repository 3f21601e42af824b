"""The contract every passage embedder of the assistant keeps (LangChain `Embeddings` plus array methods),
checked the same way for each implementation (sentence-transformers, ONNX Runtime, and any LangChain
`Embeddings` adapted by `assistant.embeddings.plain`)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.settings import PACKAGED_MODEL


def assert_embedder_contract(embedder: object, sentences: list[str]) -> None:
    """Name, sizes, unit-length vectors, query as array and as list, and an empty batch of the right shape."""
    assert embedder.model_name == PACKAGED_MODEL
    assert (embedder.dimension, embedder.max_seq_length) == (384, 512)
    assert_vector_contract(embedder, sentences, dimension=384)


def assert_vector_contract(embedder: object, sentences: list[str], *, dimension: int) -> None:
    """What indexing and answering rely on: unit-length float vectors as lists and as float32 arrays that agree,
    and an empty batch of shape ``(0, dimension)`` (after a first batch)."""
    docs = embedder.embed_documents(sentences[:2])
    assert len(docs) == 2 and all(len(d) == dimension for d in docs)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    passages = embedder.embed_passages_array(sentences[:2])
    assert passages.dtype == np.float32 and passages.shape == (2, dimension)
    assert np.allclose(passages, docs, atol=1e-6)
    query = embedder.embed_query_array(sentences[0])
    assert query.dtype == np.float32 and query.shape == (dimension,)
    assert embedder.embed_query(sentences[0]) == pytest.approx(query.tolist(), abs=1e-6)
    empty = embedder.embed_passages_array([])
    assert empty.shape == (0, dimension) and empty.dtype == np.float32
