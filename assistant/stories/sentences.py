"""The sentences of a story's articles with the vectors the index already holds, and what a sentence states as
numbers and names: the shared ground of the digest (what is new) and the outlet comparison (who says what)."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass

import numpy as np

from assistant.articles import Article
from assistant.indexing.records import Records

MIN_CHARS = 40
"""Shorter sentences (datelines, captions, "Mehr dazu.") are no statement of their own."""
_NUMBER = re.compile(r"\d{1,3}(?:[ .\u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)*")
"""A number as written: ``12.600``, ``12 600`` (with a space, no-break or thin space) and ``12600`` alike."""
_WORD_OR_NUMBER = re.compile(_NUMBER.pattern + r"|[^\W\d_][\w-]*", re.UNICODE)
_CALENDAR = frozenset(
    """montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag januar februar märz april mai juni
    juli august september oktober november dezember monday tuesday wednesday thursday friday saturday sunday""".split()
)
SIMILAR = 0.6
"""Share of words two sentences must have in the same order to be one statement told two ways."""


@dataclass(frozen=True)
class Sentence:
    """A verified quote: ``text == article.text[start:end]``."""

    text: str
    article_id: str
    source: str
    title: str
    published: str | None
    start: int
    end: int

    def to_dict(self) -> dict[str, str | int | None]:
        return asdict(self)


def sentences_of(records: Records, articles: list[Article]) -> tuple[list[Sentence], np.ndarray]:
    """The sentences (of `MIN_CHARS` or more) of the articles, in article order, and their unit vectors."""
    found: list[Sentence] = []
    vectors: list[np.ndarray] = []
    for article in articles:
        chunks = [c.id for c in records.chunks_of(article.id)]
        by_chunk = records.sentences_of(chunks)
        for chunk_id in chunks:
            for s in by_chunk.get(chunk_id, []):
                if s.end - s.start < MIN_CHARS:
                    continue
                found.append(
                    Sentence(
                        article.text[s.start : s.end],
                        article.id,
                        article.source,
                        article.title,
                        article.published,
                        s.start,
                        s.end,
                    )
                )
                vectors.append(s.vector / (float(np.linalg.norm(s.vector)) or 1.0))
    matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    return found, matrix


def changed(earlier: str, later: str) -> str | None:
    """'numbers', 'dates' or 'names' when `later` states what `earlier` states with another number or name, else None.

    The two sentences are compared word by word: most words must match in order (`SIMILAR`), and a replaced
    stretch must hold a number on both sides ("300 Zelte" / "350 Zelte", also dates), a weekday or month on both
    sides, or consist of capitalised words only, two or more on a side ("Dimitris Kairidis" / "Notis Mitarakis"):
    in German every noun is capitalised, so one noun for another ("Migranten" / "Flüchtlinge") or a re-worded
    sentence ("in der Nacht" / "große Teile") is not taken for another name (a lone surname swapped is missed)."""
    a, b = _tokens(earlier), _tokens(later)
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in a], b=[w.lower() for w in b], autojunk=False)
    if matcher.ratio() < SIMILAR:
        return None
    found = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        old, new = a[i1:i2], b[j1:j2]
        if any(_NUMBER.fullmatch(w) for w in old) and any(_NUMBER.fullmatch(w) for w in new):
            return "numbers"
        if all(w.lower() in _CALENDAR for w in old + new):
            return "dates"
        renamed = all(w[:1].isupper() for w in old + new) and max(len(old), len(new)) >= 2
        if i1 > 0 and j1 > 0 and renamed:
            found = "names"
    return found


def _tokens(text: str) -> list[str]:
    """Words and numbers, a number's thousands separators dropped (``12 600`` is ``12.600``)."""
    return [
        re.sub(r"[ .\u00a0\u202f](?=\d{3}\b)", "", w) if w[:1].isdigit() else w for w in _WORD_OR_NUMBER.findall(text)
    ]
