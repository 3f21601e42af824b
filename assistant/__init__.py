"""News question-answering assistant: answers that stand on verbatim, located quotes from your articles.

The names below are imported on first use (PEP 562), so `assistant ask` can start loading the embedding model
while the vector store and keyword index modules are still being imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.answers import Answer, Passage, Quote
    from assistant.articles import Article, Refusal
    from assistant.core import Assistant, IndexStatus
    from assistant.errors import (
        ArticleNotFoundError,
        AssistantError,
        ConfigurationError,
        EmptyQuestionError,
        IndexNotFoundError,
        InvalidArticleError,
        InvalidInputError,
        ModelLoadError,
        ModelMismatchError,
        StoreUnavailableError,
    )
    from assistant.indexing.indexer import IndexReport
    from assistant.question import SearchFilter
    from assistant.settings import Settings

_WHERE = {
    "Answer": "assistant.answers",
    "Passage": "assistant.answers",
    "Quote": "assistant.answers",
    "Article": "assistant.articles",
    "Refusal": "assistant.articles",
    "Assistant": "assistant.core",
    "IndexStatus": "assistant.core",
    "ArticleNotFoundError": "assistant.errors",
    "AssistantError": "assistant.errors",
    "ConfigurationError": "assistant.errors",
    "EmptyQuestionError": "assistant.errors",
    "IndexNotFoundError": "assistant.errors",
    "InvalidArticleError": "assistant.errors",
    "InvalidInputError": "assistant.errors",
    "ModelLoadError": "assistant.errors",
    "ModelMismatchError": "assistant.errors",
    "StoreUnavailableError": "assistant.errors",
    "IndexReport": "assistant.indexing.indexer",
    "SearchFilter": "assistant.question",
    "Settings": "assistant.settings",
}

__all__ = [
    "Answer",
    "Article",
    "ArticleNotFoundError",
    "Assistant",
    "AssistantError",
    "ConfigurationError",
    "EmptyQuestionError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStatus",
    "InvalidArticleError",
    "InvalidInputError",
    "ModelLoadError",
    "ModelMismatchError",
    "Passage",
    "Quote",
    "Refusal",
    "SearchFilter",
    "Settings",
    "StoreUnavailableError",
]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
