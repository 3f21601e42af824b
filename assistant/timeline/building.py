"""Timelines from the articles' own sentences, the way news-tls builds them (Gholipour Ghalandari and Ifrim
2020, "datewise"): rank the days by how many relevant sentences speak about them and how many articles appeared
on them, keep the best days, and tell each with its most central relevant sentence, verbatim.

A sentence speaks about the day stored with it at indexing time (`assistant.dates.sentence_day`): the day its
own words name ("am Mittwoch"), else its article's publication day. The same event reported by several outlets
becomes one entry that names the others ("auch in: …"). Given which headlines name the story
(`assistant.timeline.headlines`), an article headlined with it counts more for its day (Tran et al. 2015,
"Timeline summarization from relevant headlines"): a report is headlined with its story, a commentary, an
interview or another story's report that mentions it rarely is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answers import Passage, Quote
from assistant.dates import DaySpan
from assistant.indexing.records import SentenceRecord
from assistant.timeline.model import TimelineEntry

MAX_ENTRIES = 12
"""Entries a timeline holds by default: about a dozen milestones is what a reader takes in."""
RELEVANT_BELOW_BEST = 0.08
"""A sentence counts for a day when its similarity to the question is at most this far below the best one's."""
EXPLICIT_WEIGHT = 1.0
"""What a sentence naming its day ("am Mittwoch", "am 17. Juni") adds to that day's score."""
IMPLICIT_WEIGHT = 0.15
"""What a sentence that names no day adds to its publication day's score (the day after is news of the day
before as often as not, and a story's background is repeated on every day, so it counts for much less than a
sentence that names its day)."""
ARTICLE_WEIGHT = 1.0
"""What each relevant article published on a day adds to that day's score."""
HEADLINE_BONUS = 1.0
"""What a relevant article whose headline names the story adds to its publication day beyond `ARTICLE_WEIGHT`
(an event report, not a commentary or an interview), when the builder is told which headlines do."""
HEADLINED_DAY_BEFORE = 1.0
"""What such an article adds to the day before its publication (a morning paper reports yesterday's event). Both
headline weights: docs/time-and-timelines.md (night round)."""
NEIGHBOUR_DISCOUNT = 0.6
"""What a day's score is multiplied by once the day before or after it is on the timeline (news often has events
on consecutive days: a fire, the next day's decision)."""
SAME_DAY_BONUS = 0.1
"""Preference for telling a day with a sentence of an article published that day (the day's own report)."""
SAME_EVENT = 0.9
"""Two sentences of one day this similar (cosine of their vectors) tell the same event."""
BACKGROUND = dt.timedelta(days=21)
"""Days this long before the story's first article are background ("seit Juni 2018"), not its events."""
MIN_QUOTE_CHARS, MAX_QUOTE_CHARS = 40, 400
"""A quote shorter than this is rarely an event, a longer one no line of a timeline."""


NamesStory = Callable[[str], bool]
"""Whether a headline names the story a timeline is asked about (`assistant.timeline.headlines`)."""


@dataclass(frozen=True)
class _Sentence:
    passage: Passage
    record: SentenceRecord
    relevance: float
    span: DaySpan  # what it speaks about: a day, or (in an article without a publication day) a month, a season
    explicit: bool  # the sentence names its day (else it is its article's publication day)

    @property
    def day(self) -> dt.date:
        return self.span.first

    @property
    def text(self) -> str:
        p = self.passage
        return p.text[self.record.start - p.start : self.record.end - p.start]

    def quote(self) -> Quote:
        p = self.passage
        return Quote(
            self.text, p.article_id, self.record.start, self.record.end, self.relevance, p.title, p.source, p.published
        )


@dataclass(frozen=True)
class Built:
    """A timeline's entries and the story they were chosen from: its articles per publication day."""

    entries: list[TimelineEntry]
    articles_per_day: dict[str, int]


def build_timeline(
    passages: Sequence[Passage],
    sentences: Mapping[str, Sequence[SentenceRecord]],
    query_vector: np.ndarray,
    *,
    window: DaySpan | None = None,
    max_entries: int = MAX_ENTRIES,
    names_story: NamesStory | None = None,
) -> Built:
    """The entries, in time order, and the story's articles per day: those with a sentence relevant enough to
    count for a day (not every retrieved passage: the 200 best passages hold much that is not the story). With
    `names_story`, an article headlined with the story counts more for its day and the day before."""
    candidates = _relevant(_dated(passages, sentences, query_vector, window))
    if not candidates:
        return Built([], {})
    by_day: dict[dt.date, list[_Sentence]] = defaultdict(list)
    earliest = min((d for s in candidates if (d := _day_of(s.passage.published)) is not None), default=None)
    for sentence in candidates:  # undated articles (no publication day) have no background to tell from
        if earliest is None or sentence.day >= earliest - BACKGROUND:
            by_day[sentence.day].append(sentence)
    scores = _day_scores(candidates, by_day)
    if names_story is not None:
        _weigh_headlines(scores, candidates, names_story)
    chosen = _best_days(scores, max_entries)
    entries = [_entry(day, by_day[day], scores[day]) for day in sorted(chosen)]
    story = [s.passage for s in candidates]
    return Built([entry for entry in entries if entry is not None], articles_per_day(story))


def _dated(
    passages: Sequence[Passage],
    sentences: Mapping[str, Sequence[SentenceRecord]],
    query_vector: np.ndarray,
    window: DaySpan | None,
) -> list[_Sentence]:
    """Every sentence of the passages that has a day of its own inside `window`. A week, month or season counts
    only in an article without a publication day (a dated archive's months are vague beside its days; an undated
    article's "im August 2024" is all the time it gives)."""
    found: list[_Sentence] = []
    seen: set[tuple[str, int]] = set()
    for passage in passages:
        published = _day_of(passage.published)
        for record in sentences.get(passage.chunk_id, ()):
            if record.day is None or (passage.article_id, record.start) in seen:
                continue
            span = DaySpan.from_numbers(*record.day)
            if not span.is_day and published is not None:
                continue
            seen.add((passage.article_id, record.start))
            if window is not None and (span.last < window.first or span.first > window.last):
                continue
            if not MIN_QUOTE_CHARS <= record.end - record.start <= MAX_QUOTE_CHARS:
                continue
            relevance = float(record.vector @ query_vector)
            found.append(_Sentence(passage, record, relevance, span, explicit=span.first != published))
    return found


def _relevant(found: list[_Sentence]) -> list[_Sentence]:
    if not found:
        return []
    best = max(s.relevance for s in found)
    return [s for s in found if s.relevance >= best - RELEVANT_BELOW_BEST]


def _day_scores(candidates: list[_Sentence], by_day: Mapping[dt.date, list[_Sentence]]) -> dict[dt.date, float]:
    """Each day's weight: its sentences (more for those that name it) and the relevant articles published on it."""
    published: dict[dt.date, set[str]] = defaultdict(set)
    for sentence in candidates:
        if (day := _day_of(sentence.passage.published)) is not None:
            published[day].add(sentence.passage.article_id)
    scores: dict[dt.date, float] = {}
    for day, group in by_day.items():
        said = sum(EXPLICIT_WEIGHT if s.explicit else IMPLICIT_WEIGHT for s in group)
        scores[day] = said + ARTICLE_WEIGHT * len(published.get(day, ()))
    return scores


def _weigh_headlines(scores: dict[dt.date, float], candidates: list[_Sentence], names_story: NamesStory) -> None:
    """Each relevant article whose headline names the story adds `HEADLINE_BONUS` to its publication day and
    `HEADLINED_DAY_BEFORE` to the day before (only to days already scored: a headline alone names no day)."""
    headlined: dict[str, dt.date | None] = {}
    for sentence in candidates:
        passage = sentence.passage
        if passage.article_id not in headlined:
            headlined[passage.article_id] = _day_of(passage.published) if names_story(passage.title) else None
    for day in headlined.values():
        if day is None:
            continue
        if day in scores:
            scores[day] += HEADLINE_BONUS
        if (before := day - dt.timedelta(days=1)) in scores:
            scores[before] += HEADLINED_DAY_BEFORE


def _best_days(scores: Mapping[dt.date, float], count: int) -> list[dt.date]:
    """The `count` best days, a day's neighbours weighing `NEIGHBOUR_DISCOUNT` less once it is chosen (the
    articles of the day after an event tell it again: one entry, not two)."""
    left = dict(scores)
    chosen: list[dt.date] = []
    while left and len(chosen) < count:
        day = min(left, key=lambda d: (-left[d], d))
        chosen.append(day)
        del left[day]
        for near in (day - dt.timedelta(days=1), day + dt.timedelta(days=1)):
            if near in left:
                left[near] *= NEIGHBOUR_DISCOUNT
    return chosen


def _entry(day: dt.date, group: list[_Sentence], score: float) -> TimelineEntry | None:
    """The day's most central relevant sentence, and the other outlets that told the same event."""
    if not group:
        return None
    vectors = np.stack([s.record.vector for s in group])
    similarity = vectors @ vectors.T
    central = similarity.mean(axis=1) if len(group) > 1 else np.ones(1)
    relevance = np.array([s.relevance for s in group])
    named = np.array([0.02 if s.explicit else 0.0 for s in group])
    that_day = np.array([SAME_DAY_BONUS if _day_of(s.passage.published) == day else 0.0 for s in group])
    best = int(np.argmax(relevance + central + named + that_day))
    chosen = group[best]
    outlets: list[str] = []
    for other, alike in zip(group, similarity[best], strict=True):
        source = other.passage.source
        if alike >= SAME_EVENT and source and source != chosen.passage.source and source not in outlets:
            outlets.append(source)
    return TimelineEntry(chosen.span, (chosen.quote(),), tuple(outlets), score)


def articles_per_day(passages: Sequence[Passage]) -> dict[str, int]:
    """How many articles of `passages` appeared on each day (the small picture beside a timeline: `build_timeline`
    passes the story's own)."""
    seen: dict[str, str] = {}
    for passage in passages:
        if passage.published:
            seen.setdefault(passage.article_id, passage.published[:10])
    counts: dict[str, int] = defaultdict(int)
    for day in seen.values():
        counts[day] += 1
    return dict(sorted(counts.items()))


def _day_of(published: str | None) -> dt.date | None:
    if not published:
        return None
    try:
        return dt.date.fromisoformat(published[:10])
    except ValueError:
        return None
