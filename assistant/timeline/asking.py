"""Time in ordinary answers: passages of the asked window, the latest first when asked for, each quote with the
day it speaks about, and a development question answered as a timeline in the `Answer` shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from assistant.answering.asked_window import overlaps
from assistant.answers import Answer, Passage, Quote
from assistant.dates import DaySpan, sentence_day
from assistant.indexing.records import SentenceRecord
from assistant.phrases import phrase
from assistant.timeline.model import Timeline


def passages_in_window(
    passages: Sequence[Passage], sentences: Mapping[str, Sequence[SentenceRecord]], window: DaySpan
) -> list[Passage]:
    """The passages that speak about a day of `window`: one of their sentences does (a sentence that names no
    day speaks about its publication day)."""
    return [
        p for p in passages if any(s.day is not None and overlaps(s.day, window) for s in sentences.get(p.chunk_id, ()))
    ]


def latest_first(passages: Sequence[Passage], k: int) -> list[Passage]:
    """For "zuletzt", "die neuesten Zahlen", "latest": of the better half of the passages, the newest `k`."""
    better = list(passages[: max(k, len(passages) // 2)])
    return sorted(better, key=lambda p: p.published or "", reverse=True)[:k]


def with_days(answer: Answer, stored: Callable[[Quote], tuple[int, int] | None]) -> Answer:
    """Each quote with the day its sentence speaks about: as stored with the sentence it stands in (a quote may be
    the part of a sentence without its "am Mittwoch"), else as its own words say (`sentence_day`)."""
    quotes = [dataclasses.replace(q, day=_quote_day(q, stored(q))) for q in answer.quotes]
    return dataclasses.replace(answer, quotes=quotes)


def _quote_day(quote: Quote, stored: tuple[int, int] | None) -> str | None:
    span = DaySpan.from_numbers(*stored) if stored else sentence_day(quote.text, quote.published)
    return None if span is None else span.iso()


@dataclasses.dataclass(frozen=True)
class TimelineAnswer(Answer):
    """An answer that is a timeline: the `Answer` every caller takes (same ``ask --json`` shape), carrying the
    `Timeline` it was written from so a view can draw it (entries, articles per day, the day taken as now)."""

    timeline: Timeline | None = None


def timeline_answer(question: str, timeline: Timeline, passages: Sequence[Passage]) -> Answer:
    """A timeline in the shape of an answer: one line per entry, its quotes (with their days), and the passages
    they stand in; abstains when no entry was found."""
    language = timeline.language
    if not timeline.entries:
        return Answer(question, phrase(language, "timeline_empty"), True, [], [], language)
    lines = [phrase(language, "timeline_intro")]
    quotes: list[Quote] = []
    for entry in timeline.entries:
        when = entry.day.shown()
        for quote in entry.quotes:
            quotes.append(dataclasses.replace(quote, day=entry.day.iso()))
            also = f" ({phrase(language, 'also_in')}: {', '.join(entry.also_in)})" if entry.also_in else ""
            lines.append(f"{when}: „{quote.text}“ [{len(quotes)}] – {quote.source or quote.title}{also}")
    used = {(q.article_id, q.start) for q in quotes}
    holding = [p for p in passages if any(a == p.article_id and p.start <= s < p.end for a, s in used)]
    first: dict[str, Passage] = {}
    for passage in holding:
        first.setdefault(passage.chunk_id, passage)
    return TimelineAnswer(question, "\n".join(lines), False, quotes, list(first.values()), language, timeline=timeline)
