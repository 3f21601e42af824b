"""A story's timeline as dated verified quotes (`DatedQuote`, the story page's shape). The assistant fills it from
the timeline stage (`assistant.timeline.story`: the days the articles tell of); `dated_quotes` is what the stories
stage gives alone: per publication day, the lead sentence of the day's first article (by outlet name)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from assistant.articles import Article
from assistant.chunking import split_sentences
from assistant.dates import parse_published

MIN_CHARS = 40
"""A lead sentence shorter than this (a dateline, a photo credit) is passed over for the next one."""


@dataclass(frozen=True)
class DatedQuote:
    """A sentence of an article, dated by the article's publication day; ``text == article.text[start:end]``."""

    date: str
    article_id: str
    source: str
    title: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, str | int]:
        return asdict(self)


def lead_sentence(article: Article) -> DatedQuote | None:
    """The article's first sentence of some length, as a verified quote."""
    for span in split_sentences(article.text)[:5]:
        if span.end - span.start >= MIN_CHARS:
            return DatedQuote(
                article.published or "",
                article.id,
                article.source,
                article.title,
                article.text[span.start : span.end],
                span.start,
                span.end,
            )
    return None


def dated_quotes(articles: list[Article]) -> list[DatedQuote]:
    """One quote per publication day of the story, oldest first (undated articles are left out)."""
    by_day: dict[str, Article] = {}
    dated = [(day, a) for a in articles if (day := parse_published(a.published)) is not None]
    for day, article in sorted(dated, key=lambda pair: (pair[0], pair[1].source, pair[1].id)):
        by_day.setdefault(day, article)
    quotes = [(day, lead_sentence(article)) for day, article in by_day.items()]
    return [replace(quote, date=day) for day, quote in quotes if quote is not None]
