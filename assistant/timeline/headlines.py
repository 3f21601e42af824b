"""Which headlines name the story a timeline is asked about: those holding most of the question's words, each
weighed by its rarity in the archive (inverse document frequency), so "Tönnies" counts and "Corona" hardly does.

Tran et al. 2015 ("Timeline summarization from relevant headlines") date events by the headlines that report them;
here a headline that names the story makes its article an event report for the day it appeared and the day
before (`assistant.timeline.building`). The question's words are its keyword stems, compared as the keyword index
compares them, so a German headline answers a German question; an English question over German news is rarely
helped (its stems are English words, which few headlines hold), and where no headline names its story its
timeline is the one it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.indexing.keyword_index import tokenize

HEADLINE_SHARE = 0.5
"""A headline names the story when it holds at least this share of the question's stems, weighed by their idf."""


def headline_names_story(stems: Sequence[str], idf: Callable[[str], float]) -> Callable[[str], bool] | None:
    """The test a headline passes when it names the story of a question with these keyword `stems` (None when
    the question has no weighed stem: then no headline says more than another)."""
    weights = {stem: idf(stem) for stem in set(stems)}
    total = sum(weights.values())
    if total <= 0:
        return None

    def names(title: str) -> bool:
        held = set(tokenize(title))
        return sum(w for stem, w in weights.items() if stem in held) >= HEADLINE_SHARE * total

    return names
