"""Stored articles by id for one message or view, each read once (the quote cards show their whole article)."""

from __future__ import annotations

from assistant.articles import Article
from assistant.core import Assistant
from assistant.errors import AssistantError


class ArticleLookup:
    """Stored articles by id, each read once (None when it vanished meanwhile)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.cache: dict[str, Article | None] = {}

    def __call__(self, article_id: str) -> Article | None:
        if article_id not in self.cache:
            try:
                self.cache[article_id] = self.assistant.article(article_id)
            except AssistantError:
                self.cache[article_id] = None
        return self.cache[article_id]
