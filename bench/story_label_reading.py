"""How much of the story recall the keyword labels can hold: a seeded sample of pairs, read by hand, and the
label-corrected recall it gives.

`bench_stories.py` counts two articles of one topic label published within three days of each other as a pair
that should be in one story. The labels are keyword sets, so some such pairs are two different stories under one
keyword (a school report and the app's download figures, both naming the Corona-Warn-App twice). This script

- `sample`: draws a fixed random sample (seed 7) of the pairs a production run (`bench_stories.py --found`) put
  apart ("missed") and together, per part (tuned / held out), and prints each pair's headlines and leads for
  reading;
- `estimate`: reads the judgements (`bench/story_label_judgements.json`: pair id, both article ids, verdict
  `same` / `different`, a few words why) and gives per part the label-corrected recall, the share of the truly
  same-story pairs that the run put together:

      recall* = T·p_t / (T·p_t + M·p_m)

  with T, M the run's together and missed pair counts and p_t, p_m the shares judged `same` in each sample; the
  90% interval is the 5th and 95th percentile of recall* over p_t, p_m drawn from their Beta posteriors (Jeffreys
  prior), 20,000 draws.

    python bench/story_label_reading.py sample --found found.json > pairs.txt
    python bench/story_label_reading.py estimate --found found.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_stories import FANG, PAIR_DAYS, TUNE_TOPICS, fang_articles, labels, unique

from assistant.articles import Article
from assistant.stories.days import ordinal

JUDGEMENTS = Path(__file__).resolve().parent / "story_label_judgements.json"
SEED = 7
SAMPLE = {("held out", "missed"): 40, ("held out", "together"): 20, ("tuned", "missed"): 20, ("tuned", "together"): 20}
"""Pairs read per part and kind."""


def pairs_by_kind(
    articles: list[Article], found: dict[str, str], topic: dict[str, str], tuned: set[str]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The bench's same-topic pairs within three days, per (part, "missed" / "together"), in a fixed order."""
    days = {a.id: ordinal(a.published) for a in articles}
    order = {a.id: i for i, a in enumerate(articles)}
    by_topic: dict[str, list[str]] = {}
    for article_id, t in topic.items():
        by_topic.setdefault(t, []).append(article_id)
    kinds: dict[tuple[str, str], list[tuple[str, str]]] = {key: [] for key in SAMPLE}
    for t, ids in sorted(by_topic.items()):
        part = "tuned" if t in tuned else "held out"
        for a, b in itertools.combinations(sorted(ids, key=order.__getitem__), 2):
            da, db = days[a], days[b]
            if da is None or db is None or abs(da - db) > PAIR_DAYS:
                continue
            kinds[(part, "together" if found[a] == found[b] else "missed")].append((a, b))
    return kinds


def drawn(kinds: dict[tuple[str, str], list[tuple[str, str]]]) -> list[dict[str, str]]:
    """The seeded sample, each pair with its id (`h-m-01`: held out, missed, first)."""
    rng = random.Random(SEED)
    sample = []
    for (part, kind), n in SAMPLE.items():
        for k, (a, b) in enumerate(rng.sample(kinds[(part, kind)], n), 1):
            sample.append({"pair": f"{part[0]}-{kind[0]}-{k:02d}", "part": part, "kind": kind, "a": a, "b": b})
    return sample


def lead(article: Article, chars: int = 400) -> str:
    return " ".join(article.text[:chars].split())


def show(sample: list[dict[str, str]], articles: dict[str, Article], topic: dict[str, str]) -> None:
    for pair in sample:
        print(f"=== {pair['pair']} ({topic[pair['a']]})")
        for side in ("a", "b"):
            article = articles[pair[side]]
            print(f"[{side}] {article.published} {article.source} | {article.title}")
            print(f"    {lead(article)}")
        print()


def corrected(together: int, missed: int, same: tuple[int, int], read: tuple[int, int]) -> dict[str, float]:
    """recall* and its 90% interval from the counts (`same`, `read`: judged same and read, together then missed)."""
    p_t, p_m = same[0] / read[0], same[1] / read[1]
    rng = np.random.default_rng(SEED)
    draws_t = rng.beta(same[0] + 0.5, read[0] - same[0] + 0.5, 20_000)
    draws_m = rng.beta(same[1] + 0.5, read[1] - same[1] + 0.5, 20_000)
    draws = together * draws_t / (together * draws_t + missed * draws_m)
    return {
        "bench_recall": together / (together + missed),
        "same_together": p_t,
        "same_missed": p_m,
        "corrected_recall": together * p_t / (together * p_t + missed * p_m),
        "low": float(np.quantile(draws, 0.05)),
        "high": float(np.quantile(draws, 0.95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["sample", "estimate"])
    parser.add_argument("--found", type=Path, required=True, help="article id -> story id (bench_stories.py --found)")
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    args = parser.parse_args()
    articles = unique(fang_articles())
    timelines = json.loads((FANG / "timelines.json").read_text(encoding="utf-8"))
    topic = labels(articles, timelines)
    found = json.loads(args.found.read_text(encoding="utf-8"))
    kinds = pairs_by_kind(articles, found, topic, set(TUNE_TOPICS.split(",")))
    if args.what == "sample":
        show(drawn(kinds), {a.id: a for a in articles}, topic)
        return
    judged = json.loads(args.judgements.read_text(encoding="utf-8"))["pairs"]
    print(
        "| part | pairs together / missed (bench) | bench recall | read together: same | read missed: same "
        "| label-corrected recall (90% interval) |"
    )
    print("|---|---|---|---|---|---|")
    for part in ("tuned", "held out"):
        together, missed = len(kinds[(part, "together")]), len(kinds[(part, "missed")])
        read = [[j for j in judged if j["part"] == part and j["kind"] == kind] for kind in ("together", "missed")]
        same = tuple(sum(j["verdict"] == "same" for j in group) for group in read)
        row = corrected(together, missed, (same[0], same[1]), (len(read[0]), len(read[1])))
        print(
            f"| {part} | {together} / {missed} | {row['bench_recall']:.3f} | {same[0]} of {len(read[0])} "
            f"| {same[1]} of {len(read[1])} | {row['corrected_recall']:.3f} ({row['low']:.3f}–{row['high']:.3f}) |"
        )


if __name__ == "__main__":
    main()
