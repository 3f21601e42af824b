"""Giving indexed articles their story: the indexer's hook, and the catch-up that repairs what it missed.

Called by the indexer inside its store write (after the articles' records are committed); candidates are the
story book's nearest members of the article's time window (the vector store's nearest chunks for an undated one).
One process assigns at a time (``.stories.lock`` in the index folder, an flock the kernel releases if the process
dies): the book and the clustering order stay one sequence.

With a Chroma server (`shared`) the book is a cache of the server's (`assistant.stories.shared_book`): every look
first pulls it when the server's marker moved; a writer (the indexing run, holding the writers' lease) reconciles
at the start of its turn and pushes each change after its local transaction. A reader's catch-up assigns what
the server's book still lacks in its cache only (`push=False`); the next writer makes those assignments for
good."""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.articles import Article
from assistant.indexing.records import Records
from assistant.indexing.shared_store import StoreAccess, file_lock
from assistant.protocols import VectorStore
from assistant.stories.book import StoryBook
from assistant.stories.clustering import Candidates, Params, decide, redecide, unit
from assistant.stories.days import ordinal, store_day
from assistant.stories.shared_book import SharedBook
from assistant.stories.terms import article_terms

log = logging.getLogger(__name__)
BOOK_FILE = "stories.sqlite3"
CLOCK_SLACK = 600.0
"""Seconds before the noted match from which arrivals are read again (a clock set back a little loses nothing)."""


def store_candidates(book: StoryBook, store: VectorStore, params: Params) -> Candidates:
    """The nearest members of the story book within the time window, as article ids (nearest first); an undated
    article (or `Params.book_candidates` off) asks the vector store's nearest chunks instead (without a window when
    undated)."""

    def candidates(vector: np.ndarray, day: int | None) -> list[str]:
        if day is not None and params.book_candidates:
            return book.nearest(vector, day - params.window, day + params.window, params.neighbours)
        where = None
        if day is not None:
            where = {
                "$and": [
                    {"published_day": {"$gte": store_day(day - params.window)}},
                    {"published_day": {"$lte": store_day(day + params.window)}},
                ]
            }
        hits = store.search(vector, params.neighbours, where)
        return list(dict.fromkeys(str(hit.metadata["article_id"]) for hit in hits))

    return candidates


class StoryAssigner:
    """Assigns articles to stories in the book of one index folder."""

    def __init__(self, folder: Path, params: Params | None = None, shared: SharedBook | None = None) -> None:
        self.folder = folder
        self.params = params or Params()
        self.book = StoryBook(folder / BOOK_FILE)
        self.shared = shared

    @contextmanager
    def turn(self) -> Iterator[None]:
        with file_lock(self.folder / ".stories.lock", fcntl.LOCK_EX):
            yield

    def assign(self, articles: list[tuple[Article, np.ndarray]], store: VectorStore, *, push: bool = True) -> None:
        """Give each (article, lead vector) its story, in publication order; one already in a story keeps it
        (re-indexing an article does not move it, so ids stay stable). With a server, `push` (a writer's call)
        sends the changes there after the local transactions."""
        candidates = store_candidates(self.book, store, self.params)
        small: set[str] = set()
        assigned: list[str] = []
        with self.turn(), self.book.counting():
            for article, vector in sorted(articles, key=lambda pair: (pair[0].published or "", pair[0].id)):
                if self.book.story_of(article.id) is not None:
                    continue
                day = ordinal(article.published)
                terms = article_terms(article.title, article.text)
                decision = decide(article.id, unit(vector), terms, day, self.book, candidates, self.params)
                self.book.apply(decision, article.id, unit(vector), terms, day)
                small.update(decision.small)
                assigned.append(article.id)
            moved = self._settle(small, candidates)
            if self.shared is not None and assigned:
                if push:
                    into = {s for s in (self.book.story_of(a) for a in [*assigned, *moved]) if s is not None}
                    self.shared.push(self.book, assigned, into, [])
                else:
                    self.shared.diverged(self.book)

    def _settle(self, small: set[str], candidates: Candidates) -> list[str]:
        """Small stories (`Params.settle_size`) near the articles just assigned get another look: arriving in
        publication order, the first articles of a story often started it apart before it had grown enough to take
        them. Each is decided again against the stories as they are now (a lone article as it arrived, a story of
        more as a whole) and moves whole into the one it fits (its id then leads there); the cost stays bounded,
        since only the candidates of the arriving articles are looked at again. Returns the articles that moved."""
        moved: list[str] = []
        for story_id in sorted(small):
            members = self.book.members(story_id)
            if not members or len(members) >= self.params.settle_size:
                continue
            found = [f for m in members if (f := self.book.member(m.article_id)) is not None]
            if len(found) != len(members):
                continue
            if len(members) == 1:
                vector, terms, day = found[0]
                decision = decide(members[0].article_id, vector, terms, day, self.book, candidates, self.params)
                target = None if decision.new or decision.story.id == story_id else decision
            else:
                (profile,) = self.book.profiles({story_id})
                target = redecide(profile, [(v, d) for v, _, d in found], self.book, candidates, self.params)
            if target is not None:
                self.book.regroup(story_id, target)
                moved.extend(m.article_id for m in members)
        return moved

    def removed(self, article_ids: list[str], *, push: bool = True) -> None:
        with self.turn():
            self.book.remove(article_ids)
            if self.shared is not None and article_ids:
                if push:
                    self.shared.push(self.book, [], [], article_ids)
                else:
                    self.shared.diverged(self.book)

    def sync(self, *, writer: bool) -> None:
        """With a server: a reader pulls its book when the server's marker moved; a writer reconciles."""
        if self.shared is None:
            return
        with self.turn():
            if writer:
                self.shared.reconcile(self.book)
            else:
                self.shared.pull(self.book)

    def catch_up(self, records: Records, access: StoreAccess, *, push: bool = True) -> int:
        """Assign what the record holds and the book lacks, forget what the book holds and the record lost;
        returns how many articles were assigned. With a server the book is first brought to the server's (a
        writer, `push`, reconciles and sends what it assigns; a reader keeps it in its cache).

        When the book notes that it matched the record at some time (`StoryBook.matched_at`) and has lost no
        member since, only the articles (re)indexed after it can be missing: the record's arrivals since then
        (an index on their time) and both counts decide, so a look with nothing to do reads no list of ids. Any
        other case compares every id, then notes the match."""
        self.sync(writer=push)
        began, losses = time.time(), self.book.losses()
        missing = self._arrivals(records)
        if missing is None:
            current = records.article_ids()
            known = self.book.article_ids()
            gone = sorted(known - current)
            if gone:
                self.removed(gone, push=push)
                losses = -1  # its own drops: the next look compares every id once more, then notes the match
            missing = sorted(current - known)
        done = self._assign_missing(missing, records, access, push=push)
        if done == len(missing) and losses >= 0:
            self.book.note_match(began, losses)
        return done

    def _arrivals(self, records: Records) -> list[str] | None:
        """The record's articles the book lacks, from the arrivals since the book last matched the record; None
        when that cannot tell (no match noted, members lost since, or the record lost articles)."""
        matched = self.book.matched_at()
        if matched is None:
            return None
        arrived = [aid for aid, _ in records.arrived_after(matched - CLOCK_SLACK)]
        missing = sorted(set(arrived) - self.book.known(arrived))
        if self.book.article_count() + len(missing) != records.counts()[0]:
            return None
        return missing

    def _assign_missing(self, missing: list[str], records: Records, access: StoreAccess, *, push: bool) -> int:
        if not missing:
            return 0
        log.info("assigning %d articles to stories", len(missing))
        done = 0
        for lo in range(0, len(missing), 200):
            part = [a for a in (records.article(i) for i in missing[lo : lo + 200]) if a is not None]
            leads = {a.id: chunks[0].id for a in part if (chunks := records.chunks_of(a.id))}
            with access.reading() as store:
                vectors = {chunk.metadata["article_id"]: v for chunk, v in store.fetch(list(leads.values()))}
                self.assign([(a, vectors[a.id]) for a in part if a.id in vectors], store, push=push)
            done += len(vectors)
        return done

    def close(self) -> None:
        self.book.close()
