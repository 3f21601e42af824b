"""What a reader sees of a story: its headline, when it was first seen and last updated, which outlets reported
it (how much, from when), its articles per day per outlet, and its timeline as dated verified quotes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.articles import Article
from assistant.dates import parse_published
from assistant.errors import StoryNotFoundError
from assistant.indexing.records import ArticleHead, Records
from assistant.stories.book import StoryBook
from assistant.stories.days import ordinal
from assistant.stories.timeline import DatedQuote, dated_quotes


class Head(Protocol):
    """What a story's lists need of an article (an `Article` or an `ArticleHead`, which has no text)."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def published(self) -> str | None: ...


@dataclass(frozen=True)
class Outlet:
    """One outlet's part in a story: how many articles, and the day of its first."""

    source: str
    articles: int
    first_report: str | None

    def to_dict(self) -> dict[str, str | int | None]:
        return {"source": self.source, "articles": self.articles, "first_report": self.first_report}


@dataclass(frozen=True)
class StorySummary:
    """A story in a list: ``id`` (stable; a merged story's old id still finds it) and its articles' ids."""

    id: str
    title: str
    first_seen: str | None
    last_update: str | None
    outlets: list[Outlet]
    article_ids: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "first_seen": self.first_seen,
            "last_update": self.last_update,
            "articles": len(self.article_ids),
            "outlets": [o.to_dict() for o in self.outlets],
            "article_ids": self.article_ids,
        }


@dataclass(frozen=True)
class StoryPage:
    """One story in full: the summary, its articles (oldest first), articles per day per outlet, timeline."""

    summary: StorySummary
    articles: list[Article]
    per_day: list[tuple[str, str, int]] = field(default_factory=list)  # (day, outlet, articles)
    timeline: list[DatedQuote] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return self.summary.to_dict() | {
            "article_list": [
                {"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url}
                for a in self.articles
            ],
            "per_day": [{"date": d, "source": s, "articles": n} for d, s, n in self.per_day],
            "timeline": [q.to_dict() for q in self.timeline],
        }


def _summary(story_id: str, articles: Sequence[Head], book: StoryBook) -> StorySummary:
    dated = sorted(a.published for a in articles if a.published)
    counts = Counter(a.source or "?" for a in articles)
    first: dict[str, str | None] = {}
    for article in sorted(articles, key=lambda a: a.published or "9999"):
        first.setdefault(article.source or "?", article.published)
    outlets = sorted(
        (Outlet(s, n, first[s]) for s, n in counts.items()), key=lambda o: (o.first_report or "9999", -o.articles)
    )
    return StorySummary(
        story_id,
        _headline(story_id, articles, book),
        dated[0] if dated else None,
        dated[-1] if dated else None,
        outlets,
        [a.id for a in sorted(articles, key=lambda a: (a.published or "", a.id))],
    )


def _headline(story_id: str, articles: Sequence[Head], book: StoryBook) -> str:
    """The headline of the article nearest the story's centre (the one most about what the story is about)."""
    titled = {a.id: a.title for a in articles if a.title.strip()}
    if not titled:
        return articles[0].id if articles else story_id
    vectors = book.member_vectors(story_id)
    centre = np.sum(list(vectors.values()), axis=0) if vectors else None
    if centre is None:
        return next(iter(titled.values()))
    best = max(titled, key=lambda aid: (float(np.dot(vectors[aid], centre)) if aid in vectors else -1.0, aid))
    return titled[best]


def _in_window(articles: Sequence[Head], since: str | None, until: str | None) -> bool:
    """Whether an article was published on a day of [since, until] (days: "2020-09-12T18:00" is on the 12th)."""
    days = (parse_published(a.published) for a in articles)
    return any(d and (since is None or d >= since) and (until is None or d <= until) for d in days)


def story_heads(
    book: StoryBook, records: Records, since: str | None = None, until: str | None = None
) -> dict[str, list[ArticleHead]]:
    """Every story's articles (fields, no text) as the record holds them now (members it lost are left out); with
    a window, only the stories with a member published in it (found by the book's days, so a window's list does
    not read the whole archive)."""
    if since or until:
        first, last = ordinal(since), ordinal(until)
        members = book.members_of(book.stories_between(first, last))
    else:
        members = book.members()
    heads = records.heads([m.article_id for m in members])
    found: dict[str, list[ArticleHead]] = {}
    for member in members:
        if member.article_id in heads:
            found.setdefault(member.story_id, []).append(heads[member.article_id])
    return found


def list_stories(
    book: StoryBook,
    records: Records,
    *,
    since: str | None = None,
    until: str | None = None,
    sources: list[str] | None = None,
) -> list[StorySummary]:
    """Stories with an article published in [since, until] (and from one of `sources`), latest update first."""
    summaries = []
    for story_id, articles in story_heads(book, records, since, until).items():
        if (since or until) and not _in_window(articles, since, until):
            continue
        if sources and not any(a.source in sources for a in articles):
            continue
        summaries.append(_summary(story_id, articles, book))
    return sorted(summaries, key=lambda s: (s.last_update or "", len(s.article_ids), s.id), reverse=True)


def story_page(
    book: StoryBook,
    records: Records,
    story_id: str,
    timeline: Callable[[str, list[Article]], list[DatedQuote]] | None = None,
) -> StoryPage:
    """One story by its id (or an id it had before a merge); its timeline from its headline and articles (oldest
    first) by `timeline`, else by the lead sentence of each publication day (`dated_quotes`)."""
    current = book.resolve(story_id)
    if current is None:
        raise StoryNotFoundError(f"no story with id {story_id!r} in the index (`assistant stories` lists them)")
    articles = [a for a in (records.article(m.article_id) for m in book.members(current)) if a is not None]
    articles.sort(key=lambda a: (a.published or "", a.source, a.id))
    per_day = Counter((parse_published(a.published) or "", a.source or "?") for a in articles)
    summary = _summary(current, articles, book)
    return StoryPage(
        summary,
        articles,
        sorted((d, s, n) for (d, s), n in per_day.items()),
        dated_quotes(articles) if timeline is None else timeline(summary.title, articles),
    )
