"""How outlets report a story: its sentences aligned across outlets, each a verbatim quote with offsets.

For the story the question finds (the story most of the retrieved passages belong to), the sentences most about
the question are grouped: sentences of different outlets at or above `SAME` cosine are one statement (shown once,
"auch in: …") unless they state another number, date or name; a statement of one outlet only is marked so; two
outlets' sentences about the same thing (at or above `RELATED`) that state other numbers, dates or names are
shown side by side as a difference, once per pair of statements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from assistant.stories.sentences import Sentence, changed

SAME = 0.93
"""Sentence cosine from which two outlets' sentences are one statement."""
RELATED = 0.86
"""Sentence cosine from which two sentences are about the same thing (a difference if a number or name differs)."""
CONSIDERED = 400
"""Sentences most about the question that are aligned (the cost stays bounded however long the story runs)."""
SHOWN = 6
"""Statements shown per kind (shared, single-outlet, differences)."""
T = TypeVar("T")
_FRAMING = re.compile(
    r"^\s*(wie\s+(berichten|berichteten|schreiben|sehen)\s+(die\s+)?(medien|zeitungen|outlets|quellen)\s+(über|zu|von)\s+"
    r"|wo\s+unterscheiden\s+sich\s+(die\s+)?(darstellungen|berichte|medien)\s+(über|zu|von|bei|zum|zur)?\s*"
    r"|how\s+do\s+(the\s+)?(outlets|media|newspapers|sources)\s+(differ|report)\s+(on|about|in)\s+)",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"wie\s+berichte\w*\s+(die\s+)?(medien|zeitungen)|unterscheiden\s+sich\s+(die\s+)?(darstellungen|berichte)"
    r"|how\s+do\s+(the\s+)?(outlets|media|newspapers|sources)\s+(differ|report)|berichterstattung\s+(der|verschiedener)\s+medien",
    re.IGNORECASE,
)


def asks_for_comparison(question: str) -> bool:
    """Whether a question asks how outlets report something (the chat answers those with a comparison)."""
    return bool(_ASKS.search(question))


def topic_of(question: str) -> str:
    """The question without its framing ("Wie berichten die Medien über …"): what is searched for the story."""
    return _FRAMING.sub("", question).strip(" ?") or question


@dataclass(frozen=True)
class Statement:
    """One statement: its first quote, and the other outlets that made it (empty: only this outlet)."""

    quote: Sentence
    also_in: list[str]

    def to_dict(self) -> dict[str, object]:
        return {"quote": self.quote.to_dict(), "also_in": self.also_in}


@dataclass(frozen=True)
class Difference:
    """The same thing told by two outlets with other numbers or names."""

    a: Sentence
    b: Sentence
    change: str

    def to_dict(self) -> dict[str, object]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "change": self.change}


@dataclass(frozen=True)
class Comparison:
    question: str
    story_id: str | None
    title: str
    outlets: list[str]
    shared: list[Statement] = field(default_factory=list)
    single: list[Statement] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    def shown_outlets(self) -> list[str]:
        """The outlets the answer quotes."""
        seen = [s.quote.source for s in self.shared + self.single]
        seen += [o for s in self.shared for o in s.also_in]
        seen += [x for d in self.differences for x in (d.a.source, d.b.source)]
        return sorted(set(seen))

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "story_id": self.story_id,
            "title": self.title,
            "outlets": self.outlets,
            "shared": [s.to_dict() for s in self.shared],
            "single": [s.to_dict() for s in self.single],
            "differences": [d.to_dict() for d in self.differences],
        }


def align(
    question: str,
    story_id: str,
    title: str,
    sentences: list[Sentence],
    vectors: np.ndarray,
    query: np.ndarray,
) -> Comparison:
    """Align the story's sentences across outlets (see the module docstring)."""
    outlets = sorted({s.source for s in sentences})
    if not sentences:
        return Comparison(question, story_id, title, outlets)
    relevance = vectors @ query
    chosen = np.argsort(-relevance, kind="stable")[:CONSIDERED]
    chosen = np.array(sorted(chosen, key=lambda i: (sentences[i].published or "", sentences[i].article_id, int(i))))
    sims = vectors[chosen] @ vectors[chosen].T
    groups: list[list[int]] = []  # positions in `chosen`
    group_of: list[int] = []
    for n in range(len(chosen)):
        text = sentences[chosen[n]].text
        fits = [
            g
            for g, members in enumerate(groups)
            if sims[n, members[0]] >= SAME and not changed(sentences[chosen[members[0]]].text, text)
        ]
        if fits:
            groups[fits[0]].append(n)
            group_of.append(fits[0])
        else:
            groups.append([n])
            group_of.append(len(groups) - 1)
    shared: list[tuple[float, Statement]] = []
    single: list[tuple[float, Statement]] = []
    for members in groups:
        first = sentences[chosen[members[0]]]
        others = sorted({sentences[chosen[m]].source for m in members} - {first.source})
        score = max(float(relevance[chosen[m]]) for m in members)
        (shared if others else single).append((score, Statement(first, others)))
    differences = []
    told: set[tuple[int, int]] = set()  # pairs of statements already shown as a difference (once, not per outlet)
    for n in range(len(chosen)):
        for m in range(n + 1, len(chosen)):
            a, b = sentences[chosen[n]], sentences[chosen[m]]
            statements = (min(group_of[n], group_of[m]), max(group_of[n], group_of[m]))
            if a.source == b.source or sims[n, m] < RELATED or statements in told:
                continue
            change = changed(a.text, b.text)
            if change:
                score = float(relevance[chosen[n]] + relevance[chosen[m]]) / 2
                differences.append((score, Difference(a, b, change)))
                told.add(statements)
    return Comparison(
        question,
        story_id,
        title,
        outlets,
        _top(shared),
        _top(single),
        _top(differences),
    )


def _top(scored: list[tuple[float, T]]) -> list[T]:
    return [item for _, item in sorted(scored, key=lambda x: -x[0])[:SHOWN]]
