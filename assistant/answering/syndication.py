"""Syndicated copies shown once: the same agency story carried by several outlets is one passage, "auch in: ...".

Copies differ a little (another headline, a dropped or added sentence, the outlet's boilerplate), so they are
found by resemblance of word 5-gram shingles, not by equal hashes. Every copy stays indexed under its own
id; only the passages of one answer are collapsed, and only among the few articles that answer retrieved,
so the check costs a few set intersections per question and nothing at index time (an index-wide MinHash
LSH would only pay off if copies had to be found without a question).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from urllib.parse import urlsplit

from assistant.answers import Passage

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_WORDS = 5
MIN_CONTAINMENT = 0.6
"""Share of the smaller article's shingles found in the larger: near-copies stay far above it (a dropped
sentence and a new headline keep ~90%), distinct articles on one topic far below (bench/bench_syndication.py)."""
MIN_SIZE_RATIO = 0.5
"""A short text inside a long one (a quoted statement, a teaser) is not a copy of it."""
MIN_SHARED = 25
"""Shared shingles needed at all: two stubs that share one boilerplate sentence ("Der Volltext dieses auf
Agenturmeldungen basierenden Artikels steht ... nicht mehr zur Verfügung") are not one story."""


def shingles(text: str) -> frozenset[int]:
    """Hashes of the text's overlapping word 5-grams (lowercased), the unit copies are compared in."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    return frozenset(hash(tuple(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1))


def are_copies(a: frozenset[int], b: frozenset[int]) -> bool:
    """Whether two articles' shingle sets are the same story (see MIN_CONTAINMENT and MIN_SIZE_RATIO)."""
    small, large = sorted((len(a), len(b)))
    if small < MIN_SHARED or small / large < MIN_SIZE_RATIO:
        return False
    shared = len(a & b)
    return shared >= MIN_SHARED and shared / small >= MIN_CONTAINMENT


def collapse(passages: list[Passage], text_of: Callable[[str], str | None]) -> list[Passage]:
    """The passages with copies of an earlier passage's article removed; the kept one names them in `also_in`."""
    signature = lru_cache(maxsize=None)(lambda article_id: shingles(text_of(article_id) or ""))
    kept: list[Passage] = []
    for passage in passages:
        twin = next((i for i, k in enumerate(kept) if _twins(k, passage, signature)), None)
        if twin is None:
            kept.append(passage)
        elif (outlet := outlet_of(passage)) not in (*kept[twin].also_in, outlet_of(kept[twin])):
            kept[twin] = replace(kept[twin], also_in=(*kept[twin].also_in, outlet))
    return kept


def _twins(a: Passage, b: Passage, signature: Callable[[str], frozenset[int]]) -> bool:
    return a.article_id != b.article_id and are_copies(signature(a.article_id), signature(b.article_id))


def outlet_of(passage: Passage) -> str:
    """How a copy is named: its source, else its site, else its id."""
    return passage.source or urlsplit(passage.url).hostname or passage.article_id
