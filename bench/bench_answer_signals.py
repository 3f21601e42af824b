"""Signals of other families for the decline model, measured before any of them goes into the library
(docs/answer-quality.md, "Round five"): does the question, filled in with a found detail, hold in its sentence;
how close is the clause around the detail to the question; how much of the question's rare words stand in that
clause. The decline model's signals (`answering.decline`) read where a detail stands and how much of the question
its whole sentence covers; a removed answer sentence leaves neighbours that hold details of the same kind, and
these signals were to tell the two apart.

    python bench/bench_answer_signals.py replay ../shared/data/fang-covid/questions.json --index-dir fang \\
        --removed-index-dir fang-removed --corpus fang-sample.jsonl --set fang --out fang-probe.jsonl
    python bench/bench_answer_signals.py replay ../shared/data/xquad/xquad.de.json --index-dir xquad \\
        --removed-index-dir xquad-removed --distractors ../shared/data/10kgnad/test.csv --unanswerable 8 \\
        --limit 200 --set xquad --out xquad-probe.jsonl
    python bench/bench_answer_signals.py probe fang-probe.jsonl xquad-probe.jsonl

`replay` asks every question as `bench_answers.py signals` does (the same rows, the same decline signals) and adds,
for the detail-holding candidates, each candidate signal; `probe` prints how well each signal alone tells
answerable from unanswerable questions (AUC, by set and part), the curve of the decline model refitted with it
(tuning parts only, as `bench_answers.py fit`), and which holder each signal would quote.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answering.asking import make_question
from assistant.answering.decline import FEATURES, MODEL_KINDS, DeclineModel
from assistant.answering.extractive import QuestionTerms, Weighing, _text_in, stem_prefixes
from assistant.chunking import Span
from assistant.evaluation import is_quote_hit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_answers import (
    _decided,
    _part,
    _rows,
    add_parted_replay,
    add_question_arguments,
    asked_questions,
    fitted,
    never_declining,
    weighed_questions,
)

HOLDERS = 4
"""Detail-holding candidates looked at per question, best first (the decline model reads the best one)."""
DETAILS = 12
"""Details per holder filled into the question (a sentence of a Wikipedia history holds up to a dozen years)."""
CANDIDATES = (
    "fill gain",
    "fill query gain",
    "fill clause",
    "clause cosine",
    "clause coverage",
    "clause rare coverage",
    "holder cosine",
    "holders",
)
CUTOFFS = (0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.3, 0.4)

_WH = re.compile(
    r"^\s*(?:(?:an|in|aus|mit|seit|bis|um|von|zu|nach|bei|für|auf|ab|im|am|unter|vor|über|durch|gegen)\s+)?"
    r"(?:wie viel(?:e[nr]?)?\s+(?P<noun>(?-i:(?:[a-zäöüß][\w-]*\s+)?[A-ZÄÖÜ][\w-]*))"
    r"|welche[mnrs]?\s+(?-i:(?:[a-zäöüß][\w-]*\s+)?[A-ZÄÖÜ][\w-]*)"
    r"|wie viel(?:e[nr]?)?|wie hoch|wie lange|wie alt|wie oft|wie weit|wie groß|wie teuer|wie schwer|"
    r"seit wann|bis wann|ab wann|wann|wohin|woher|wo|wer|wem|wen|wessen|warum|weshalb|wieso|weswegen|"
    r"aus welchem grund|mit welcher begründung|wie heißt|wie hieß|wie heißen|wie hießen|wie lautet der name)\b",
    re.IGNORECASE,
)
_CLAUSE_BOUND = re.compile(r"[,;:()–—]|\s-\s|\b(?:und|oder|aber|sowie|während|wobei)\b")
_LEADING_CONJUNCTION = re.compile(r"^(?:und|oder|aber|sowie|während|wobei)\s+")
LEAST_CLAUSE = 40
"""Characters a clause is widened to (a clause of a date alone says nothing)."""


def filled(question: str, detail: str) -> str:
    """The question as a statement with the detail in its question word's place: "Wie viele Menschen starben
    bei dem Unglück?" and "83" give "83 Menschen starben bei dem Unglück."."""
    text = question.strip().rstrip("?").strip()
    match = _WH.match(text)
    if match is None:
        return f"{text}: {detail}"
    noun = match.group("noun")
    head = f"{detail} {noun}" if noun and not detail.endswith(noun) else detail
    return f"{head} {text[match.end() :].strip()}".strip() + "."


def clause(text: str, start: int, end: int) -> str:
    """The clause of `text` around `text[start:end]` (between commas, colons, brackets, "und" …), widened to
    LEAST_CLAUSE characters."""
    cuts = [0, *(m.start() for m in _CLAUSE_BOUND.finditer(text)), len(text)]
    low = max(c for c in cuts if c <= start)
    high = min(c for c in cuts if c >= end)
    while high - low < LEAST_CLAUSE and (low > 0 or high < len(text)):
        low = max((c for c in cuts if c < low), default=low)
        high = min((c for c in cuts if c > high), default=high)
    return _LEADING_CONJUNCTION.sub("", text[low:high].strip(" ,;:-()–—"))


def holder_signals(
    assistant: Assistant, weighing: Weighing, vector: np.ndarray, question: str
) -> list[dict[str, object]]:
    """Each of the HOLDERS best detail-holding candidates with every candidate signal, whether it is the one the
    decline model reads (`top`), and its text."""
    candidates, sentences = weighing.candidates, weighing.sentences
    ranked = sorted(range(len(candidates)), key=lambda n: -candidates[n].score)
    top = max(weighing.held, key=lambda n: candidates[n].score)
    idf = weighing.terms.idf
    stems = list(idf)
    terms = QuestionTerms.from_stems(stems, lambda stem: idf[stem])
    rare = QuestionTerms.from_stems(stems, lambda stem: idf[stem] ** 2)
    best_cosine = max(float(s[3] @ vector) for s in sentences)
    found = []
    for n in sorted(weighing.held, key=ranked.index)[:HOLDERS]:
        holding, candidate = weighing.held[n], candidates[n]
        passage = weighing.passages[candidate.passage_rank]
        own_span = Span(sentences[n][2].start, max(sentences[n][2].end, holding.end))
        own = _text_in(passage, own_span)
        after = _text_in(passage, holding.after) if holding.after is not None else None
        base, text = (holding.after.start, after) if holding.after is not None and after else (own_span.start, own)
        details = [(d.start - base, d.end - base) for d in (*holding.own, *holding.in_after)][:DETAILS]
        whole = own + (" " + after if after else "")
        fills = [filled(question, text[a:b]) for a, b in details]
        clauses = [clause(text, a, b) for a, b in details]
        vectors = assistant.embeddings.embed_passages_array([whole, question.rstrip("?") + ".", *fills, *clauses])
        sentence, asked = vectors[0], vectors[1]
        fill_vectors, clause_vectors = vectors[2 : 2 + len(fills)], vectors[2 + len(fills) :]
        fill_queries = np.stack([assistant.embeddings.embed_query_array(f) for f in fills])
        found.append(
            {
                "top": n == top,
                "rank": ranked.index(n),
                "text": whole,
                "fill": float((fill_vectors @ sentence).max()),
                "fill gain": float((fill_vectors @ sentence).max() - asked @ sentence),
                "fill query gain": float((fill_queries @ sentence).max() - vector @ sentence),
                "fill clause": float(np.einsum("ij,ij->i", fill_vectors, clause_vectors).max()),
                "clause cosine": float((clause_vectors @ vector).max()) - best_cosine,
                "clause coverage": max(terms.share_of(stem_prefixes(c)) for c in clauses),
                "clause rare coverage": max(rare.share_of(stem_prefixes(c)) for c in clauses),
                "holder cosine": float(sentences[n][3] @ vector) - best_cosine,
            }
        )
    return found


def replay(args: argparse.Namespace) -> None:
    with args.out.open("w", encoding="utf-8") as out:
        for w in weighed_questions(args):
            q, group, question, weighing = w.asked, w.group, w.question, w.weighing
            answer = never_declining(w.answerer).answer_weighed(weighing)
            quote = answer.quotes[0].text if answer.quotes else None
            signals = weighing.signals
            holders = holder_signals(w.assistant, weighing, w.vector, q.question) if weighing.held else []
            for holder in holders:
                holder["hit"] = is_quote_hit(str(holder.pop("text")), q.answers)
            top = next((h for h in holders if h["top"]), None)
            row = {
                "set": args.set,
                "id": q.id,
                "question": q.question,
                "kind": question.kind,
                "part": _part(args.set, q.id, q.article_index),
                "group": group,
                "abstains": weighing.abstains,
                "quote_hit": is_quote_hit(quote, q.answers) and not answer.abstained,
                "features": dict(zip(FEATURES, signals.features(), strict=True)) if signals else None,
                "candidates": {
                    **{name: _number(top[name]) if top else 0.0 for name in CANDIDATES if name != "holders"},
                    "holders": len(weighing.held),
                },
                "holders": holders,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def quotes(args: argparse.Namespace) -> None:
    """Quote hits of the answerable questions (as if never declined) with each `DetailWeights` bonus of
    `args.bonus` ("bonus,neighbour"): each question is weighed once and answered with every bonus."""
    import copy
    import dataclasses

    asked = asked_questions(args.questions, corpus=args.corpus, unanswerable=args.unanswerable, limit=args.limit)
    assistant = Assistant(Settings(index_dir=args.index_dir))
    answerer = never_declining(assistant.answerer)  # type: ignore[arg-type]
    grid = [tuple(float(v) for v in values.split(",")) for values in args.bonus]
    hits: dict[str, dict[tuple[float, ...], int]] = {
        "tuning": dict.fromkeys(grid, 0),
        "held out": dict.fromkeys(grid, 0),
    }
    for q, group, _ in asked:
        if group != "answerable":
            continue
        question = make_question(q.question, k=10)
        vector = assistant.embeddings.embed_query_array(question.text)
        weighing = answerer.weigh(question, vector, assistant.retrieve(q.question, k=10))
        for bonus, neighbour in grid:
            weighted = copy.copy(answerer)
            weighted.detail = dataclasses.replace(answerer.detail, bonus=bonus, neighbour=neighbour)
            answer = weighted.answer_weighed(weighing)
            quote = answer.quotes[0].text if answer.quotes else None
            hit = is_quote_hit(quote, q.answers) and not answer.abstained
            hits[_part(args.set, q.id, q.article_index)][(bonus, neighbour)] += hit
    for part, by_bonus in hits.items():
        print(part, "  ".join(f"{b:g},{n:g}: {count}" for (b, n), count in by_bonus.items()))


def _auc(positive: list[float], negative: list[float]) -> float:
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def print_auc_table(
    held: list[dict[str, object]],
    signals: tuple[str, ...],
    value: Callable[[dict[str, object], str], float] | None = None,
) -> None:
    """Per set and part, how well each signal alone tells answerable from unanswerable questions (AUC); `value`
    reads a signal from a row (default: this bench's rows)."""
    value = value or _value
    print("AUC of answerable against unanswerable questions whose best sentences hold a detail:\n")
    print("| set | part | n | " + " | ".join(signals) + " |")
    print("|---|---|---|" + "---|" * len(signals))
    for tag in sorted({str(r["set"]) for r in held}):
        for part in ("tuning", "held out"):
            chosen = [r for r in held if r["set"] == tag and r["part"] == part]
            yes = [r for r in chosen if r["group"] == "answerable"]
            no = [r for r in chosen if r["group"] != "answerable"]
            cells = [_auc([value(r, k) for r in yes], [value(r, k) for r in no]) for k in signals]
            print(f"| {tag} | {part} | {len(yes)}/{len(no)} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")


def probe(paths: list[Path]) -> None:
    rows = [r for path in paths for r in _rows(path)]
    rows = [r for r in rows if not (isinstance(r["features"], dict) and r["features"]["cross-lingual"])]
    held = [r for r in rows if r["features"] is not None and not r["abstains"] and r["holders"]]
    known = ("holder margin", "evidence margin", "holder coverage", "holder distinctive coverage", "nearness")
    print_auc_table(held, (*CANDIDATES, *known))
    for extra in [(), *((name,) for name in CANDIDATES), CANDIDATES]:
        _curve(rows, extra)
    _choice(held)


def _value(row: dict[str, object], name: str) -> float:
    source = row["candidates"] if name in CANDIDATES else row["features"]
    assert isinstance(source, dict)
    return float(source[name])


def _curve(rows: list[dict[str, object]], extra: tuple[str, ...]) -> None:
    """The decline model refitted with `extra` signals (standardised on the tuning rows), at CUTOFFS."""
    import bench_answers

    base, kinds = FEATURES[: -len(MODEL_KINDS)], FEATURES[-len(MODEL_KINDS) :]
    tuning = [r for r in rows if r["part"] == "tuning" and r["features"] is not None]
    scale = {name: _scale([_value(r, name) for r in tuning]) for name in extra}
    widened = []
    for r in rows:
        features = r["features"]
        if isinstance(features, dict):
            added = {name: (_value(r, name) - scale[name][0]) / scale[name][1] for name in extra}
            features = {**{k: features[k] for k in base}, **added, **{k: features[k] for k in kinds}}
        widened.append({**r, "features": features})
    saved = bench_answers.FEATURES
    bench_answers.FEATURES = (*base, *extra, *kinds)  # the rules read kinds and margins by position
    try:
        beta = fitted([r for r in widened if r["part"] == "tuning" and r["features"] is not None], 5.0)
        print(
            f"\nrefitted with {', '.join(extra) or 'nothing new'} (coefficients of the new: "
            + ", ".join(f"{b:.3f}" for b in beta[1 + len(base) : 1 + len(base) + len(extra)])
            + ")\n"
        )
        sets = sorted({str(r["set"]) for r in widened})
        print("| cutoff | " + " | ".join(f"{s} tuning | {s} held out" for s in sets) + " |")
        print("|---|" + "---|---|" * len(sets))
        for cutoff in CUTOFFS:
            model = DeclineModel(float(beta[0]), tuple(float(b) for b in beta[1:]), cutoff)
            cells = [
                ", ".join(_decided([r for r in widened if r["set"] == s and r["part"] == part], model))
                for s in sets
                for part in ("tuning", "held out")
            ]
            print(f"| {cutoff:.2f} | " + " | ".join(cells) + " |")
    finally:
        bench_answers.FEATURES = saved


def _scale(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values)) or 1.0


def _choice(held: list[dict[str, object]]) -> None:
    """Of answerable questions with two or more detail-holding candidates of which one holds the answer: how
    often the holder each signal ranks first holds it (the answerer quotes by score)."""
    print("\nThe holder quoted, by each signal (answerable questions, two or more holders, one of them right):\n")
    measures = ("rank", "fill", "fill gain", "fill clause", "clause cosine", "clause coverage", "holder cosine")
    print("| set | n | " + " | ".join(measures) + " |")
    print("|---|---|" + "---|" * len(measures))
    for tag in sorted({str(r["set"]) for r in held}):
        chosen = []
        for r in held:
            holders = r["holders"]
            assert isinstance(holders, list)
            if r["set"] == tag and r["group"] == "answerable" and len(holders) > 1 and any(h["hit"] for h in holders):
                chosen.append(holders)
        right = [
            sum(bool(max(hs, key=lambda h: -h["rank"] if m == "rank" else h[m])["hit"]) for hs in chosen)
            for m in measures
        ]
        print(f"| {tag} | {len(chosen)} | " + " | ".join(str(n) for n in right) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_parted_replay(commands, "replay questions, write decline and candidate signals")
    quoting = commands.add_parser("quotes", help="quote hits of answerable questions by DetailWeights bonus")
    add_question_arguments(quoting)
    quoting.add_argument("--set", default="fang", help="xquad or fang (how parts are split)")
    quoting.add_argument("bonus", nargs="+", help="bonus,neighbour (shipped: 0.02,0.02)")
    probing = commands.add_parser("probe", help="AUC, refitted curves and holder choice of the candidate signals")
    probing.add_argument("signals", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "replay":
        replay(args)
    elif args.command == "quotes":
        quotes(args)
    else:
        probe(args.signals)


def _number(value: object) -> float:
    """A signal of a holder's row (a float or a bool), as a float."""
    if not isinstance(value, float | int):
        raise TypeError(f"a signal must be a number, got {value!r}")
    return float(value)


if __name__ == "__main__":
    main()
