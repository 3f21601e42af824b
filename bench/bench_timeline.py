"""Dated sentences: what dating costs at indexing, and how well it dates the gold evidence sentences.

1. Overhead: N FANG-COVID articles are indexed into a fresh index (the real model), then the dating of all their
   sentences (`assistant.dates.sentence_day`, what the indexer runs per sentence) is timed alone over the same
   sentences; the ratio is dating seconds / indexing seconds (goal: at most 0.10).
2. Gold: every evidence sentence of ../shared/data/fang-covid/timelines.json is dated against its article's
   publication day and compared with the event's gold day (exact, and within one day).

FANG-COVID's records are read by the library's loader, as `assistant index` reads them.
Run: python bench/bench_timeline.py [--articles 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from assistant import Article, Assistant, Settings
from assistant.dates import sentence_day
from assistant.indexing.migrations import sentence_days
from assistant.ingest.loading import load_paths

REPO = Path(__file__).resolve().parents[1]
FANG = REPO.parent / "shared" / "data" / "fang-covid"


def fang_articles() -> list[Article]:
    """FANG-COVID's archive as `assistant index` reads it (the loader knows its field names; id = url)."""
    return load_paths([FANG / "articles.jsonl"], id_base=FANG).articles


def overhead(count: int) -> dict[str, float]:
    articles = fang_articles()[:count]
    with tempfile.TemporaryDirectory() as folder:
        assistant = Assistant(Settings(index_dir=Path(folder) / "index"))
        assistant.embeddings.embed_query("warm up")
        started = time.perf_counter()
        assistant.index(articles)
        indexing = time.perf_counter() - started
        records = assistant.records()
        spans = [
            (article, s.start, s.end)
            for article in articles
            for group in records.sentence_days([c.id for c in records.chunks_of(article.id)]).values()
            for s in group
        ]
        dating = min(_timed(lambda: [sentence_days(a, start, end) for a, start, end in spans]) for _ in range(3))
        assistant.close()
    return {
        "articles": count,
        "sentences": len(spans),
        "indexing_s": round(indexing, 2),
        "dating_s": round(dating, 4),
        "ratio": round(dating / indexing, 4),
    }


def _timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def gold_dating() -> dict[str, float]:
    published = {a.url: a.published for a in fang_articles()}
    exact = near = total = 0
    for topic in json.loads((FANG / "timelines.json").read_text(encoding="utf-8")):
        for event in topic["events"]:
            for evidence in event["evidence"]:
                span = sentence_day(evidence["quote"], published.get(evidence["url"]))
                if span is None:
                    continue
                total += 1
                gold = event["date"]
                exact += span.is_day and span.first.isoformat() == gold
                near += span.first.isoformat() <= _shift(gold, 1) and span.last.isoformat() >= _shift(gold, -1)
    return {"evidence_sentences": total, "exact_day": round(exact / total, 3), "within_one_day": round(near / total, 3)}


def _shift(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--skip-overhead", action="store_true", help="only the gold dating (no model, seconds)")
    args = parser.parse_args()
    if not FANG.exists():
        print(f"no FANG-COVID data in {FANG}", file=sys.stderr)
        return 1
    print(json.dumps({"gold": gold_dating()}))
    if not args.skip_overhead:
        print(json.dumps({"overhead": overhead(args.articles)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
