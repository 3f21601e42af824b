"""Where a timeline's time goes, on indexes built before, side by side: the whole `Assistant.timeline`, and alone
embedding the question, reading the dated sentences of its passages and building the entries (the search is what
is left of the whole). Give two indexes of different sizes to see which part grows with the archive: the same
questions go to each in turn, so the machine's load weighs on both alike and their ratio holds.

The questions are FANG-COVID's ten development questions (``--questions fang``, indexes of those articles built
with the bundled model), or, for indexes grown by `bench_scale.py` (``--questions scale``, its hashing stand-in
encoder), that bench's development questions about the first ``--size`` articles (held by every index given).
Reading and building are timed on the passages of the public `Assistant.retrieve` with k = 200 (untimed), which
folds syndicated copies that the timeline's own search keeps: where it folds many (the bench's recombined
articles), they are timed on fewer passages than the timeline reads, as the passage counts say.

    python bench/bench_timeline_parts.py --index-dir INDEX --questions fang
    python bench/bench_timeline_parts.py --index-dir GROWN1K/index --index-dir GROWN10K/index --questions scale

Each index's p50 and p95 are printed; the process's resident memory (VmRSS now, VmHWM its peak) is printed at the
end: with one ``--index-dir`` it is what a warm process holding that index takes (run once per index for each
size's memory, since one process holding several indexes adds them up).
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

from langchain_core.embeddings import Embeddings

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


def questions_and_encoder(args: argparse.Namespace) -> tuple[list[str], Embeddings | None]:
    if args.questions == "fang":
        return [q for topic in load_topics(TIMELINES) for q in topic.questions.values()], None
    sys.path.insert(0, str(BENCH))
    import bench_scale  # the grown indexes' encoder and questions

    pool = bench_scale.source_sentences()
    return bench_scale.development_questions(pool, args.count + WARM, args.size), bench_scale.embeddings_for("hashing")


def timed(assistant: Assistant, question: str) -> dict[str, float]:
    """One question's milliseconds: the whole timeline, its parts, and the passages and sentences read."""
    started = time.perf_counter()
    assistant.timeline(question)
    whole = time.perf_counter() - started
    topic = topic_of(question_time(question, dt.date.today()).searched)
    passages = assistant.retrieve(topic, PASSAGES)
    started = time.perf_counter()
    query = assistant.embeddings.embed_query_array(topic)
    embedded = time.perf_counter()
    sentences = assistant.records().sentences_of(p.chunk_id for p in passages)
    read = time.perf_counter()
    build_timeline(passages, sentences, query)
    built = time.perf_counter()
    parts = {"embed": embedded - started, "sentences": read - embedded, "build": built - read}
    parts |= {"search": whole - sum(parts.values()), "timeline": whole}
    row = {f"{part}_ms": 1000 * seconds for part, seconds in parts.items()}
    return row | {"passages": len(passages), "sentences": sum(len(s) for s in sentences.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, action="append", required=True, help="once per index")
    parser.add_argument("--questions", choices=["fang", "scale"], default="fang")
    parser.add_argument("--size", type=int, default=1000, help="with --questions scale: articles they are about")
    parser.add_argument("--count", type=int, default=20, help="with --questions scale: questions timed")
    args = parser.parse_args()
    questions, encoder = questions_and_encoder(args)
    assistants = [
        Assistant(Settings(index_dir=folder, max_top_k=PASSAGES), embeddings=encoder) for folder in args.index_dir
    ]
    rows: list[dict[str, list[float]]] = [defaultdict(list) for _ in assistants]
    for n, question in enumerate(questions):
        for assistant, row in zip(assistants, rows, strict=True):
            values = timed(assistant, question)
            if n >= WARM:
                for key, value in values.items():
                    row[key].append(value)
    for assistant, row in zip(assistants, rows, strict=True):
        status = assistant.status()
        medians = {f"{key}_p50": round(statistics.median(values), 1) for key, values in row.items()}
        tails = {f"{key}_p95": round(percentile(values, 95), 1) for key, values in row.items() if key.endswith("_ms")}
        print(
            json.dumps(
                {"articles": status.articles, "chunks": status.chunks, "questions": len(row["timeline_ms"])}
                | medians
                | tails
            )
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        for key in ("timeline_ms", "search_ms", "sentences_ms", "build_ms"):
            ratio = statistics.median(last[key]) / max(statistics.median(first[key]), 1e-9)
            print(f"{key.removesuffix('_ms')} p50, last index / first: {ratio:.2f}x")
    rss, peak = memory_mb()
    print(f"process memory with {len(assistants)} index(es) open: RSS {rss:,.0f} MB (peak {peak:,.0f} MB)")
    return 0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile, interpolated (numpy's default) without numpy for one number."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB: what it holds now, and the most it held."""
    status = Path("/proc/self/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


if __name__ == "__main__":
    raise SystemExit(main())
