"""What is new since …: per story with articles published in the window, the sentences that bring something new.

A window sentence is left out when, without changing a number or name, it nearly repeats a sentence published
before the window by the story's articles or by any article of the `RECENT_DAYS` before it (or one the digest
already shows): cosine of their sentence vectors
(stored by the indexer, nothing is embedded) at or above `REPEAT`. A sentence close to an earlier one (at or
above `RELATED`) that states another number, date or name is an update, shown with that earlier quote."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.articles import Article
from assistant.dates import parse_typed_day
from assistant.errors import InvalidInputError
from assistant.indexing.records import Records
from assistant.stories.book import StoryBook
from assistant.stories.sentences import Sentence, changed, sentences_of
from assistant.stories.views import StorySummary, list_stories, story_page

REPEAT = 0.93
"""Sentence cosine from which a sentence repeats another (syndicated copies, the same statement re-worded)."""
RELATED = 0.86
"""Sentence cosine from which a sentence is about the same as another (an update when a number or name changed)."""
RECENT_DAYS = 14
"""Besides the story's own earlier articles, every article of this many days before the window is looked at for
repeats (a sentence another story already carried), so the cost follows the days, not the archive."""
PER_STORY = 8
"""Sentences shown per story (updates first, then each new article's first new sentences in turn)."""
_DURATION = re.compile(r"(\d+)\s*([dwh])", re.IGNORECASE)
_UNIX = re.compile(r"\d+(?:\.\d+)?")


def window_start(text: str, today: dt.date | None = None) -> str:
    """A day (``2024-03-01``, ``1.3.2024``) or a duration back from today (``3d``, ``2w``, ``36h``) as an ISO day."""
    day = parse_typed_day(text)
    if day:
        return day
    if m := _DURATION.fullmatch(text.strip()):
        hours = int(m[1]) * {"d": 24, "w": 24 * 7, "h": 1}[m[2].lower()]
        return ((today or dt.date.today()) - dt.timedelta(hours=hours)).isoformat()
    raise InvalidInputError(f"--since takes a day (2024-03-01 or 1.3.2024) or a duration (3d, 2w, 36h), not {text!r}")


@dataclass(frozen=True)
class DigestItem:
    """A sentence of the window; `earlier` is the quote it updates (another number or name), if it does."""

    sentence: Sentence
    earlier: Sentence | None = None
    change: str | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {**self.sentence.to_dict(), "update": self.earlier is not None}
        if self.earlier is not None:
            data["change"] = self.change
            data["earlier"] = self.earlier.to_dict()
        return data


@dataclass(frozen=True)
class DigestStory:
    story: StorySummary
    new_articles: list[str]
    items: list[DigestItem] = field(default_factory=list)
    left_out: int = 0  # repeats of what was published before (or already shown)
    more: int = 0  # new sentences beyond `PER_STORY`

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.story.id,
            "title": self.story.title,
            "new_articles": self.new_articles,
            "sentences": [i.to_dict() for i in self.items],
            "repeats_left_out": self.left_out,
            "more": self.more,
        }


def digest(
    book: StoryBook, records: Records, since: str, until: str | None = None, per_story: int = PER_STORY
) -> list[DigestStory]:
    """The digest of the publication window [since, until] (ISO days), newest story first."""
    if until is not None and until < since:
        raise InvalidInputError(f"the window ends ({until}) before it starts ({since})")
    first = dt.date.fromisoformat(since)
    recent_ids = records.published_between(
        (first - dt.timedelta(days=RECENT_DAYS)).isoformat(), (first - dt.timedelta(days=1)).isoformat()
    )
    recent = [a for a in (records.article(i) for i in recent_ids) if a is not None]
    earlier_everywhere = sentences_of(records, recent)
    looked_at = set(recent_ids)
    found = []
    for summary in list_stories(book, records, since=since, until=until):
        articles = [a for a in (records.article(i) for i in summary.article_ids) if a is not None]
        inside = [
            a for a in articles if a.published and a.published >= since and (until is None or a.published <= until)
        ]
        before = [a for a in articles if a.published and a.published < since and a.id not in looked_at]
        earlier = _joined(sentences_of(records, before), earlier_everywhere)
        found.append(_story_digest(summary, sorted(inside, key=_order), earlier, records, per_story))
    return found


def arrival_start(when: str | float, now: float | None = None) -> float:
    """When an arrivals digest starts, as Unix time: a Unix time, an ISO time (``2024-03-01T12:00``, local time
    unless it names its zone), a day (``2024-03-01``, ``1.3.2024``: from its first hour) or a duration back from now
    (``36h``, ``3d``, ``2w``)."""
    if isinstance(when, int | float):
        return float(when)
    text = when.strip()
    if m := _DURATION.fullmatch(text):
        hours = int(m[1]) * {"d": 24, "w": 24 * 7, "h": 1}[m[2].lower()]
        return (time.time() if now is None else now) - hours * 3600.0
    if day := parse_typed_day(text):
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time()).timestamp()
    try:
        return float(text) if _UNIX.fullmatch(text) else dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise InvalidInputError(
            "--arrived-since takes a time (2024-03-01T12:00), a day (2024-03-01 or 1.3.2024), a duration (3d, 2w, "
            f"36h) or Unix seconds, not {text!r}"
        ) from None


def arrivals_digest(
    book: StoryBook,
    records: Records,
    arrived_after: float | None,
    story_ids: list[str] | None = None,
    per_story: int = PER_STORY,
) -> list[DigestStory]:
    """What arrived since a reader last looked: per story with articles (re)indexed after Unix time
    `arrived_after` (None: every article is new), whatever day they were published, the sentences of those
    articles that do not repeat what the reader could already have seen (the story's other articles, and every
    article published in the `RECENT_DAYS` up to the story's first new one that had arrived by then).

    `story_ids`: only these stories, in that order (a saved question's); None: every story with arrivals, the
    latest arrival first. Stories with nothing new are left out."""
    if story_ids is None:
        story_ids = _arrived_stories(book, records, 0.0 if arrived_after is None else arrived_after)
    recent: dict[str, tuple[list[Sentence], np.ndarray]] = {}  # by the story's first new day
    found = []
    for story_id in story_ids:
        page = story_page(book, records, story_id)
        ids = [a.id for a in page.articles]
        new = set(ids) if arrived_after is None else records.indexed_after(ids, arrived_after)
        if not new:
            continue
        inside = sorted((a for a in page.articles if a.id in new), key=_order)
        seen = sentences_of(records, [a for a in page.articles if a.id not in new])
        first_day = min((a.published for a in inside if a.published), default=None)
        if first_day is not None and arrived_after is not None:
            if first_day not in recent:
                recent[first_day] = _seen_before(records, first_day, arrived_after)
            seen = _joined(seen, _without(recent[first_day], set(ids)))  # the story's own are in `seen` already
        found.append(_story_digest(page.summary, inside, seen, records, per_story))
    return found


def _arrived_stories(book: StoryBook, records: Records, arrived_after: float) -> list[str]:
    """The stories of the articles that arrived after `arrived_after`, the latest arrival first."""
    stories = dict.fromkeys(book.story_of(article_id) for article_id, _ in records.arrived_after(arrived_after))
    return [story_id for story_id in stories if story_id is not None]


def _seen_before(records: Records, day: str, arrived_after: float) -> tuple[list[Sentence], np.ndarray]:
    """The articles published in the `RECENT_DAYS` up to `day` that had arrived by `arrived_after`, and their
    sentences: what any story's arrivals might repeat (a syndicated text another story carried)."""
    first = (dt.date.fromisoformat(day) - dt.timedelta(days=RECENT_DAYS)).isoformat()
    ids = records.published_between(first, day)
    arrived = records.indexed_after(ids, arrived_after)
    articles = [a for a in (records.article(i) for i in ids if i not in arrived) if a is not None]
    return sentences_of(records, articles)


def _without(sentences: tuple[list[Sentence], np.ndarray], article_ids: set[str]) -> tuple[list[Sentence], np.ndarray]:
    keep = [n for n, s in enumerate(sentences[0]) if s.article_id not in article_ids]
    if not keep:
        return [], np.zeros((0, 0), np.float32)
    return [sentences[0][n] for n in keep], sentences[1][keep]


def _joined(
    a: tuple[list[Sentence], np.ndarray], b: tuple[list[Sentence], np.ndarray]
) -> tuple[list[Sentence], np.ndarray]:
    matrices = [m for m in (a[1], b[1]) if m.size]
    return a[0] + b[0], np.vstack(matrices) if matrices else np.zeros((0, 0), np.float32)


def _order(article: Article) -> tuple[str, str, str]:
    return article.published or "", article.source, article.id


def _story_digest(
    summary: StorySummary,
    inside: list[Article],
    before: tuple[list[Sentence], np.ndarray],
    records: Records,
    per_story: int,
) -> DigestStory:
    earlier, earlier_vectors = before
    fresh, vectors = sentences_of(records, inside)
    if not fresh:
        return DigestStory(summary, [a.id for a in inside])
    if earlier_vectors.size:  # one matrix product for the story, not one per sentence
        sims = vectors @ earlier_vectors.T
        nearest_of, best_of = np.argmax(sims, axis=1), np.max(sims, axis=1)
    else:
        nearest_of, best_of = np.zeros(len(fresh), dtype=int), np.full(len(fresh), -1.0)
    among = vectors @ vectors.T  # the window's sentences with each other
    shown: list[int] = []
    updates: list[DigestItem] = []
    by_article: dict[str, list[DigestItem]] = {}
    left_out = 0
    for n, sentence in enumerate(fresh):
        best, nearest = float(best_of[n]), int(nearest_of[n])
        change = changed(earlier[nearest].text, sentence.text) if best >= RELATED else None
        if change is None and (best >= REPEAT or (shown and float(np.max(among[n, shown])) >= REPEAT)):
            left_out += 1
            continue
        shown.append(n)
        if change is not None:
            updates.append(DigestItem(sentence, earlier[nearest], change))
        else:
            by_article.setdefault(sentence.article_id, []).append(DigestItem(sentence))
    items = updates[:per_story]
    queues = [by_article[a.id] for a in inside if a.id in by_article]
    depth = 0
    while len(items) < per_story and any(depth < len(q) for q in queues):
        items.extend(q[depth] for q in queues if depth < len(q) and len(items) < per_story)
        depth += 1
    total = len(updates) + sum(len(q) for q in queues)
    items.sort(key=lambda i: (i.earlier is None, i.sentence.published or "", i.sentence.article_id, i.sentence.start))
    return DigestStory(summary, [a.id for a in inside], items, left_out, total - len(items))
