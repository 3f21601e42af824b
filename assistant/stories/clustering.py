"""Online clustering of arriving articles into stories, so that the cost of one article does not grow with the archive.

After Miranda and others (2018, "Multilingual clustering of streaming news"): each arriving article is compared
with the stories its nearest neighbours belong to, by dense and sparse similarity with a decay for the days
between the article and the story, and joins the best one above a threshold or starts a new story. Candidates
are the nearest members of the story book within a time window (an exact search over that window's members only:
the cost follows the feed's rate, not the archive's size)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.stories.terms import cosine, idf, merged, presence, profile_weighted, weighted


@dataclass(frozen=True)
class Params:
    """The clustering's knobs (measured on FANG-COVID with `bench/bench_stories.py`)."""

    threshold: float = 0.22
    """Score an article needs to join a story."""
    dense_weight: float = 0.5
    """Share of the dense similarity in the score (the rest is the tf-idf cosine)."""
    dense_floor: float = 0.80
    """e5 cosines of unrelated German news lie near this: the dense part counts from here to 1."""
    half_life: float = 7.0
    """Days outside a story's span after which its similarity counts half."""
    window: int = 21
    """Days before and after the article in which neighbours are looked for."""
    neighbours: int = 16
    """Nearest members of the window (or, for an undated article, nearest chunks of the vector store) per article."""
    min_sparse: float = 0.05
    """Least tf-idf cosine to a story's profile: without a shared name or rare word, no dense similarity joins."""
    merge_threshold: float = 0.55
    """Story-to-story score above which two stories an article fits both are merged."""
    focus: float = 1.0
    """Least weight (share of the story's articles holding it, times idf) of a term the article shares with a story
    of `focus_size` articles or more: a story that grew general (commentaries, tickers, "Corona" at large) has no
    such term and stops drawing articles of other topics."""
    focus_size: int = 5
    settle_size: int = 10
    """Stories of fewer articles than this, near an arriving article, are decided again at the end of its call
    (settling): a story's first articles often started it apart before it had grown enough to take them."""
    settle_threshold: float = 0.30
    """Score a story of two or more articles needs, as a whole, to move into another story at settling (above
    `threshold`: a wrong move takes all its articles along)."""
    book_candidates: bool = True
    """Neighbours from the story book's members of the window (an exact search whose cost follows the feed's rate)
    instead of the vector store's filtered search (which slows with the archive: about 0.5 s a query at 100,000
    articles here). Off: the vector store's, as before (the same figures on FANG-COVID but for one article's story:
    gold event pairs 0.823 against 0.790)."""


@dataclass
class Profile:
    """What a story is, for comparing: its vector sum, its term counts, and its days."""

    id: str
    vector: np.ndarray
    terms: dict[str, float]
    first_day: int | None
    last_day: int | None
    day_sum: int = 0
    dated: int = 0
    size: int = 0
    members: list[str] = field(default_factory=list)

    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.vector)) or 1.0
        return self.vector / norm

    def gap(self, day: int | None) -> float:
        """Days from `day` to the story's span (0 inside it; 0 when either is undated)."""
        if day is None or self.first_day is None or self.last_day is None:
            return 0.0
        return float(max(0, day - self.last_day, self.first_day - day))

    def joined(self, article_id: str, vector: np.ndarray, terms: dict[str, float], day: int | None) -> Profile:
        """This story with one more article."""
        days = [d for d in (self.first_day, self.last_day, day) if d is not None]
        return Profile(
            self.id,
            self.vector + vector,
            merged(self.terms, presence(terms)),
            min(days) if days else None,
            max(days) if days else None,
            self.day_sum + (day or 0),
            self.dated + (day is not None),
            self.size + 1,
            [*self.members, article_id],
        )

    def grown(self, other: Profile) -> Profile:
        """This story with every article of `other` (a small story moving in whole)."""
        days = [d for d in (self.first_day, self.last_day, other.first_day, other.last_day) if d is not None]
        return Profile(
            self.id,
            self.vector + other.vector,
            merged(self.terms, other.terms),
            min(days) if days else None,
            max(days) if days else None,
            self.day_sum + other.day_sum,
            self.dated + other.dated,
            self.size + other.size,
            [*self.members, *other.members],
        )

    def span_gap(self, other: Profile) -> float:
        """Days between the two stories' spans (0 when they overlap or either is undated)."""
        if None in (self.first_day, self.last_day, other.first_day, other.last_day):
            return 0.0
        return float(
            max(0, (other.first_day or 0) - (self.last_day or 0), (self.first_day or 0) - (other.last_day or 0))
        )


class Book(Protocol):
    """Where stories are kept (`assistant.stories.book.StoryBook` on disk)."""

    def story_of(self, article_id: str) -> str | None: ...

    def resolve(self, story_id: str) -> str | None: ...

    def profiles(self, story_ids: set[str]) -> list[Profile]: ...

    def document_frequencies(self, terms: list[str]) -> tuple[dict[str, int], int]: ...


Candidates = Callable[[np.ndarray, int | None], list[str]]
"""(article vector, day) -> ids of nearby articles (the book's nearest members within the time window)."""


def story_id_for(article_id: str) -> str:
    """A story is named after the article that started it: the same archive indexed again gets the same ids."""
    return "s-" + hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:12]


def new_story_id(article_id: str, book: Book) -> str:
    """The id of a story `article_id` starts: its own (`story_id_for`), unless a story or a merged story's old id
    already has it (the article was removed and came back): then one counted on from it, never an id that
    leads elsewhere."""
    story_id, n = story_id_for(article_id), 0
    while book.resolve(story_id) is not None:
        n += 1
        story_id = story_id_for(f"{article_id}#{n}")
    return story_id


@dataclass(frozen=True)
class Decision:
    """Where an article goes: the story it joins (or starts), and stories found to be the same one."""

    story: Profile
    new: bool
    merge: list[Profile]
    small: tuple[str, ...] = ()
    """Stories of fewer than `Params.settle_size` articles among the candidates that it did not join or merge:
    worth another look at settling, once the call's articles are in."""


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).astype(np.float32)


class Scorer:
    """Similarity of an article (or story) to a story, with the time decay."""

    def __init__(self, params: Params, df: dict[str, int], documents: int) -> None:
        self.params = params
        self.df = df
        self.documents = documents
        self._stories: dict[tuple[str, int], dict[str, float]] = {}
        self._article: tuple[dict[str, float], dict[str, float]] | None = None

    def _story_terms(self, story: Profile) -> dict[str, float]:
        """A story's weighted terms, computed once per decision (a story is scored against several articles)."""
        key = (story.id, story.size)
        if key not in self._stories:
            self._stories[key] = profile_weighted(story.terms, story.size, self.df, self.documents)
        return self._stories[key]

    def _article_terms(self, terms: dict[str, float]) -> dict[str, float]:
        if self._article is None or self._article[0] is not terms:
            self._article = (terms, weighted(terms, self.df, self.documents))
        return self._article[1]

    def _focused(self, terms: dict[str, float], story: Profile) -> bool:
        p = self.params
        if p.focus <= 0 or story.size < p.focus_size:
            return True
        return any(
            story.terms[t] / story.size * idf(self.df.get(t, 0), self.documents) >= p.focus
            for t in terms
            if t in story.terms
        )

    def similarity(self, vector: np.ndarray, terms: dict[str, float], story: Profile) -> float:
        return self._similarity(vector, self._article_terms(terms), terms, story)

    def _similarity(
        self, vector: np.ndarray, weighted_terms: dict[str, float], terms: dict[str, float], story: Profile
    ) -> float:
        p = self.params
        dense = float(np.dot(unit(vector), story.centroid()))
        dense = max(0.0, (dense - p.dense_floor) / (1.0 - p.dense_floor))
        sparse = cosine(weighted_terms, self._story_terms(story))
        if sparse < p.min_sparse or not self._focused(terms, story):
            return 0.0
        return p.dense_weight * dense + (1.0 - p.dense_weight) * sparse

    def joining(self, small: Profile, story: Profile) -> float:
        """How well a whole small story fits another, as an article would: its mean vector, its words weighted by
        the share of its articles holding them, decayed by the days between the two spans."""
        similar = self._similarity(small.vector, self._story_terms(small), small.terms, story)
        return similar * math.pow(0.5, small.span_gap(story) / self.params.half_life)

    def score(self, vector: np.ndarray, terms: dict[str, float], day: int | None, story: Profile) -> float:
        decay = math.pow(0.5, story.gap(day) / self.params.half_life)
        return self.similarity(vector, terms, story) * decay

    def between(self, a: Profile, b: Profile) -> float:
        """How alike two stories are (for merging): their profiles, decayed by the days between their spans."""
        return self.similarity(a.vector, self._story_terms(a), b) * math.pow(0.5, a.span_gap(b) / self.params.half_life)


def decide(
    article_id: str,
    vector: np.ndarray,
    terms: dict[str, float],
    day: int | None,
    book: Book,
    candidates: Candidates,
    params: Params,
) -> Decision:
    """The story of one arriving article (not yet in the book), and the stories it shows to be one."""
    near = [a for a in candidates(vector, day) if a != article_id]
    story_ids = {s for s in (book.story_of(a) for a in near) if s is not None}
    profiles = book.profiles(story_ids)
    wanted = sorted(set(terms).union(*(p.terms for p in profiles)))
    df, documents = book.document_frequencies(wanted)
    scorer = Scorer(params, df, documents)
    scored = sorted(((scorer.score(vector, terms, day, p), p) for p in profiles), key=lambda x: (-x[0], x[1].id))
    fitting = [p for s, p in scored if s >= params.threshold]
    if not fitting:
        start = Profile(new_story_id(article_id, book), np.zeros_like(vector), {}, None, None)
        small = tuple(p.id for p in profiles if p.size < params.settle_size)
        return Decision(start.joined(article_id, vector, terms, day), True, [], small)
    best = fitting[0].joined(article_id, vector, terms, day)
    same = [p for p in fitting[1:] if scorer.between(p, best) >= params.merge_threshold]
    merged_ids = {p.id for p in same}
    small = tuple(p.id for p in profiles if p.size < params.settle_size and p.id != best.id and p.id not in merged_ids)
    return Decision(best, False, same, small)


def redecide(
    story: Profile, members: list[tuple[np.ndarray, int | None]], book: Book, candidates: Candidates, params: Params
) -> Decision | None:
    """Where a small story of two or more articles goes when decided again as a whole (settling): into the best
    story its members' neighbours belong to that it fits (`Params.settle_threshold`), with the stories that one
    shows to be the same; None: it stays."""
    near = {a for vector, day in members for a in candidates(vector, day)}
    story_ids = {s for s in (book.story_of(a) for a in near) if s is not None} - {story.id}
    profiles = book.profiles(story_ids)
    df, documents = book.document_frequencies(sorted(set(story.terms).union(*(p.terms for p in profiles))))
    scorer = Scorer(params, df, documents)
    scored = sorted(((scorer.joining(story, p), p) for p in profiles), key=lambda x: (-x[0], x[1].id))
    fitting = [p for s, p in scored if s >= params.settle_threshold]
    if not fitting:
        return None
    best = fitting[0].grown(story)
    same = [p for p in fitting[1:] if scorer.between(p, best) >= params.merge_threshold]
    return Decision(best, False, same)
