"""News question-answering assistant: answers that stand on verbatim, located quotes from your articles."""

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
)
from assistant.indexing import IndexReport
from assistant.retrieval import SearchFilter
from assistant.settings import Settings

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
]
