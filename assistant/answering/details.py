"""Whether the candidate sentences hold what the question asks for, and where: the detail (a day, a number, a
name, a place, a cause) in a sentence or in the one after it.

The failures this answers have one shape: the sentence chosen repeats the question's words and lacks what was
asked ("Wie viele …" quoted with a sentence about the group, without the number). So for a question that asks
for a detail, a sentence holding one of its kind is preferred, the next sentence is quoted when the detail
stands there, and when none of the best candidates holds one the answer says so instead of quoting a sentence
on the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.aspects import Aspect, asked_aspect, fits
from assistant.answering.spans import FINDERS, answer_spans
from assistant.chunking import Span
from assistant.question import AnswerKind

SCANNED = 8
"""Only the best candidates (by quote score) are looked into: the answer stands in one of them when it stands
anywhere, and names need the tagger (about 1 ms a word once seen) on the question path."""


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence as the detail finder sees it: its span in the article and its text."""

    span: Span
    text: str


@dataclass(frozen=True)
class Holding:
    """Where one candidate holds the detail: in its own sentence (`own`), or else in the next one (`after`, the
    span of that sentence, with the details in `in_after`). Details are article offsets."""

    own: tuple[Span, ...] = ()
    after: Span | None = None
    in_after: tuple[Span, ...] = ()
    end: int = 0  # where the candidate's own sentence ends (its last hard-wrapped line included)

    @property
    def holds(self) -> bool:
        return bool(self.own or self.in_after)


def asks_for_detail(kind: AnswerKind) -> bool:
    """Whether a question of this kind wants a detail that a sentence can hold (not a choice, not open)."""
    return kind in FINDERS


def holdings(
    kind: AnswerKind, question: str, ranked: list[int], sentences: list[Sentence], nexts: list[Sentence | None]
) -> dict[int, Holding]:
    """For the SCANNED best candidates (`ranked`: candidate indexes, best first), where each holds a detail of
    `kind` that the question does not hold already and that is about what it asks (`aspects.fits`)."""
    aspect = asked_aspect(question, kind)
    found = {}
    for n in ranked[:SCANNED]:
        own = _details(kind, aspect, question, sentences[n])
        following = nexts[n]
        if own:
            found[n] = Holding(own=own, end=sentences[n].span.end)
        elif following is not None and (in_after := _details(kind, aspect, question, following)):
            found[n] = Holding(after=following.span, in_after=in_after)
    return found


def _details(kind: AnswerKind, aspect: Aspect, question: str, sentence: Sentence) -> tuple[Span, ...]:
    start, text = sentence.span.start, sentence.text
    spans = answer_spans(text, kind, question)
    return tuple(Span(start + a, start + b) for a, b in spans if fits(aspect, kind, text, a, b, question))


def short_answer_in(quote: Span, text: str, details: tuple[Span, ...], question: str) -> Span | None:
    """Of the details inside the quote (`text`, which may have been cut to its clauses), the one standing
    closest to the question's own words: "… bis zu 150 Minderjährige und zusätzlich 1553 anerkannte
    Asylbewerber" answers "Wie viele anerkannte Asylbewerber …" with 1553."""
    inside = [d for d in details if quote.start <= d.start and d.end <= quote.end]
    inside = [d for d in inside if not _whole_of(d, inside, quote, text)]
    if len(inside) < 2:
        return inside[0] if inside else None
    asked = {w.lower()[:WORD_PREFIX] for w in _WORD.findall(question) if len(w) >= MIN_WORD}
    at = [quote.start + m.start() for m in _WORD.finditer(text) if m.group().lower()[:WORD_PREFIX] in asked]

    def distance(detail: Span) -> int:
        outside = [p for p in at if not detail.start <= p < detail.end]
        return min((abs(p - detail.start) for p in outside), default=len(text))

    return min(inside, key=distance)


def _whole_of(detail: Span, inside: list[Span], quote: Span, text: str) -> bool:
    """Whether `detail` is the whole that another detail is a part of ("1553 von 6650 getesteten"): the part
    answers "wie viele der Getesteten", the whole is what the question names."""
    return any(
        _PART_OF.fullmatch(text[other.end - quote.start : detail.start - quote.start]) is not None
        for other in inside
        if other.end <= detail.start
    )


_PART_OF = re.compile(r"\s+(?:von|aus|of|out of)\s+(?:insgesamt\s+|total\s+)?", re.IGNORECASE)
_WORD = re.compile(r"\w+")
WORD_PREFIX = 5
"""Question and sentence words meet on their first characters ("Asylbewerber", "Asylbewerbern")."""
MIN_WORD = 4
"""Shorter words (articles, prepositions) stand everywhere and say nothing about where the answer is."""


def nearness(details: tuple[Span, ...], sentences: tuple[Sentence, ...], question: str) -> float:
    """How close a detail stands to the question's own words in `sentences` (a candidate and the one after
    it): 1 / (1 + characters / 50) at the nearest pair, 0 when no question word is there. A number far from
    every question word more often answers another question."""
    asked = {w.lower()[:WORD_PREFIX] for w in _WORD.findall(question) if len(w) >= MIN_WORD}
    at = [
        s.span.start + m.start()
        for s in sentences
        for m in _WORD.finditer(s.text)
        if m.group().lower()[:WORD_PREFIX] in asked
    ]
    return nearness_at(details, at)


def nearness_at(details: tuple[Span, ...], at: list[int]) -> float:
    """`nearness` given where the question's words stand (article offsets; across languages, where the tokens
    aligned with them stand: `bridging`)."""
    distances = [abs(p - d.start) for d in details for p in at if not d.start <= p < d.end]
    return 1.0 / (1.0 + min(distances) / NEARNESS_SCALE) if distances else 0.0


NEARNESS_SCALE = 50.0
"""Characters at which nearness halves (about eight words)."""
