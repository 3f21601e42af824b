"""The decline cutoffs end to end: FANG-COVID's questions asked through `Assistant.ask` at several cutoffs of the
decline model (German questions) or the cross-language model (English ones), on one index, once with the
articles whole and once with their answer sentences removed (as `assistant eval --remove-answer-sentences`).

Each cutoff is a fresh `Assistant` on the same index, so every figure comes from the same retrievals' index and
the user's path; the rows are split into the tuning topics (Tönnies, Heinsberg, Warn-App) and the held-out ones
(Moria, Wirecard) as in `bench_answers.py table`.

    python bench/bench_answers.py sample --out fang-sample.jsonl
    python bench/bench_decline_cutoffs.py --corpus fang-sample.jsonl --index-dir FANG 0.10 0.2 0.3 0.35 0.4
    python bench/bench_decline_cutoffs.py --corpus fang-sample.jsonl --index-dir FANG --english 0 0.3 0.4 0.5

(`--english`: the English questions; a cutoff of 0 there is the shipped rule, no cross-language model.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_answers import DATA, figures
from bench_answers import _in as in_part

from assistant import Assistant, Settings
from assistant.evaluation import (
    QuestionResult,
    _ask_all,
    _group,
    answer_sentences_removed,
    build_index,
    load_qa,
    select_questions,
    with_questions_from,
)

K = 10
"""What `assistant eval` asks with (max of its k's and the mrr cutoff)."""


def settings_for(index_dir: Path, cutoff: float, english: bool) -> Settings:
    if english:
        return Settings(index_dir=index_dir, cross_decline_cutoff=cutoff or None)
    return Settings(index_dir=index_dir, decline_cutoff=cutoff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--english", action="store_true", help="ask questions_en.json's questions")
    parser.add_argument("cutoffs", type=float, nargs="+")
    args = parser.parse_args()
    squad = load_qa(DATA / "questions.json", args.corpus)
    if args.english:
        squad = with_questions_from(squad, load_qa(DATA / "questions_en.json", args.corpus))
    left_out: frozenset[int] = frozenset()
    builder = Assistant(Settings(index_dir=args.index_dir))
    build_index(builder, squad, left_out, [])
    questions = select_questions(squad, None, None)
    asked = [(q, _group(q, left_out)) for q in questions]
    assistants = {c: Assistant(settings_for(args.index_dir, c, args.english)) for c in args.cutoffs}
    results: dict[float, list[QuestionResult]] = {c: _ask_all(a, asked, K, None) for c, a in assistants.items()}
    answerable = [q for q, group in asked if group == "answerable"]
    removal = answer_sentences_removed(squad, answerable, left_out, [])
    build_index(builder, squad, left_out, [], replaced=removal.changed)
    hard = [(q, "removed") for q in answerable if q.id in removal.questions]
    for cutoff, assistant in assistants.items():
        results[cutoff] += _ask_all(assistant, hard, K, None)  # type: ignore[arg-type]
    build_index(builder, squad, left_out, [])  # the index whole again
    print("| cutoff | part | answered right | answered | declined right | short answer right |")
    print("|---|---|---|---|---|---|")
    for cutoff, rows in results.items():
        details = [r.to_dict() for r in rows]
        for part in ("tuning", "held out", "both"):
            chosen = [d for d in details if in_part(d, "all", part)]
            shown = figures(chosen)
            answered = sum(not d["abstained"] for d in chosen if d["group"] == "answerable")
            total = sum(d["group"] == "answerable" for d in chosen)
            print(
                f"| {cutoff} | {part} | {shown['answered right']} | {answered}/{total} | {shown['declined right']} "
                f"| {shown['short answer right']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
