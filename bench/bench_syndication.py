"""Syndicated copies: how many near-copies are collapsed, how many distinct articles are wrongly merged.

From the German news in ../shared/data/10kgnad/test.csv, near-copies of a few hundred articles are made as
outlets make them (another headline, one sentence dropped or one added from another story, the outlet's
boilerplate around the text) and compared with `assistant.answering.syndication.are_copies`, the check a question's
passages go through. Distinct articles are compared pairwise, all of them. The first half of the copies was
used to choose the thresholds, the second half is reported apart.

    .venv/bin/python bench/bench_syndication.py [--copies 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

from assistant.answering.syndication import MIN_CONTAINMENT, MIN_SHARED, MIN_SIZE_RATIO, are_copies, shingles
from assistant.evaluation import read_10kgnad_csv

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "10kgnad" / "test.csv"
OUTLETS = [
    ("Wien (APA) – ", "(APA, Red.) Alle Rechte vorbehalten. Mehr Nachrichten auf apa-news.example."),
    ("Berlin (dpa) – ", "© dpa-infocom. Folgen Sie uns auf Twitter und Facebook. Newsletter abonnieren!"),
    ("", "Dieser Artikel erschien zuerst bei Reuters. Kommentare sind für diesen Beitrag geschlossen."),
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])")


def read_articles() -> list[str]:
    return [article.text for article in read_10kgnad_csv(DATA)]


def near_copy(text: str, other: str, rng: random.Random) -> str:
    """Another headline, one sentence dropped or one added, and the outlet's boilerplate around the text."""
    sentences = _SENTENCE.split(text.strip())
    if len(sentences) > 2 and rng.random() < 0.5:
        del sentences[rng.randrange(1, len(sentences))]
    else:
        extra = _SENTENCE.split(other.strip())
        sentences.insert(rng.randrange(1, len(sentences) + 1), rng.choice(extra))
    head, tail = rng.choice(OUTLETS)
    headline = "Eilmeldung: " + " ".join(rng.sample(sentences[0].split()[:8], k=min(6, len(sentences[0].split()))))
    return f"{headline}\n\n{head}{' '.join(sentences)}\n\n{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA.name} not found (../shared/data is not part of the repository)")
        return 0
    rng = random.Random(args.seed)
    articles = read_articles()
    started = time.perf_counter()
    signatures = [shingles(text) for text in articles]
    shingle_ms = (time.perf_counter() - started) * 1000 / len(articles)
    chosen = rng.sample(range(len(articles)), args.copies)
    copies = [shingles(near_copy(articles[i], articles[rng.randrange(len(articles))], rng)) for i in chosen]
    halves = {"tuning (first half)": range(0, args.copies // 2), "held out": range(args.copies // 2, args.copies)}
    print(
        f"{len(articles)} articles, {args.copies} near-copies; containment >= {MIN_CONTAINMENT}, size >= "
        f"{MIN_SIZE_RATIO} of the larger, >= {MIN_SHARED} shared shingles\n"
    )
    print("| copies | collapsed | lowest containment | missed (words in the original) |\n|---|---|---|---|")
    for name, part in halves.items():
        hits = [are_copies(signatures[chosen[n]], copies[n]) for n in part]
        lowest = min(_containment(signatures[chosen[n]], copies[n]) for n in part)
        missed = sorted(len(articles[chosen[n]].split()) for n, hit in zip(part, hits, strict=True) if not hit)
        print(f"| {name} | {sum(hits) / len(hits):.3f} | {lowest:.2f} | {missed} |")
    started = time.perf_counter()
    merges, highest, pairs = _distinct_pairs(signatures)
    compare_us = (time.perf_counter() - started) * 1e6 / pairs
    print(f"\ndistinct article pairs: {pairs:,}, false merges: {merges}, highest containment {highest:.2f}")
    print(
        f"cost: {shingle_ms:.2f} ms to shingle an article, {compare_us:.2f} µs per pair compared; "
        "nothing at index time (only a question's few retrieved articles are compared)"
    )
    return 0


def _containment(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _distinct_pairs(signatures: list[frozenset[int]]) -> tuple[int, float, int]:
    merges, highest, pairs = 0, 0.0, 0
    for i, a in enumerate(signatures):
        for b in signatures[i + 1 :]:
            pairs += 1
            if are_copies(a, b):
                merges += 1
            small, large = sorted((len(a), len(b)))
            if small and small / large >= MIN_SIZE_RATIO:
                highest = max(highest, _containment(a, b))
    return merges, highest, pairs


if __name__ == "__main__":
    sys.exit(main())
