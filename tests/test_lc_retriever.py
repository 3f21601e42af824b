"""`Assistant.as_retriever` passes LangChain's standard retriever tests, on a real index and model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Assistant, Settings
from assistant.answering.langchain_retriever import ArticleRetriever
from assistant.embeddings.onnx_backend import OnnxEmbeddings

_SHARED: dict[str, Assistant] = {}


@pytest.fixture(scope="module", autouse=True)
def _module_assistant(
    tmp_path_factory: pytest.TempPathFactory, seed_index: Path, embeddings: OnnxEmbeddings
) -> Iterator[None]:
    """One real seed index and the session's model for the whole module: the standard tests build retrievers
    from properties, without fixtures, so they find it here."""
    index_dir = tmp_path_factory.mktemp("lc-retriever") / "index"
    shutil.copytree(seed_index, index_dir)
    _SHARED["assistant"] = assistant = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    yield
    assistant.close()


def _indexed_assistant() -> Assistant:
    return _SHARED["assistant"]


class TestArticleRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return ArticleRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": _indexed_assistant()}

    @property
    def retriever_query_example(self) -> str:
        return "Wer sollte die Gespräche vermitteln?"


def test_documents_carry_article_ids_and_offsets() -> None:
    assistant = _indexed_assistant()
    documents = assistant.as_retriever(k=2).invoke("Ölraffinerien")
    assert len(documents) == 2
    for document in documents:
        article = assistant.article(document.metadata["article_id"])
        assert article.text[document.metadata["start"] : document.metadata["end"]] == document.page_content
        assert document.metadata["source"] == "Financial Times"
