"""Answers that answer: a sample of the FANG-COVID archive to index, replays of the question path that fit the
decline model, and the figures by kind of question.

The whole archive (2,079 articles, 11 M characters) takes hours to embed on a shared 2-core machine, so the
figures in docs/answer-quality.md come from a fixed sample: every article that holds a question's answer (the
gold article and every other one that holds the answer), 20 further articles per topic (keyword hits, in a
fixed pseudo-random order) and 40 articles on none of the topics.

    python bench/bench_answers.py sample --out fang-sample.jsonl
    assistant eval ../shared/data/fang-covid/questions.json --corpus fang-sample.jsonl \
        --remove-answer-sentences --index-dir fang-index --details fang-de.jsonl
    python bench/bench_answers.py table fang-de.jsonl [fang-de-after.jsonl]

`table` prints, per kind of question (`assistant.answering.answer_kinds`) and for the tuning topics
(toennies, heinsberg, warnapp) and the held-out ones (moria, wirecard): answered right (an answerable
question answered with the gold answer in its first quote), declined right (an unanswerable one declined:
on the topic but not in the articles, or its answer sentences removed), and the short answer's precision.

`signals` replays questions through the library (`Assistant.retrieve`, `ExtractiveAnswerer.weigh`) on a full
index and on the index an `assistant eval --remove-answer-sentences` run left, and writes the decline model's
signals per question (`--asked` asks the same questions in another language: FANG-COVID's English questions,
or XQuAD's, `--set xquad-en`); `fit` fits `answering.decline.DeclineModel` on them and prints it as code with
the figures of every part (`--cross`: the model of questions in another language than the articles,
`CROSS_DECLINE_MODEL`); `figures` prints the figures of the shipped models (docs/answer-quality.md has the
commands).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.answer_kinds import answer_kind
from assistant.answering.decline import CROSS_DECLINE_MODEL, DECLINE_MODEL, FEATURES, MODEL_KINDS, DeclineModel
from assistant.answering.extractive import ExtractiveAnswerer, Weighing
from assistant.language import guess_language

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.evaluation import SquadQuestion
    from assistant.question import Question

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "fang-covid"
TOPICS = {
    "toennies": ("tönnies",),
    "heinsberg": ("heinsberg", "gangelt"),
    "warnapp": ("corona-warn-app", "warn-app"),
    "moria": ("moria",),
    "wirecard": ("wirecard",),
}
TUNING_TOPICS = ("toennies", "heinsberg", "warnapp")
PER_TOPIC = 20
UNRELATED = 40


def _order(record: dict[str, str]) -> str:
    return hashlib.sha256(record["url"].encode()).hexdigest()


def sample(out: Path) -> None:
    """Write the sample archive (JSON lines in the data set's own fields)."""
    lines = (DATA / "articles.jsonl").read_text(encoding="utf-8").split("\n")
    records = sorted((json.loads(line) for line in lines if line.strip()), key=_order)
    questions = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
    sentences = [q["sentence"] for q in questions if q.get("sentence")]
    chosen = {r["url"] for r in records if any(s in r["article"] for s in sentences)}
    chosen |= {q["url"] for q in questions if q.get("url")}
    for keywords in TOPICS.values():
        on_topic = [r for r in records if any(k in (r["header"] + r["article"]).lower() for k in keywords)]
        chosen |= {r["url"] for r in on_topic[:PER_TOPIC]}
    every = [k for keywords in TOPICS.values() for k in keywords]
    unrelated = [r for r in records if not any(k in (r["header"] + r["article"]).lower() for k in every)]
    chosen |= {r["url"] for r in unrelated[:UNRELATED]}
    kept = [r for r in records if r["url"] in chosen]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    print(f"{len(kept)} articles, {sum(len(r['article']) for r in kept):,} characters -> {out}")


def _topic_of(question_id: str) -> str:
    questions = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
    return next(q["topic"] for q in questions if q["id"] == question_id.removesuffix("-en"))


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def figures(rows: list[dict[str, object]]) -> dict[str, str]:
    """Answered right / declined right (n), and the short answers' precision, for some rows."""
    answerable = [r for r in rows if r["group"] == "answerable"]
    declinable = [r for r in rows if r["group"] != "answerable"]
    right = sum(bool(r["quote_hit"]) and not r["abstained"] for r in answerable)
    declined = sum(bool(r["abstained"]) for r in declinable)
    shorts = [r for r in answerable if r.get("short_answer")]
    short_right = sum(bool(r.get("short_answer_hit")) for r in shorts)
    return {
        "answered right": f"{right}/{len(answerable)}" if answerable else "-",
        "declined right": f"{declined}/{len(declinable)}" if declinable else "-",
        "short answer right": f"{short_right}/{len(shorts)}" if shorts else "-",
    }


def table(paths: list[Path]) -> None:
    """Markdown: one row per kind (and part), one column group per details file."""
    runs = [_rows(path) for path in paths]
    kinds = ["day", "number", "name", "place", "cause", "choice", "open", "all"]
    header = ["kind", "part"] + [f"{p.stem}: {c}" for p in paths for c in figures([])]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for kind in kinds:
        for part in ("tuning", "held out", "both"):
            cells = [kind, part]
            for rows in runs:
                chosen = [r for r in rows if _in(r, kind, part)]
                cells += list(figures(chosen).values())
            print("| " + " | ".join(cells) + " |")


def _in(row: dict[str, object], kind: str, part: str) -> bool:
    question = str(row["question"])
    if kind != "all" and answer_kind(question, guess_language(question)) != kind:
        return False
    tuning = _topic_of(str(row["id"])) in TUNING_TOPICS
    return part == "both" or (part == "tuning") == tuning


def tune(
    index_dir: Path, removed_dir: Path, corpus: Path, questions_file: Path, grid: list[str], show: bool = False
) -> None:
    """Replay the answerer with each `DetailWeights` of `grid` ("bonus,neighbour,margin") on the questions' own
    retrievals (made once): the full index for answerable and on-topic questions, `removed_dir` (an eval index
    left with the answer sentences removed) for the removed-sentence ones. Prints the figures per part."""
    from assistant import Assistant, Settings
    from assistant.answering.asking import make_question
    from assistant.answering.extractive import DetailWeights, ExtractiveAnswerer
    from assistant.evaluation import answer_sentences_removed, is_quote_hit, is_short_answer_hit, load_qa

    squad = load_qa(questions_file, corpus)
    questions = [q for article in squad for q in article.questions]
    answerable = [q for q in questions if q.answerable]
    removed = answer_sentences_removed(squad, answerable, frozenset(), ()).questions
    asked = [(q, "answerable", False) for q in answerable]
    asked += [(q, "on_topic", False) for q in questions if not q.answerable]
    asked += [(q, "removed", True) for q in answerable if q.id in removed]
    assistants = {False: Assistant(Settings(index_dir=index_dir)), True: Assistant(Settings(index_dir=removed_dir))}
    replays = []
    for q, group, in_removed in asked:
        assistant = assistants[in_removed]
        question = make_question(q.question, k=10)
        vector = assistant.embeddings.embed_query_array(question.text)
        replays.append((q, group, question, vector, assistant.retrieve(q.question, k=10), assistant.answerer))
    for values in grid:
        bonus, neighbour, margin, *cross = (float(v) if v != "none" else None for v in values.split(","))
        rows = []
        for q, group, question, vector, passages, answerer in replays:
            assert isinstance(answerer, ExtractiveAnswerer)
            answerer.detail = DetailWeights(bonus or 0.0, neighbour or 0.0, margin, cross[0] if cross else None)
            answer = answerer.answer(question, vector, passages)
            quote = answer.quotes[0].text if answer.quotes else None
            short = answer.short_answer
            rows.append(
                {
                    "id": q.id,
                    "question": q.question,
                    "group": group,
                    "abstained": answer.abstained,
                    "quote_hit": is_quote_hit(quote, q.answers) and not answer.abstained,
                    "short_answer": short.text if short else None,
                    "short_answer_hit": short is not None and is_short_answer_hit(short.text, q.answers),
                }
            )
        for part in ("tuning", "held out"):
            chosen = [r for r in rows if _in(r, "all", part)]
            print(values, part, figures(chosen))
        if show:
            for r in rows:
                print(
                    " ",
                    r["id"],
                    r["group"],
                    "abstained" if r["abstained"] else "answered",
                    r["quote_hit"],
                    r["short_answer"],
                )


def asked_questions(
    questions_file: Path,
    *,
    corpus: Path | None = None,
    distractors: tuple[Path, ...] = (),
    unanswerable: int = 0,
    limit: int | None = None,
    asked_file: Path | None = None,
) -> list[tuple[SquadQuestion, str, bool]]:
    """The questions a replay asks, as `assistant eval` does: the answerable ones (and on-topic unanswerable
    ones) of the full index, and the answerable ones again with their answer sentences removed."""
    from assistant.evaluation import (
        answer_sentences_removed,
        choose_unanswerable,
        load_distractors,
        load_qa,
        select_questions,
        with_questions_from,
    )

    squad = load_qa(questions_file, corpus)
    if asked_file is not None:  # the same questions in another language (`assistant eval --questions`)
        squad = with_questions_from(squad, load_qa(asked_file, corpus))
    left_out = choose_unanswerable(len(squad), unanswerable, 0)
    questions = select_questions(squad, None, limit)
    answerable = [q for q in questions if q.answerable and q.article_index not in left_out]
    articles = [a for a in load_distractors(distractors) if not isinstance(a, Path)] if distractors else []
    removed = answer_sentences_removed(squad, answerable, left_out, articles).questions
    asked = [
        (q, "answerable" if q.answerable else "on_topic", False)
        for q in questions
        if q in answerable or not q.answerable
    ]
    asked += [(q, "removed", True) for q in answerable if q.id in removed]
    return asked


def replay_rows(
    questions_file: Path,
    index_dir: Path,
    removed_dir: Path,
    *,
    corpus: Path | None = None,
    distractors: tuple[Path, ...] = (),
    unanswerable: int = 0,
    limit: int | None = None,
    tag: str = "fang",
    asked_file: Path | None = None,
) -> list[dict[str, object]]:
    """Each question replayed through the library's question path (`Assistant.retrieve`, then
    `ExtractiveAnswerer.weigh`, as `Assistant.ask` does): the answerable ones (and on-topic unanswerable ones) on
    the full index, the removed-sentence ones on `removed_dir` (the index an `assistant eval
    --remove-answer-sentences` run leaves). Each row holds the decline model's signals, whether the articles
    answer at all, and whether the first quote of the answer (no detail decline) holds the gold answer."""
    from assistant import Assistant, Settings
    from assistant.answering.asking import make_question
    from assistant.evaluation import is_quote_hit

    asked = asked_questions(
        questions_file,
        corpus=corpus,
        distractors=distractors,
        unanswerable=unanswerable,
        limit=limit,
        asked_file=asked_file,
    )
    assistants = {False: Assistant(Settings(index_dir=index_dir)), True: Assistant(Settings(index_dir=removed_dir))}
    rows: list[dict[str, object]] = []
    for q, group, in_removed in asked:
        assistant = assistants[in_removed]
        answerer = copy.copy(assistant.answerer)
        assert isinstance(answerer, ExtractiveAnswerer)
        answerer.detail = dataclasses.replace(answerer.detail, cross_model=CROSS_DECLINE_MODEL)  # its signals too
        question = make_question(q.question, k=10)
        vector = assistant.embeddings.embed_query_array(question.text)
        weighing = answerer.weigh(question, vector, assistant.retrieve(q.question, k=10))
        answer = never_declining(answerer).answer_weighed(weighing)  # as if no missing detail declined it
        quote = answer.quotes[0].text if answer.quotes else None
        signals = weighing.signals
        rows.append(
            {
                "set": tag,
                "id": q.id,
                "question": q.question,
                "kind": question.kind,
                "part": _part(tag, q.id, q.article_index),
                "group": group,
                "abstains": weighing.abstains,
                "quote_hit": is_quote_hit(quote, q.answers) and not answer.abstained,
                "features": dict(zip(FEATURES, signals.features(), strict=True)) if signals else None,
            }
        )
    return rows


def never_declining(answerer: ExtractiveAnswerer) -> ExtractiveAnswerer:
    """The same answerer, but a missing detail never declines (it still prefers a sentence holding one)."""
    keeps = copy.copy(answerer)
    keeps.detail = dataclasses.replace(answerer.detail, model=None, cross_model=None, declines=frozenset())
    return keeps


@dataclasses.dataclass(frozen=True)
class Weighed:
    """One replayed question weighed once by the library's answerer, on the index it is asked of."""

    asked: SquadQuestion
    group: str
    question: Question
    vector: np.ndarray
    weighing: Weighing
    answerer: ExtractiveAnswerer
    assistant: Assistant


def weighed_questions(args: argparse.Namespace) -> Iterator[Weighed]:
    """The replay arguments' questions (`add_replay_arguments`), each weighed on its index: the full one, or the one
    with the answer sentences removed for the removed-sentence variant."""
    from assistant import Assistant, Settings
    from assistant.answering.asking import make_question

    asked = asked_questions(
        args.questions,
        corpus=args.corpus,
        distractors=tuple(args.distractors),
        unanswerable=args.unanswerable,
        limit=args.limit,
    )
    assistants = {
        False: Assistant(Settings(index_dir=args.index_dir)),
        True: Assistant(Settings(index_dir=args.removed_index_dir)),
    }
    for q, group, in_removed in asked:
        assistant = assistants[in_removed]
        answerer = assistant.answerer
        assert isinstance(answerer, ExtractiveAnswerer)
        question = make_question(q.question, k=10)
        vector = assistant.embeddings.embed_query_array(question.text)
        weighing = answerer.weigh(question, vector, assistant.retrieve(q.question, k=10))
        yield Weighed(q, group, question, vector, weighing, answerer, assistant)


XQUAD_TUNING_ARTICLES = 38
"""XQuAD articles 0-37 tune, 38-47 are kept aside (as everywhere in this project)."""


def _part(tag: str, question_id: str, article_index: int) -> str:
    if tag.startswith("xquad"):
        return "tuning" if article_index < XQUAD_TUNING_ARTICLES else "held out"
    return "tuning" if _topic_of(question_id) in TUNING_TOPICS else "held out"


def fit(
    paths: list[Path],
    fang_weight: float,
    answered: float,
    checked: tuple[Path, ...] = (),
    cross: bool = False,
    *,
    ridge: float = 0.1,
    without: tuple[str, ...] = (),
    chosen_cutoff: float | None = None,
) -> None:
    """Fit `DeclineModel` on the tuning rows of replayed signals (`signals`): logistic regression of "the
    articles answer" (answerable rows 1, removed-sentence and on-topic unanswerable rows 0), classes weighted
    to equal size, FANG-COVID rows `fang_weight` times each; the cutoff is the highest that keeps answering
    `answered` of each set's answerable tuning questions that the evidence answers (`_highest_cutoff`). With
    `cross`, the rows of questions in another language than the articles (`CROSS_DECLINE_MODEL`), else the
    others (`DECLINE_MODEL`). `without` names features held at 0 (few rows fit fewer coefficients), `ridge` is
    the penalty on the coefficients, `chosen_cutoff` a cutoff chosen otherwise. Prints the model as code and the
    figures of every part beside the last round's rule."""
    rows = [r for path in paths for r in _rows(path)]
    tuning = [r for r in rows if r["part"] == "tuning" and r["features"] is not None and _is_cross(r) == cross]
    others = [r for path in checked for r in _rows(path)]  # only checked: not fitted on, no say in the cutoff
    beta = fitted(tuning, fang_weight, ridge=ridge, without=without)
    model = DeclineModel(float(beta[0]), tuple(float(b) for b in beta[1:]))
    cutoff = _highest_cutoff(rows, model, answered, cross) if chosen_cutoff is None else chosen_cutoff
    print("DeclineModel(")
    print(f"    intercept={beta[0]:.3f},")
    print("    coefficients=(" + ", ".join(f"{b:.3f}" for b in beta[1:]) + "),  # " + ", ".join(FEATURES))
    print(f"    cutoff={cutoff:.3f},")
    print(")")
    shipped = DeclineModel(model.intercept, model.coefficients, cutoff)
    if cross:
        print_figures(rows + others, DECLINE_MODEL, shipped)
    else:
        print_figures(rows + others, shipped, CROSS_DECLINE_MODEL)


def fitted(
    tuning: list[dict[str, object]], fang_weight: float, *, ridge: float = 0.1, without: tuple[str, ...] = ()
) -> np.ndarray:
    """Intercept and coefficients of the logistic regression of "the articles answer" on the rows' features
    (classes weighted to equal size, FANG-COVID rows `fang_weight` times each; Newton's method with the penalty
    `ridge`; the features named in `without` held at 0)."""
    kept = np.array([0.0 if name in without else 1.0 for name in FEATURES])
    x = np.array([[1.0, *(np.array(_features(r)) * kept)] for r in tuning])
    y = np.array([float(r["group"] == "answerable") for r in tuning])
    weight = np.array([fang_weight if str(r["set"]).startswith("fang") else 1.0 for r in tuning])
    for label in (0.0, 1.0):
        weight[y == label] *= len(y) / (2 * max(1.0, float(weight[y == label].sum())))
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ beta))
        gradient = x.T @ (weight * (y - p)) - ridge * beta
        hessian = (x.T * (weight * p * (1 - p))) @ x + ridge * np.eye(len(beta))
        beta += np.linalg.solve(hessian, gradient)
    return beta


def _is_cross(row: dict[str, object]) -> bool:
    features = row["features"]
    return isinstance(features, dict) and bool(features["cross-lingual"])


def _highest_cutoff(rows: list[dict[str, object]], model: DeclineModel, answered: float, cross: bool = False) -> float:
    """The highest cutoff (in steps of 0.01) at which the model keeps answering at least the share `answered` of
    every set's answerable tuning questions that the evidence answers (of the sets it applies to: questions in
    another language with `cross`, else in the articles' language)."""
    sets = {str(r["set"]) for r in rows if r["features"] is not None and _is_cross(r) == cross}
    best = 0.0
    for cutoff in np.arange(0.01, 0.96, 0.01):
        rule = DeclineModel(model.intercept, model.coefficients, float(cutoff))
        shares = []
        for tag in sets:
            chosen = [
                r
                for r in rows
                if r["set"] == tag and r["part"] == "tuning" and r["group"] == "answerable" and not r["abstains"]
            ]
            figures = _decided(chosen, DECLINE_MODEL, rule) if cross else _decided(chosen, rule, CROSS_DECLINE_MODEL)
            done, total = (int(v) for v in figures[1].split("/"))
            shares.append(done / max(1, total))
        if min(shares) >= answered:
            best = float(cutoff)
    return round(best, 2)


def print_figures(rows: list[dict[str, object]], model: DeclineModel, cross_model: DeclineModel | None) -> None:
    """Per set and part, then per kind: the last round's rule (day and number declined when no detail is found
    or only below the threshold) and the models (`model` in the articles' language, `cross_model` across
    languages), on the same replayed rows."""
    rules: dict[str, tuple[DeclineModel | Callable[[list[float]], bool], DeclineModel | None]] = {
        "rule of the last round": (_last_rule, None),
        "decline model": (model, cross_model),
    }
    print("| set | part | rule | answered right | answered | declined |")
    print("|---|---|---|---|---|---|")
    for tag in sorted({str(r["set"]) for r in rows}):
        for part in ("tuning", "held out", "both"):
            chosen = [r for r in rows if r["set"] == tag and part in (r["part"], "both")]
            for name, (rule, cross_rule) in rules.items():
                print(f"| {tag} | {part} | {name} | " + " | ".join(_decided(chosen, rule, cross_rule)) + " |")
    print("\n| set | kind | answered right: last / model | declined right: last / model |")
    print("|---|---|---|---|")
    for tag in sorted({str(r["set"]) for r in rows}):
        for kind in ("day", "number", "name", "place", "cause", "choice", "open"):
            chosen = [r for r in rows if r["set"] == tag and r["kind"] == kind]
            last, now = _decided(chosen, _last_rule), _decided(chosen, model, cross_model)
            print(f"| {tag} | {kind} | {last[0]} / {now[0]} | {last[2]} / {now[2]} |")


def _last_rule(features: list[float]) -> bool:
    """The last round's rule (version B) on the replayed signals: a day or number question declines when no
    sentence holds a detail, or when the best that does stays below the threshold."""
    held_sure, holder_margin, evidence_margin = features[0], features[3], features[4]
    kinds = features[len(FEATURES) - len(MODEL_KINDS) :]
    sure = kinds[MODEL_KINDS.index("number")] == 1.0 or not any(kinds)
    return sure and (held_sure == 0.0 or (evidence_margin >= 0 and holder_margin < 0))


def _features(row: dict[str, object]) -> list[float]:
    features = row["features"]
    assert isinstance(features, dict)
    return [float(v) for v in features.values()]


def _decided(
    rows: list[dict[str, object]],
    rule: DeclineModel | Callable[[list[float]], bool],
    cross_rule: DeclineModel | None = None,
) -> list[str]:
    """Answered right, answered, and declined, of some replayed rows (rows the evidence declines already count
    as declined; choice and open questions are never declined for a detail). `rule` decides in the articles'
    language (the last rule for second-look near calls), `cross_rule` across languages (the last rule when
    None)."""
    answerable = [r for r in rows if r["group"] == "answerable"]
    other = [r for r in rows if r["group"] != "answerable"]

    def declined(r: dict[str, object]) -> bool:
        if r["abstains"]:
            return True
        if r["features"] is None:
            return False
        features = _features(r)
        if callable(rule):
            return rule(features)
        if features[FEATURES.index("cross-lingual")]:
            return cross_rule.declines_on(features) if cross_rule else _last_rule(features)
        if features[FEATURES.index("evidence margin")] < 0:  # a second-look near call keeps the last rule
            return _last_rule(features)
        return rule.declines_on(features)

    right = sum(bool(r["quote_hit"]) and not declined(r) for r in answerable)
    answered = sum(not declined(r) for r in answerable)
    refused = sum(declined(r) for r in other)
    n, m = len(answerable), len(other)
    return [f"{right}/{n}", f"{answered}/{n}", f"{refused}/{m}"]


def quotes(
    questions_file: Path,
    asked_file: Path,
    index_dir: Path,
    grid: list[str],
    *,
    corpus: Path | None = None,
    unanswerable: int = 0,
    limit: int | None = None,
    tag: str = "fang-en",
) -> None:
    """First quotes that hold the answer, for questions asked in another language (`asked_file`) with each cross
    bonus of `grid` ("bonus" or "bonus:kind,kind"): the answerable questions are weighed once (as if a missing
    detail declined nothing), then answered with each `DetailWeights.cross_bonus` and `cross_preferred`."""
    from assistant import Assistant, Settings
    from assistant.answering.asking import make_question
    from assistant.evaluation import choose_unanswerable, is_quote_hit, load_qa, select_questions, with_questions_from

    squad = with_questions_from(load_qa(questions_file, corpus), load_qa(asked_file, corpus))
    left_out = choose_unanswerable(len(squad), unanswerable, 0)
    asked = [q for q in select_questions(squad, None, limit) if q.answerable and q.article_index not in left_out]
    assistant = Assistant(Settings(index_dir=index_dir))
    answerer = assistant.answerer
    assert isinstance(answerer, ExtractiveAnswerer)
    base = never_declining(answerer)
    weighed = []
    for q in asked:
        question = make_question(q.question, k=10)
        vector = assistant.embeddings.embed_query_array(question.text)
        weighed.append((q, base.weigh(question, vector, assistant.retrieve(q.question, k=10))))
    for values in grid:
        bonus, _, kinds = values.partition(":")
        variant = copy.copy(base)
        preferred = frozenset(kinds.split(",")) if kinds else base.detail.cross_preferred
        variant.detail = dataclasses.replace(base.detail, cross_bonus=float(bonus), cross_preferred=preferred)
        hits: dict[str, list[int]] = {}
        for q, weighing in weighed:
            answer = variant.answer_weighed(weighing)
            hit = not answer.abstained and is_quote_hit(answer.quotes[0].text if answer.quotes else None, q.answers)
            for key in (_part(tag, q.id, q.article_index), weighing.asked.kind):
                hits.setdefault(key, []).append(int(hit))
        print(values, ", ".join(f"{key} {sum(v)}/{len(v)}" for key, v in hits.items()), flush=True)


def latency(index_dir: Path, questions_file: Path, rounds: int) -> None:
    """The question path's time with and without the detail search, side by side in one process (the machine is
    shared, so only the ratio means much): each question is retrieved, then answered as asked and as if it were
    open (no detail search), alternating, `rounds` times; prints p50 and p95 of both and their ratio."""
    import dataclasses
    import time

    from assistant import Assistant, Settings
    from assistant.answering.asking import make_question
    from assistant.evaluation import percentile

    texts = [str(q["question"]) for q in json.loads(questions_file.read_text(encoding="utf-8"))]
    assistant = Assistant(Settings(index_dir=index_dir))
    assistant.ask(texts[0])  # first-use costs (the model, the tagger) are no question's
    times: dict[str, list[float]] = {"today (kind ignored)": [], "with details": []}
    both = (("today (kind ignored)", True), ("with details", False))
    for round_number in range(rounds):
        for n, text in enumerate(texts):
            for label, open_kind in both if (n + round_number) % 2 else both[::-1]:  # neither always goes first
                started = time.perf_counter()
                question = make_question(text, k=assistant.settings.top_k)
                question = dataclasses.replace(question, kind="open") if open_kind else question
                vector = assistant.embeddings.embed_query_array(question.text)
                passages = assistant.retrieve(question.text)
                assistant.answerer.answer(question, vector, passages)
                times[label].append((time.perf_counter() - started) * 1000)
    p50 = {label: percentile(values, 50) or 0.0 for label, values in times.items()}
    for label, values in times.items():
        print(f"{label}: p50 {p50[label]:.1f} ms, p95 {percentile(values, 95):.1f} ms ({len(values)} questions)")
    print(f"ratio of p50: {p50['with details'] / p50['today (kind ignored)']:.3f}")


def add_question_arguments(command: argparse.ArgumentParser) -> None:
    """The questions a command replays and where: the questions file, the index, the corpus, how many
    unanswerable ones (XQuAD) and how many in all (`signals`, `quotes`, and `bench_answer_signals.py`'s)."""
    command.add_argument("questions", type=Path)
    command.add_argument("--index-dir", type=Path, required=True)
    command.add_argument("--corpus", type=Path)
    command.add_argument("--unanswerable", type=int, default=0)
    command.add_argument("--limit", type=int)


def add_replay_arguments(replaying: argparse.ArgumentParser) -> None:
    """The arguments of a replay (this bench's `signals`, `bench_answer_signals.py replay`): the questions and
    their index (`add_question_arguments`), its removed-sentence twin, distractors, and the output file."""
    add_question_arguments(replaying)
    replaying.add_argument("--removed-index-dir", type=Path, required=True)
    replaying.add_argument("--distractors", type=Path, nargs="*", default=[])
    replaying.add_argument("--out", type=Path, required=True)


def add_parted_replay(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], help_text: str
) -> argparse.ArgumentParser:
    """A ``replay`` subcommand (`add_replay_arguments`) whose rows name the set they come from, so the tuning and
    kept-aside parts can be told apart (`bench_answer_signals.py`, `bench_reader.py`)."""
    replaying = commands.add_parser("replay", help=help_text)
    add_replay_arguments(replaying)
    replaying.add_argument("--set", default="fang", help="xquad or fang (how parts are split)")
    return replaying


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sample").add_argument("--out", type=Path, required=True)
    commands.add_parser("table").add_argument("details", type=Path, nargs="+")
    tuning = commands.add_parser("tune")
    tuning.add_argument("--index-dir", type=Path, required=True)
    tuning.add_argument("--removed-index-dir", type=Path, required=True)
    tuning.add_argument("--corpus", type=Path, required=True)
    tuning.add_argument("--questions", type=Path, default=DATA / "questions.json")
    timing = commands.add_parser("latency")
    timing.add_argument("--index-dir", type=Path, required=True)
    timing.add_argument("--questions", type=Path, default=DATA / "questions.json")
    timing.add_argument("--rounds", type=int, default=3)
    tuning.add_argument("--show", action="store_true", help="print each question's outcome")
    tuning.add_argument("grid", nargs="+", help="bonus,neighbour,margin[,cross_margin]")
    replaying = commands.add_parser("signals", help="replay questions, write the decline model's signals (JSON lines)")
    add_replay_arguments(replaying)
    replaying.add_argument("--asked", type=Path, help="the same questions in another language")
    replaying.add_argument("--set", default="fang", help="xquad, xquad-en, fang or fang-en (how parts are split)")
    shown = commands.add_parser("figures", help="the shipped decline model's figures on replayed signals")
    shown.add_argument("signals", type=Path, nargs="+")
    quoting = commands.add_parser("quotes", help="first-quote hits across languages per cross bonus")
    add_question_arguments(quoting)
    quoting.add_argument("--asked", type=Path, required=True, help="the same questions in another language")
    quoting.add_argument("--set", default="fang-en", help="xquad-en or fang-en (how parts are split)")
    quoting.add_argument("grid", nargs="+", help="bonus[:kind,kind]")
    fitting = commands.add_parser("fit", help="fit the decline model on replayed signals")
    fitting.add_argument("signals", type=Path, nargs="+")
    fitting.add_argument("--fang-weight", type=float, default=5.0)
    fitting.add_argument("--answered", type=float, default=0.93)
    fitting.add_argument("--check", type=Path, nargs="*", default=[], help="signals only checked, not fitted on")
    fitting.add_argument("--cross", action="store_true", help="fit the model of questions in another language")
    fitting.add_argument("--ridge", type=float, default=0.1)
    fitting.add_argument("--without", nargs="*", default=[], help="features held at 0 (their names in FEATURES)")
    fitting.add_argument("--cutoff", type=float, help="this cutoff instead of the one --answered chooses")
    args = parser.parse_args()
    if args.command == "sample":
        sample(args.out)
    elif args.command == "latency":
        latency(args.index_dir, args.questions, args.rounds)
    elif args.command == "signals":
        rows = replay_rows(
            args.questions,
            args.index_dir,
            args.removed_index_dir,
            corpus=args.corpus,
            distractors=tuple(args.distractors),
            unanswerable=args.unanswerable,
            limit=args.limit,
            tag=args.set,
            asked_file=args.asked,
        )
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif args.command == "figures":
        print_figures([r for path in args.signals for r in _rows(path)], DECLINE_MODEL, CROSS_DECLINE_MODEL)
    elif args.command == "quotes":
        quotes(
            args.questions,
            args.asked,
            args.index_dir,
            args.grid,
            corpus=args.corpus,
            unanswerable=args.unanswerable,
            limit=args.limit,
            tag=args.set,
        )
    elif args.command == "fit":
        fit(
            args.signals,
            args.fang_weight,
            args.answered,
            tuple(args.check),
            args.cross,
            ridge=args.ridge,
            without=tuple(args.without),
            chosen_cutoff=args.cutoff,
        )
    elif args.command == "tune":
        tune(args.index_dir, args.removed_index_dir, args.corpus, args.questions, args.grid, args.show)
    else:
        table(args.details)


if __name__ == "__main__":
    main()
