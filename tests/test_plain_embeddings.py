"""Any LangChain `Embeddings` plugs into the assistant: a plain one (only `embed_documents`/`embed_query`, like a
user's `HuggingFaceEmbeddings` or `OllamaEmbeddings`) is adapted, keeps the `Embedder` contract, indexes and
answers with verbatim quotes, and the index records the model the object names.

The plain embeddings here are real: they hand on the bundled model's vectors through LangChain's two methods only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from langchain_ollama import OllamaEmbeddings
from langchain_openai import OpenAIEmbeddings
from pydantic import BaseModel, ConfigDict

from assistant import Article, Assistant, Settings
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.embeddings.plain import PlainEmbeddings, as_embedder, declared_model_name
from assistant.errors import ModelMismatchError
from assistant.protocols import Embedder
from tests.contract_samples import ARTICLES, QUESTION, assert_keeps
from tests.embedder_contract import assert_vector_contract


class OnlyLangChain(Embeddings):
    """A plain LangChain `Embeddings`: the two methods, nothing else (no arrays, no model name)."""

    def __init__(self, model: OnnxEmbeddings) -> None:
        self._model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


class DeclaredModel(BaseModel, Embeddings):
    """Like LangChain's own classes: a pydantic model declaring its model in a ``model_name`` field."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_name: str = "intfloat/multilingual-e5-small"
    inner: OnnxEmbeddings

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_a_plain_embeddings_is_not_an_embedder_until_adapted(embeddings: OnnxEmbeddings) -> None:
    plain = OnlyLangChain(embeddings)
    assert not isinstance(plain, Embedder)
    adapted = as_embedder(plain, model_name="e5-small-plain")
    assert isinstance(adapted, Embedder) and isinstance(adapted, Embeddings)
    assert_keeps(Embedder, adapted)
    assert as_embedder(embeddings) is embeddings  # what keeps the protocol is used as it is


def test_the_adapted_embeddings_keep_the_vector_contract(embeddings: OnnxEmbeddings) -> None:
    adapted = as_embedder(OnlyLangChain(embeddings), model_name="e5-small-plain")
    assert adapted.model_name == "e5-small-plain"
    sentences = [article.text for article in ARTICLES]
    assert_vector_contract(adapted, sentences, dimension=384)
    same = embeddings.embed_passages_array(sentences)  # the wrapped model's own vectors, unchanged (unit length)
    assert np.allclose(adapted.embed_passages_array(sentences), same, atol=1e-6)


def test_vectors_of_a_model_that_does_not_normalise_are_made_unit_length() -> None:
    fake = DeterministicFakeEmbedding(size=16)
    adapted = as_embedder(fake, model_name="fake-16")
    raw = np.asarray(fake.embed_documents(["a", "b"]))
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)
    assert np.allclose(np.linalg.norm(adapted.embed_passages_array(["a", "b"]), axis=1), 1.0, atol=1e-6)
    assert adapted.embed_query_array("a").dtype == np.float32


def test_the_model_name_comes_from_the_field_the_class_declares(embeddings: OnnxEmbeddings) -> None:
    assert declared_model_name(DeclaredModel(inner=embeddings)) == "intfloat/multilingual-e5-small"
    assert declared_model_name(OllamaEmbeddings(model="bge-m3")) == "bge-m3"  # no server is asked
    assert declared_model_name(OpenAIEmbeddings(model="text-embedding-3-small", api_key="sk-none")) == (
        "text-embedding-3-small"
    )
    assert declared_model_name(OnlyLangChain(embeddings)) is None  # not a pydantic model: nothing is probed
    assert as_embedder(DeclaredModel(inner=embeddings), model_name="given").model_name == "given"


def test_without_a_declared_name_the_class_names_the_model(caplog: pytest.LogCaptureFixture) -> None:
    adapted = as_embedder(DeterministicFakeEmbedding(size=8))
    assert adapted.model_name == "langchain_core.embeddings.fake.DeterministicFakeEmbedding"
    assert "do not name their model" in caplog.text


def test_the_assistant_indexes_and_answers_with_a_plain_embeddings(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    """What failed with AttributeError 'embed_passages_array' at the first index."""
    settings = Settings(index_dir=tmp_path / "index")
    assistant = Assistant(settings, embeddings=DeclaredModel(inner=embeddings))
    try:
        assert isinstance(assistant.embeddings, PlainEmbeddings)
        report = assistant.index(ARTICLES)
        assert len(report.added) == 3 and not report.refused
        answer = assistant.ask(QUESTION)
        assert not answer.abstained and answer.quotes
        quote = answer.quotes[0]
        assert quote.article_id == "talks" and "Türkei" in quote.text
        assert assistant.article(quote.article_id).text[quote.start : quote.end] == quote.text
        assert assistant.status().embedding_model == "intfloat/multilingual-e5-small"
    finally:
        assistant.close()
    other = Assistant(settings, embeddings=as_embedder(OnlyLangChain(embeddings), model_name="another-model"))
    try:
        with pytest.raises(ModelMismatchError, match="intfloat/multilingual-e5-small"):
            other.index([Article(id="x", text="Ein weiterer Artikel über den Streik.")])
    finally:
        other.close()
