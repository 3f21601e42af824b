"""The assistant's retrieval as a LangChain `BaseRetriever`, so it drops into any LangChain chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answers import Passage
from assistant.protocols import PassageSearch
from assistant.question import SearchFilter


class ArticleRetriever(BaseRetriever):
    """Hybrid (dense + BM25) passage retrieval over the index; documents carry article id and offsets.

    Example:
        >>> retriever = Assistant.from_env().as_retriever(k=4)
        >>> retriever.invoke("Wer sollte die Gespräche vermitteln?", k=2)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: PassageSearch
    k: int = 4  # `Assistant.as_retriever` passes the ``top_k`` setting
    search_filter: SearchFilter | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, **kwargs: Any
    ) -> list[Document]:
        passages = self.assistant.retrieve(query, k or self.k, search_filter=self.search_filter)
        return [to_document(p) for p in passages]


def to_document(passage: Passage) -> Document:
    """A passage as a LangChain document: the text, and where it stands in which article."""
    metadata = {
        "article_id": passage.article_id,
        "title": passage.title,
        "source": passage.source,
        "published": passage.published,
        "url": passage.url,
        "start": passage.start,
        "end": passage.end,
        "score": passage.score,
    }
    return Document(page_content=passage.text, metadata=metadata, id=passage.chunk_id or None)
