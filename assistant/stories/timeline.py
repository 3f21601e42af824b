"""A story's timeline as dated verified quotes: a stand-in until the timeline stage (``assistant/timeline/``)
lands, kept behind one function (`dated_quotes`) so the lead can swap it for the real one.

Per publication day, the lead sentence of the day's first article (by outlet name): what was new that day, in
the outlet's words, with its offsets."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from assistant.articles import Article
from assistant.chunking import split_sentences

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
    for article in sorted(articles, key=lambda a: (a.published or "", a.source, a.id)):
        if article.published and article.published not in by_day:
            by_day[article.published] = article
    quotes = [lead_sentence(article) for article in by_day.values()]
    return [quote for quote in quotes if quote is not None]
