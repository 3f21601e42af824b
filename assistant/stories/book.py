"""The story book: which article belongs to which story, each story's profile, and the ids merged stories had.

``<index_dir>/stories.sqlite3`` (SQLite in WAL mode, like the indexing record): every assignment, merge and
removal is one transaction, so a killed process leaves the book as it was before or after one article. The
book follows the record, never the other way round: an article the record holds and the book lacks (a run
killed between the two commits, an article another machine indexed into a shared server) is assigned at the next
catch-up (`assistant.stories.assigning.StoryAssigner.catch_up`), one the book holds and the record lost is
removed there.

With a Chroma server the book is this machine's cache of the server's (`assistant.stories.shared_book`): each
member remembers the story it *joined* (merges move it on through the aliases), and the book notes which state of
the server it last matched (`server_token` in its meta table)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.indexing.database import SharedFile, rows_where_in
from assistant.stories.clustering import Decision, Profile
from assistant.stories.terms import merged, presence

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY, vector BLOB NOT NULL, terms TEXT NOT NULL, first_day INTEGER, last_day INTEGER,
    day_sum INTEGER NOT NULL, dated INTEGER NOT NULL, size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, day INTEGER, vector BLOB NOT NULL, terms TEXT NOT NULL,
    seq INTEGER NOT NULL, joined TEXT
);
CREATE INDEX IF NOT EXISTS members_story ON members(story_id);
CREATE INDEX IF NOT EXISTS members_day ON members(day);
CREATE INDEX IF NOT EXISTS members_seq ON members(seq);
CREATE TABLE IF NOT EXISTS aliases (old TEXT PRIMARY KEY, new TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS df (term TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""
MATCHED = "record_match"
"""Meta key: when the book last held exactly the record's articles, and its count of drops then."""
LOSSES = "losses"
"""Meta key: how many times members were dropped (a removal, a pull that dropped some)."""
TOKEN = "server_token"
"""Meta key: the server marker's token the book last matched (``local:<token>``: matched it, then changed in this
cache only, by a reader's catch-up)."""
SERIAL = "server_serial"
"""Meta key: the serial number of the server's state the book last matched (every write there counts one on)."""
DIRTY = "unpushed"
"""Meta key, present while the book holds changes of its own that no push has confirmed on the server."""


@dataclass(frozen=True)
class Entry:
    """A member as the server keeps it: the story it joined, its place in the book's order, its day."""

    joined: str
    seq: int
    day: int | None


@dataclass(frozen=True)
class Stored:
    """A member's entry with what the clustering reads of it (lead vector and terms)."""

    entry: Entry
    vector: np.ndarray
    terms: dict[str, float]


@dataclass(frozen=True)
class Member:
    """One article of a story, as the book knows it."""

    article_id: str
    story_id: str
    day: int | None


class StoryBook:
    """Stories on disk, shared by every process of the index folder (writers take `assigning`'s file lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = SharedFile(path)  # can be rebuilt from the record: fast commits
        self._count: int | None = None
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(members)")}
        if "joined" not in columns:  # a book from before stories were shared: each joined the story it is in
            with self._transaction() as db:
                if "joined" not in {row[1] for row in db.execute("PRAGMA table_info(members)")}:  # not another's
                    db.execute("ALTER TABLE members ADD COLUMN joined TEXT")
                    db.execute("UPDATE members SET joined = story_id")

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection (stories are read by questions running in threads)."""
        return self._file.db

    def close(self) -> None:
        self._file.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.transaction()

    # --- reading ----------------------------------------------------------------------------------
    def story_of(self, article_id: str) -> str | None:
        row = self._db.execute("SELECT story_id FROM members WHERE article_id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def resolve(self, story_id: str) -> str | None:
        """The current id of a story (a merged story's old id leads to the story it became); None if unknown."""
        if self._db.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone():
            return story_id
        row = self._db.execute("SELECT new FROM aliases WHERE old = ?", (story_id,)).fetchone()
        return row[0] if row else None

    def profiles(self, story_ids: set[str]) -> list[Profile]:
        query = "SELECT id, vector, terms, first_day, last_day, day_sum, dated, size FROM stories WHERE id IN ({})"
        found = []
        for sid, blob, terms, first, last, day_sum, dated, size in rows_where_in(self._db, query, sorted(story_ids)):
            vector = np.frombuffer(blob, dtype=np.float32).copy()
            found.append(Profile(sid, vector, json.loads(terms), first, last, day_sum, dated, size))
        return found

    def document_frequencies(self, terms: list[str]) -> tuple[dict[str, int], int]:
        """How many assigned articles hold each term, and how many articles there are."""
        df: dict[str, int] = dict(rows_where_in(self._db, "SELECT term, n FROM df WHERE term IN ({})", terms))
        return df, self.article_count()

    def article_count(self) -> int:
        if self._count is not None:
            return self._count
        return int(self._db.execute("SELECT count(*) FROM members").fetchone()[0])

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Within a writer's turn (no other process writes the book meanwhile) the member count is read once and
        kept by this book's own additions: counting every member for each decision grew with the archive
        (0.3 → 7 ms per article from 2,000 to 100,000 members). Any other write falls back to counting."""
        self._count = int(self._db.execute("SELECT count(*) FROM members").fetchone()[0])
        try:
            yield
        finally:
            self._count = None

    def article_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT article_id FROM members")}

    def members(self, story_id: str | None = None) -> list[Member]:
        """Every member (or one story's), in the order they joined."""
        query = "SELECT article_id, story_id, day FROM members"
        rows = (
            self._db.execute(query + " WHERE story_id = ? ORDER BY seq", (story_id,))
            if story_id
            else (self._db.execute(query + " ORDER BY seq"))
        )
        return [Member(*row) for row in rows]

    def nearest(self, vector: np.ndarray, first: int, last: int, k: int) -> list[str]:
        """The `k` members published from day `first` to `last` whose lead vectors are nearest `vector` (nearest
        first): an exact search over the window's members only, so its cost follows the feed's rate, not the
        archive's size."""
        rows = self._db.execute("SELECT article_id, vector FROM members WHERE day >= ? AND day <= ?", (first, last))
        ids, blobs = [], []
        for aid, blob in rows:
            ids.append(aid)
            blobs.append(blob)
        if not ids:
            return []
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
        sims = matrix @ np.asarray(vector, np.float32)
        top = np.argsort(-sims, kind="stable")[:k]
        return [ids[i] for i in top]

    def stories_between(self, first: int | None, last: int | None) -> list[str]:
        """The stories with a member published from day `first` to day `last` (ordinals; None: open)."""
        rows = self._db.execute(
            "SELECT DISTINCT story_id FROM members WHERE day IS NOT NULL AND day >= ? AND day <= ?",
            (first if first is not None else -(2**62), last if last is not None else 2**62),
        )
        return sorted(row[0] for row in rows)

    def members_of(self, story_ids: list[str]) -> list[Member]:
        """The members of the given stories, in the order they joined."""
        query = "SELECT article_id, story_id, day, seq FROM members WHERE story_id IN ({})"
        rows = sorted(rows_where_in(self._db, query, story_ids), key=lambda row: row[3])  # all of them, not per 500
        return [Member(aid, sid, day) for aid, sid, day, _ in rows]

    def member(self, article_id: str) -> tuple[np.ndarray, dict[str, float], int | None] | None:
        """An article's lead vector, terms and day as the book holds them (None: not in a story)."""
        row = self._db.execute("SELECT vector, terms, day FROM members WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            return None
        return np.frombuffer(row[0], dtype=np.float32).copy(), json.loads(row[1]), row[2]

    def member_vectors(self, story_id: str) -> dict[str, np.ndarray]:
        rows = self._db.execute("SELECT article_id, vector FROM members WHERE story_id = ?", (story_id,))
        return {aid: np.frombuffer(blob, dtype=np.float32) for aid, blob in rows}

    def known(self, article_ids: list[str]) -> set[str]:
        """Those of `article_ids` that are members."""
        return {row[0] for row in rows_where_in(self._db, "SELECT article_id FROM members WHERE article_id IN ({})",
                                                 sorted(set(article_ids)))}  # fmt: skip

    def losses(self) -> int:
        """How many times members were dropped (a removal, a pull that dropped some): a count, not the members."""
        return int(self.get_meta(LOSSES) or 0)

    def matched_at(self) -> float | None:
        """The Unix time at which this book last held exactly the record's articles, if it has lost no member
        since (then what it lacks now arrived in the record after that time); None otherwise."""
        noted = (self.get_meta(MATCHED) or "").split("|")
        if len(noted) != 2 or noted[1] != str(self.losses()):
            return None
        return float(noted[0])

    def note_match(self, at: float, losses: int) -> None:
        """The book held exactly the record's articles as of `at`, `losses` being its count of drops then (a
        drop since makes the note void)."""
        self.set_meta(MATCHED, f"{at!r}|{losses}")

    def matched_server(self, token: str, serial: int) -> None:
        """The book now holds exactly the server's state `token` (serial number `serial`): nothing unpushed."""
        with self._transaction() as db:
            _matched(db, token, serial)

    def server_serial(self) -> int | None:
        """The serial number of the server state this book last matched (None: unknown)."""
        value = self.get_meta(SERIAL)
        return int(value) if value else None

    def unpushed(self) -> bool:
        """Whether the book holds changes of its own no push has confirmed on the server."""
        return self.get_meta(DIRTY) is not None

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- what a server keeps of the book (`assistant.stories.shared_book`) ------------------------
    def entries(self) -> dict[str, Entry]:
        """Every member's entry (the story it joined, its order, its day), by article id."""
        rows = self._db.execute("SELECT article_id, joined, seq, day FROM members")
        return {aid: Entry(joined, seq, day) for aid, joined, seq, day in rows}

    def stored(self, article_ids: Iterable[str]) -> dict[str, Stored]:
        """The entries of `article_ids` with their lead vectors and terms (those in the book)."""
        query = "SELECT article_id, joined, seq, day, vector, terms FROM members WHERE article_id IN ({})"
        found: dict[str, Stored] = {}
        for aid, joined, seq, day, blob, terms in rows_where_in(self._db, query, sorted(set(article_ids))):
            vector = np.frombuffer(blob, dtype=np.float32).copy()
            found[aid] = Stored(Entry(joined, seq, day), vector, json.loads(terms))
        return found

    def aliases(self, into: Iterable[str] | None = None) -> dict[str, str]:
        """Old story id -> the story it became (every alias, or those leading into the stories `into`)."""
        rows = self._db.execute("SELECT old, new FROM aliases").fetchall()
        wanted = None if into is None else set(into)
        return {old: new for old, new in rows if wanted is None or new in wanted}

    def mirror(
        self, entries: dict[str, Entry], aliases: dict[str, str], fetched: dict[str, Stored], token: str, serial: int
    ) -> int:
        """Become the server's book in one transaction: members it lacks go, those it holds otherwise are
        replaced by `fetched`, every member moves to the story its joined one became (through `aliases`), and
        the stories touched are rebuilt; `token` and `serial` are noted as the server state matched. Returns the
        members changed."""
        self._count = None  # members come and go: counted again
        with self._transaction() as db:
            local = {
                aid: Entry(j, q, d) for aid, j, q, d in db.execute("SELECT article_id, joined, seq, day FROM members")
            }
            touched: set[str] = set()
            changed = 0
            for aid, entry in local.items():
                if entries.get(aid) == entry:
                    continue
                row = db.execute("SELECT story_id, terms FROM members WHERE article_id = ?", (aid,)).fetchone()
                db.execute("DELETE FROM members WHERE article_id = ?", (aid,))
                db.executemany("UPDATE df SET n = n - 1 WHERE term = ?", [(t,) for t in json.loads(row[1])])
                touched.add(row[0])
                changed += 1
            if changed:
                _lost(db)
            flat = {old: follow(old, aliases) for old in aliases}
            for aid, stored in fetched.items():
                if local.get(aid) == stored.entry or entries.get(aid) != stored.entry:
                    continue
                e = stored.entry
                db.execute(
                    "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (aid, e.joined, e.day, stored.vector.astype(np.float32).tobytes(), json.dumps(stored.terms),
                     e.seq, e.joined),
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO df VALUES (?, 1) ON CONFLICT(term) DO UPDATE SET n = n + 1",
                    [(t,) for t in stored.terms],
                )
                touched.add(e.joined)
                changed += 1
            db.execute("DELETE FROM aliases")
            db.executemany("INSERT INTO aliases VALUES (?, ?)", [(o, n) for o, n in flat.items() if o != n])
            for aid, story_id, joined in db.execute("SELECT article_id, story_id, joined FROM members").fetchall():
                current = flat.get(joined, joined)
                if current != story_id:
                    db.execute("UPDATE members SET story_id = ? WHERE article_id = ?", (current, aid))
                    touched.update((story_id, current))
            touched.update(flat)
            _settled(db, touched, token, serial)
        return changed

    def mirror_changes(
        self, entries: dict[str, Entry], aliases: dict[str, str], fetched: dict[str, Stored], token: str, serial: int
    ) -> int:
        """Take in what the server wrote since the state this book matched (members new or changed, aliases new or
        changed; nothing removed there meanwhile), in one transaction; `token` and `serial` are noted as the state
        matched. Returns the members changed."""
        self._count = None  # members come and go: counted again
        with self._transaction() as db:
            known = dict(db.execute("SELECT old, new FROM aliases").fetchall())
            known.update(aliases)
            flat = {old: follow(old, known) for old in known}
            touched: set[str] = set()
            changed = 0
            for aid, stored in fetched.items():
                if entries.get(aid) != stored.entry:
                    continue
                row = db.execute("SELECT story_id, terms, joined, seq, day FROM members WHERE article_id = ?",
                                 (aid,)).fetchone()  # fmt: skip
                if row is not None:
                    if Entry(row[2], row[3], row[4]) == stored.entry:
                        continue
                    db.executemany("UPDATE df SET n = n - 1 WHERE term = ?", [(t,) for t in json.loads(row[1])])
                    touched.add(row[0])
                e = stored.entry
                story_id = flat.get(e.joined, e.joined)
                db.execute(
                    "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (aid, story_id, e.day, stored.vector.astype(np.float32).tobytes(), json.dumps(stored.terms),
                     e.seq, e.joined),
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO df VALUES (?, 1) ON CONFLICT(term) DO UPDATE SET n = n + 1",
                    [(t,) for t in stored.terms],
                )
                touched.add(story_id)
                changed += 1
            for old in sorted(aliases):
                target = flat[old]
                if old == target:
                    continue
                db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (old, target))
                moved = db.execute("UPDATE members SET story_id = ? WHERE story_id = ?", (target, old)).rowcount
                if moved or db.execute("SELECT 1 FROM stories WHERE id = ?", (old,)).fetchone():
                    touched.update((old, target))
            db.executemany(
                "UPDATE aliases SET new = ? WHERE old = ? AND new != ?",
                [(flat[o], o, flat[o]) for o in known if o in flat and flat[o] != o and o not in aliases],
            )  # chains through a new alias are flattened
            _settled(db, touched, token, serial)
        return changed

    # --- writing (one transaction each) -----------------------------------------------------------
    def apply(
        self, decision: Decision, article_id: str, vector: np.ndarray, terms: dict[str, float], day: int | None
    ) -> None:
        """Record an article in its story (and merge the stories the decision found to be one)."""
        story = decision.story
        with self._transaction() as db:
            new = db.execute("SELECT 1 FROM members WHERE article_id = ?", (article_id,)).fetchone() is None
            seq = int(db.execute("SELECT coalesce(max(seq), 0) + 1 FROM members").fetchone()[0])
            db.execute(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?)",
                (article_id, story.id, day, np.asarray(vector, np.float32).tobytes(), json.dumps(terms), seq, story.id),
            )
            db.executemany(
                "INSERT INTO df VALUES (?, 1) ON CONFLICT(term) DO UPDATE SET n = n + 1", [(t,) for t in terms]
            )
            _put(db, story)
            for other in decision.merge:
                _merge(db, story.id, other.id)
            _dirty(db)
        if self._count is not None and new:
            self._count += 1

    def regroup(self, story_id: str, decision: Decision) -> None:
        """A story moves whole into the one `decision` found for it (and the stories that decision merges);
        its id then leads there."""
        with self._transaction() as db:
            _merge(db, decision.story.id, story_id)
            for other in decision.merge:
                _merge(db, decision.story.id, other.id)
            _dirty(db)

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles (deleted from the index); their stories are rebuilt from the members left."""
        self._count = None
        for article_id in article_ids:
            with self._transaction() as db:
                row = db.execute("SELECT story_id, terms FROM members WHERE article_id = ?", (article_id,)).fetchone()
                if row is None:
                    continue
                db.execute("DELETE FROM members WHERE article_id = ?", (article_id,))
                db.executemany("UPDATE df SET n = n - 1 WHERE term = ?", [(t,) for t in json.loads(row[1])])
                _lost(db)
                _dirty(db)
                _rebuild(db, row[0])


def follow(story_id: str, aliases: dict[str, str]) -> str:
    """Where `story_id` leads through `aliases` (old -> new, possibly in a chain; a cycle stops where it closes)."""
    seen = {story_id}
    while story_id in aliases and aliases[story_id] not in seen:
        story_id = aliases[story_id]
        seen.add(story_id)
    return story_id


def _settled(db: sqlite3.Connection, touched: set[str], token: str, serial: int) -> None:
    """After a pull: the touched stories' profiles rebuilt, words no story uses dropped, the server state noted."""
    for story_id in sorted(touched):
        _rebuild(db, story_id)
    db.execute("DELETE FROM df WHERE n <= 0")
    _matched(db, token, serial)


def _matched(db: sqlite3.Connection, token: str, serial: int) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (TOKEN, token))
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SERIAL, str(serial)))
    db.execute("DELETE FROM meta WHERE key = ?", (DIRTY,))


def _dirty(db: sqlite3.Connection) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (DIRTY,))


def _lost(db: sqlite3.Connection) -> None:
    """Count a drop of members (in the transaction that drops them): a noted match with the record is void."""
    db.execute(
        "INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", (LOSSES,)
    )


def _put(db: sqlite3.Connection, story: Profile) -> None:
    db.execute(
        "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            story.id,
            np.asarray(story.vector, np.float32).tobytes(),
            json.dumps(story.terms),
            story.first_day,
            story.last_day,
            story.day_sum,
            story.dated,
            story.size,
        ),
    )


def _merge(db: sqlite3.Connection, into: str, other: str) -> None:
    """`other`'s articles move to `into`; `other` (and every id that led to it) now leads to `into`."""
    db.execute("UPDATE members SET story_id = ? WHERE story_id = ?", (into, other))
    db.execute("UPDATE aliases SET new = ? WHERE new = ?", (into, other))
    db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (other, into))
    db.execute("DELETE FROM stories WHERE id = ?", (other,))
    _rebuild(db, into)


def _rebuild(db: sqlite3.Connection, story_id: str) -> None:
    """A story's profile from its members (after a merge or a removal); gone when it has none."""
    rows = db.execute("SELECT vector, terms, day FROM members WHERE story_id = ? ORDER BY seq", (story_id,)).fetchall()
    if not rows:
        db.execute("DELETE FROM stories WHERE id = ?", (story_id,))
        return
    vector = np.sum([np.frombuffer(blob, dtype=np.float32) for blob, _, _ in rows], axis=0)
    terms: dict[str, float] = {}
    for _, text, _ in rows:
        terms = merged(terms, presence(json.loads(text)))
    days = [day for _, _, day in rows if day is not None]
    story = Profile(
        story_id,
        vector,
        terms,
        min(days) if days else None,
        max(days) if days else None,
        sum(days),
        len(days),
        len(rows),
    )
    _put(db, story)
