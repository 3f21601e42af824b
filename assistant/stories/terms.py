"""The words an article is about, weighted like a search engine would (tf-idf), for telling stories apart.

Dense vectors of one language model put all Covid news close together (an outbreak in a meat plant and one in a
district read alike); the names and rare words of a story (Tönnies, Gütersloh, Moria, Wirecard) do not. So a
story is compared with an article by both (as in Miranda et al. 2018: dense and sparse features together)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from assistant.indexing.keyword_index import tokenize

MAX_TERMS = 200
"""Terms kept per article and per story (the heaviest): a story's profile stays small however long it runs."""
PRIOR_DOCUMENTS = 20
"""Documents assumed besides the archive's, none holding the word: in a young archive (a handful of articles) a word
its few articles all share still counts (plain idf would give it 0), in a large one it changes little."""
TITLE_WEIGHT = 3
"""A headline word counts as often as this: the headline says what the article is about."""


def article_terms(title: str, text: str) -> dict[str, float]:
    """Term counts of an article (stemmed, stop words dropped, digits and short words left out)."""
    counts: Counter[str] = Counter()
    for token in tokenize(text):
        if len(token) > 2 and not token.isdigit():
            counts[token] += 1
    for token in tokenize(title):
        if len(token) > 2 and not token.isdigit():
            counts[token] += TITLE_WEIGHT
    return dict(counts.most_common(MAX_TERMS))


def weighted(counts: Mapping[str, float], df: Mapping[str, int], documents: int) -> dict[str, float]:
    """Sublinear tf times idf, unit length."""
    vector = {t: (1.0 + math.log(c)) * idf(df.get(t, 0), documents) for t, c in counts.items() if c > 0}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def profile_weighted(
    presence: Mapping[str, float], size: int, df: Mapping[str, int], documents: int
) -> dict[str, float]:
    """A story's terms weighted by the share of its articles that hold them, times idf, unit length: the words
    most of its articles share (its names and places) count, one article's asides do not, however big the story
    grows (summed counts let a long story drift towards the words all news share)."""
    vector = {t: (n / max(1, size)) * idf(df.get(t, 0), documents) for t, n in presence.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def presence(terms: Mapping[str, float]) -> dict[str, float]:
    """One article's contribution to its story's profile: each of its terms once."""
    return dict.fromkeys(terms, 1.0)


def idf(df: int, documents: int) -> float:
    """How rare a word is in the archive (with `PRIOR_DOCUMENTS`)."""
    return math.log((documents + 1 + PRIOR_DOCUMENTS) / (df + 1))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two unit sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def merged(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    """The sum of two term profiles, pruned to the `MAX_TERMS` heaviest."""
    total = Counter(a)
    total.update(b)
    return dict(total.most_common(MAX_TERMS))
