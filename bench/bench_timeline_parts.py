"""Where a timeline's time goes, on an index built before: embedding the question, searching its 200 passages,
reading their dated sentences, building the entries; and `Assistant.timeline` whole. Run it on indexes of two
sizes to see which part grows with the archive.

The questions are FANG-COVID's ten development questions (``--questions fang``, an index of those articles built
with the bundled model), or, for an index grown by `bench_scale.py` (``--questions scale --size N``, its hashing
stand-in encoder), that bench's own development questions about the first N articles. Embedding, reading and
building are timed alone on the passages of the public `Assistant.retrieve` with k = 200 (untimed: it also
folds syndicated copies, which reads every article's text); the search is what is left of the whole timeline.

    python bench/bench_timeline_parts.py --index-dir INDEX --questions fang
    python bench/bench_timeline_parts.py --index-dir GROWN/index --questions scale --size 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from assistant import Assistant, Settings
from assistant.timeline.building import build_timeline
from assistant.timeline.evaluation import load_topics
from assistant.timeline.questions import question_time, topic_of

BENCH = Path(__file__).resolve().parent
TIMELINES = BENCH.parent.parent / "shared" / "data" / "fang-covid" / "timelines.json"
PASSAGES = 200
"""What the timeline retrieves (`assistant.core.TIMELINE_PASSAGES`)."""
WARM = 2
"""Questions asked first and not timed (store, keyword segments, records opened)."""


def assistant_and_questions(args: argparse.Namespace) -> tuple[Assistant, list[str]]:
    settings = Settings(index_dir=args.index_dir, max_top_k=PASSAGES)
    if args.questions == "fang":
        questions = [q for topic in load_topics(TIMELINES) for q in topic.questions.values()]
        return Assistant(settings), questions
    sys.path.insert(0, str(BENCH))
    import bench_scale  # the grown index's encoder and questions

    assistant = Assistant(settings, embeddings=bench_scale.embeddings_for("hashing"))
    pool = bench_scale.source_sentences()
    return assistant, bench_scale.development_questions(pool, args.count + WARM, args.size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", choices=["fang", "scale"], default="fang")
    parser.add_argument("--size", type=int, default=1000, help="with --questions scale: the index's articles")
    parser.add_argument("--count", type=int, default=20, help="with --questions scale: questions timed")
    args = parser.parse_args()
    assistant, questions = assistant_and_questions(args)
    records = assistant.records()
    ms: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    for n, question in enumerate(questions):
        started = time.perf_counter()
        assistant.timeline(question)
        whole = time.perf_counter() - started
        topic = topic_of(question_time(question, dt.date.today()).searched)
        passages = assistant.retrieve(topic, PASSAGES)
        started = time.perf_counter()
        query = assistant.embeddings.embed_query_array(topic)
        embedded = time.perf_counter()
        sentences = records.sentences_of(p.chunk_id for p in passages)
        read = time.perf_counter()
        build_timeline(passages, sentences, query)
        built = time.perf_counter()
        if n < WARM:
            continue
        parts = {"embed": embedded - started, "sentences": read - embedded, "build": built - read}
        parts["search"] = whole - sum(parts.values())
        parts["timeline"] = whole
        for part, seconds in parts.items():
            ms[part].append(1000 * seconds)
        sizes["passages"].append(len(passages))
        sizes["sentences"].append(sum(len(s) for s in sentences.values()))
    status = assistant.status()
    articles, chunks = status.articles, status.chunks
    row = {f"{part}_p50_ms": round(statistics.median(values), 1) for part, values in ms.items()}
    row |= {f"{what}_median": statistics.median(values) for what, values in sizes.items()}
    print(json.dumps({"articles": articles, "chunks": chunks, "questions": len(ms["timeline"])} | row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
