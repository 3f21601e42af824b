"""The answer reader (`bench/reader_model.py`) measured where the decline model needs it, before it is
wired into anything (docs/answer-quality.md, "Round six").

    python bench/bench_reader.py replay ../shared/data/fang-covid/questions.json --index-dir fang \\
        --removed-index-dir fang-removed --corpus fang-sample.jsonl --set fang --out fang-holders.jsonl
    python bench/bench_reader.py replay ../shared/data/xquad/xquad.de.json --index-dir xquad \\
        --removed-index-dir xquad-removed --distractors ../shared/data/10kgnad/test.csv --unanswerable 8 \\
        --limit 200 --set xquad --out xquad-holders.jsonl
    python bench/bench_reader.py score fang-holders.jsonl xquad-holders.jsonl --probe fang-probe.jsonl \\
        xquad-probe.jsonl --reader reader.npz --out reader-signals.jsonl
    python bench/bench_reader.py curve reader-signals.jsonl

`replay` asks every question as `bench_answer_signals.py replay` does and writes, per question, the texts of the
HOLDERS best detail-holding candidates (with the sentence after, where the detail stands there) and whether each
holds the gold answer; `score` reads them with the reader and prints, beside round five's signals (the probe
files), how well its score tells answerable from unanswerable questions (AUC, by set and part), and how often
the holder it ranks first holds the answer; `--out` writes the probe rows with the reader's signals added, and
`curve` prints the decline model refitted with them (as `bench_answer_signals.py probe` does for round five's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from assistant import Settings
from assistant.answering.extractive import Weighing, _text_in
from assistant.chunking import Span
from assistant.embeddings.packaged_model import packaged_model_path
from assistant.evaluation import is_quote_hit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_answer_signals import print_auc_table
from bench_answers import _part, _rows, add_parted_replay, never_declining, weighed_questions
from reader_model import SentenceReader

HOLDERS = 3
"""Detail-holding candidates read per question, best first (the decline model reads the best one)."""
SIGNALS = ("reader top", "reader best")
KNOWN = ("holder margin", "holder coverage", "holder distinctive coverage", "nearness")


def holder_texts(weighing: Weighing) -> list[dict[str, object]]:
    """The HOLDERS best detail-holding candidates by quote score: their text (the sentence, and the one after
    where the detail stands there), their rank, and whether the decline model reads this one (`top`)."""
    candidates, sentences = weighing.candidates, weighing.sentences
    ranked = sorted(range(len(candidates)), key=lambda n: -candidates[n].score)
    top = max(weighing.held, key=lambda n: candidates[n].score)
    found = []
    for n in sorted(weighing.held, key=ranked.index)[:HOLDERS]:
        holding, candidate = weighing.held[n], candidates[n]
        passage = weighing.passages[candidate.passage_rank]
        own = _text_in(passage, Span(sentences[n][2].start, max(sentences[n][2].end, holding.end)))
        after = _text_in(passage, holding.after) if holding.after is not None else None
        found.append({"top": n == top, "rank": ranked.index(n), "text": own + (" " + after if after else "")})
    return found


def replay(args: argparse.Namespace) -> None:
    with args.out.open("w", encoding="utf-8") as out:
        for w in weighed_questions(args):
            q, weighing = w.asked, w.weighing
            never_declining(w.answerer).answer_weighed(weighing)
            holders = holder_texts(weighing) if weighing.held else []
            for holder in holders:
                holder["hit"] = is_quote_hit(str(holder["text"]), q.answers)
            row = {
                "set": args.set,
                "id": q.id,
                "group": w.group,
                "question": q.question,
                "part": _part(args.set, q.id, q.article_index),
                "holders": holders,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def score(args: argparse.Namespace) -> None:
    reader = SentenceReader(packaged_model_path(Settings().model_cache_dir), args.reader, sha256=None)
    texts = {(str(r["set"]), str(r["id"]), str(r["group"])): r for path in args.holders for r in _rows(path)}
    probe = [r for path in args.probe for r in _rows(path)]
    seconds, reads = 0.0, 0
    for row in probe:
        found = texts.get((str(row["set"]), str(row["id"]), str(row["group"])))
        holders = found["holders"] if found else []
        assert isinstance(holders, list)
        started = time.perf_counter()
        logits = reader.scores(str(row["question"]), [str(h["text"]) for h in holders])
        seconds += time.perf_counter() - started
        reads += bool(holders)
        for holder, logit in zip(holders, logits, strict=True):
            holder["reader"] = float(logit)
        top = next((float(h["reader"]) for h in holders if h["top"]), -10.0)
        row["reader"] = {"reader top": top, "reader best": max((float(x) for x in logits), default=-10.0)}
        assert isinstance(row["candidates"], dict)
        row["candidates"].update(row["reader"])
        row["reader holders"] = holders
    print(f"reader: {1000 * seconds / max(reads, 1):.1f} ms per question (up to {HOLDERS} sentences)\n")
    rows = [r for r in probe if not (isinstance(r["features"], dict) and r["features"]["cross-lingual"])]
    held = [r for r in rows if r["features"] is not None and not r["abstains"] and r["holders"]]
    print_auc_table(held, (*SIGNALS, *KNOWN), _value)
    print("\nThe holder quoted (answerable questions, two or more holders read, one of them right):\n")
    print("| set | part | n | by quote score | by reader |")
    print("|---|---|---|---|---|")
    for tag in sorted({str(r["set"]) for r in held}):
        for part in ("tuning", "held out"):
            chosen = [
                hs
                for r in held
                if r["set"] == tag and r["part"] == part and r["group"] == "answerable"
                for hs in [r["reader holders"]]
                if isinstance(hs, list) and len(hs) > 1 and any(h["hit"] for h in hs)
            ]
            by_rank = sum(bool(min(hs, key=lambda h: h["rank"])["hit"]) for hs in chosen)
            by_reader = sum(bool(max(hs, key=lambda h: h["reader"])["hit"]) for hs in chosen)
            print(f"| {tag} | {part} | {len(chosen)} | {by_rank} | {by_reader} |")
    if args.out:
        with args.out.open("w", encoding="utf-8") as out:
            for row in probe:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def latency(reader_file: Path, rounds: int) -> None:
    """Median milliseconds of the reader on 1 and on 3 sentences of the seed article, alternating in one process
    with the bundled encoder embedding the same question (the question path's one model call, for scale)."""
    import statistics

    from assistant.embeddings.onnx_backend import OnnxEmbeddings

    reader = SentenceReader(packaged_model_path(Settings().model_cache_dir), reader_file)
    encoder = OnnxEmbeddings(cache_dir=Settings().model_cache_dir)
    question = "Wann sollten die Verhandlungen unter Vermittlung Katars beginnen?"
    sentences = [
        "Verhandlungen über eine mögliche Deeskalation sollten ursprünglich im August 2024 unter Vermittlung "
        "Katars beginnen, wie die Washington Post unter Berufung auf anonyme Quellen berichtete.",
        "Katarische Diplomaten hatten gehofft, eine neutrale Plattform für diese Gespräche zu bieten, um eine "
        "Verständigung zwischen den Parteien zu fördern.",
        "Die Bemühungen um einen Dialog wurden jedoch durch den ukrainischen Angriff auf das russische Gebiet "
        "Kursk unterbrochen.",
    ]
    timings: dict[str, list[float]] = {"encoder, the question": [], "reader, 1 sentence": [], "reader, 3 sentences": []}
    for _ in range(rounds):
        for name, call in (
            ("encoder, the question", lambda: encoder.embed_query_array(question)),
            ("reader, 1 sentence", lambda: reader.scores(question, sentences[:1])),
            ("reader, 3 sentences", lambda: reader.scores(question, sentences)),
        ):
            started = time.perf_counter()
            call()
            timings[name].append(1000 * (time.perf_counter() - started))
    for name, values in timings.items():
        print(f"{name}: p50 {statistics.median(values):.1f} ms ({rounds} rounds)")


def paragraphs(xquad: Path, reader_file: Path, limit: int | None) -> None:
    """Within its paragraph, on XQuAD-de's held-out articles (38-47): how well the reader and the bundled
    encoder's cosine ("query: question" against "passage: sentence", what the answerer scores) put the answer
    sentence first and above the others (pair AUC)."""
    from train_reader import HELD_OUT_ARTICLES, auc, groups

    from assistant.embeddings.onnx_backend import OnnxEmbeddings

    reader = SentenceReader(packaged_model_path(Settings().model_cache_dir), reader_file)
    encoder = OnnxEmbeddings(cache_dir=Settings().model_cache_dir)
    held = groups(xquad, HELD_OUT_ARTICLES, ("de",))[:limit]
    for name in ("encoder cosine", "reader"):
        positive, negative, first = [], [], 0
        for group in held:
            if name == "reader":
                values = reader.scores(group.question, group.sentences)
            else:
                values = encoder.embed_passages_array(list(group.sentences)) @ encoder.embed_query_array(group.question)
            positive.append(float(values[group.answer]))
            negative.extend(float(v) for n, v in enumerate(values) if n != group.answer)
            first += int(np.argmax(values) == group.answer)
        print(f"{name}: pair AUC {auc(positive, negative):.3f}, answer sentence first {first}/{len(held)}")


def curve(paths: list[Path]) -> None:
    """The decline model refitted with the reader's signal (tuning parts only), as `bench_answer_signals.py
    probe` prints it for round five's signals: rows of `score --out`."""
    import bench_answer_signals

    rows = [r for path in paths for r in _rows(path)]
    bench_answer_signals.CANDIDATES = (*bench_answer_signals.CANDIDATES, *SIGNALS)
    for extra in [(), ("reader top",), ("reader best",), ("reader top", "holder cosine")]:
        bench_answer_signals._curve(rows, extra)


def _value(row: dict[str, object], name: str) -> float:
    source = row["reader"] if name in SIGNALS else row["features"]
    assert isinstance(source, dict)
    return float(source[name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_parted_replay(commands, "replay questions, write the texts of the detail holders")
    scoring = commands.add_parser("score", help="the reader's AUC beside round five's signals")
    scoring.add_argument("holders", type=Path, nargs="+", help="files `replay` wrote")
    scoring.add_argument("--probe", type=Path, nargs="+", required=True, help="bench_answer_signals replay files")
    scoring.add_argument("--reader", type=Path, required=True, help="the npz bench/train_reader.py wrote")
    scoring.add_argument("--out", type=Path, help="write the probe rows with the reader's signals")
    curving = commands.add_parser("curve", help="the decline model refitted with the reader's signal")
    curving.add_argument("scored", type=Path, nargs="+", help="files `score --out` wrote")
    timing = commands.add_parser("latency", help="the reader's milliseconds beside the encoder's")
    timing.add_argument("--reader", type=Path, required=True)
    timing.add_argument("--rounds", type=int, default=30)
    within = commands.add_parser("paragraphs", help="reader and encoder within held-out XQuAD paragraphs")
    within.add_argument("xquad", type=Path, help="the folder of xquad.de.json")
    within.add_argument("--reader", type=Path, required=True)
    within.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.command == "paragraphs":
        paragraphs(args.xquad, args.reader, args.limit)
    elif args.command == "latency":
        latency(args.reader, args.rounds)
    elif args.command == "replay":
        replay(args)
    elif args.command == "score":
        score(args)
    else:
        curve(args.scored)


if __name__ == "__main__":
    main()
