"""`Assistant.as_retriever` passes LangChain's standard retriever tests, on a real index and model."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Assistant, Settings
from assistant.lc_retriever import ArticleRetriever

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@cache
def _indexed_assistant() -> Assistant:
    """One small real index for the whole class (the standard tests build retrievers without fixtures)."""
    assistant = Assistant(Settings(index_dir=Path(tempfile.mkdtemp(prefix="lc-retriever-")) / "index"))
    assistant.index([SEEDS])
    return assistant


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
