"""A timeline answer: entries in time order, each a day (or span) and verbatim quotes from the articles."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answers import Quote
from assistant.dates import DaySpan


@dataclass(frozen=True)
class TimelineEntry:
    """One event: the day it happened, the sentence that tells it (verbatim, with offsets), and the other
    outlets that reported it on that day (shown once, "auch in: …")."""

    day: DaySpan
    quotes: tuple[Quote, ...]
    also_in: tuple[str, ...] = ()
    score: float = 0.0  # why this day was chosen: how many sentences and articles speak about it

    def to_dict(self) -> dict[str, object]:
        return {
            "day": self.day.to_json(),
            "quotes": [_quote_dict(q) for q in self.quotes],
            "also_in": list(self.also_in),
        }


@dataclass(frozen=True)
class Timeline:
    """A development question answered as a timeline (extractive: every quote is ``article.text[start:end]``)."""

    question: str
    entries: list[TimelineEntry]
    language: str = "de"
    window: DaySpan | None = None  # the days it was restricted to (by the question or --since/--until)
    as_of: str | None = None  # the day taken as "now" for the question's time words
    articles_per_day: dict[str, int] = field(default_factory=dict)  # the story's articles by publication day

    def to_dict(self) -> dict[str, object]:
        """The ``timeline --json`` shape."""
        return {"question": self.question, "entries": [e.to_dict() for e in self.entries]}


def _quote_dict(quote: Quote) -> dict[str, object]:
    return {
        "text": quote.text,
        "article_id": quote.article_id,
        "title": quote.title,
        "source": quote.source,
        "published": quote.published,
        "start": quote.start,
        "end": quote.end,
    }
