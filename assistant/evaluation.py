"""Measure the assistant on a SQuAD-format file: hit@k, MRR, quote hits, abstention and latency.

Every question goes through `Assistant.ask`, the path users get, so the figures measure whatever the library
does (retrieval, quote selection, abstention) and nothing else. Each SQuAD paragraph becomes one article;
distractor articles (a folder, or the 10kGNAD CSV) make retrieval realistic.

Matching is strict on purpose, so a figure cannot be raised by looser matching: a gold answer "occurs in" a
text when it is an exact substring, or a substring once every run of whitespace (spaces, tabs, newlines,
non-breaking spaces) is collapsed to one space on both sides. No lowercasing, no Unicode or punctuation
folding. Length limits keep the figures honest too: `quote_hit` only counts first quotes of at most
`MAX_QUOTE_CHARS`, and the report gives the mean passage length (`passage_chars`, top 5) beside hit@k.

Denominators: hit@k, mrr@10, quote_hit and answer_answerable are over answerable questions (an abstention
counts as a quote miss); abstain_unanswerable is over the questions of the left-out articles (None without
`unanswerable`); latency and lengths are over all questions asked.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answering.extractive import MAX_QUOTE_CHARS  # a longer first quote never counts as a quote hit
from assistant.answers import Answer
from assistant.articles import Article
from assistant.core import Assistant
from assistant.errors import ConfigurationError
from assistant.indexing.indexer import Phase
from assistant.settings import Settings

MAX_PASSAGE_CHARS = 1000
"""The mean retrieved passage must stay below this, or hit@k could be raised by returning more text."""
PASSAGE_CHARS_K = 5
MRR_CUTOFF = 10
DEFAULT_KS = (1, 3, 5, 10)
MARKER_FILE = "EVAL_INDEX"
"""Marks an index directory built by `evaluate`: only there may articles missing from the run be deleted."""
WARM_UP_QUESTION = "Worum geht es in den Artikeln?"

EvalProgress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` with stage ``"index"`` or ``"ask"``."""


# --- the data -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SquadQuestion:
    """One question with its gold answer strings and the paragraph that answers it."""

    id: str
    question: str
    answers: tuple[str, ...]
    article_index: int
    paragraph_index: int

    @property
    def context_id(self) -> str:
        return context_id(self.article_index, self.paragraph_index)


@dataclass(frozen=True)
class SquadParagraph:
    context: str
    questions: tuple[SquadQuestion, ...]


@dataclass(frozen=True)
class SquadArticle:
    """A SQuAD ``data[]`` entry: a title and its paragraphs (each paragraph is indexed as one article)."""

    index: int
    title: str
    paragraphs: tuple[SquadParagraph, ...]

    @property
    def questions(self) -> list[SquadQuestion]:
        return [q for paragraph in self.paragraphs for q in paragraph.questions]

    def to_articles(self) -> list[Article]:
        title = self.title.replace("_", " ")
        return [
            Article(id=context_id(self.index, number), text=paragraph.context, title=title)
            for number, paragraph in enumerate(self.paragraphs)
            if paragraph.context.strip()
        ]


def context_id(article_index: int, paragraph_index: int) -> str:
    """The article id of one SQuAD paragraph: stable, so a persistent eval index is reused."""
    return f"squad/{article_index}/{paragraph_index}"


def load_squad(path: str | Path) -> list[SquadArticle]:
    """Read a SQuAD v1-format file; questions without any gold answer are dropped (they cannot be scored)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"cannot read SQuAD file {path}: {error}") from error
    return [_squad_article(index, entry) for index, entry in enumerate(data)]


def with_questions_from(squad: Sequence[SquadArticle], other: Sequence[SquadArticle]) -> list[SquadArticle]:
    """`squad`'s contexts and gold answers, asked with `other`'s question texts of the same ids.

    XQuAD's languages share ids, so German articles can be asked in English: the gold answers stay the ones
    that stand in the indexed text. A question whose id `other` lacks is dropped; none matching is an error."""
    texts = {q.id: q.question for article in other for q in article.questions}

    def asked(paragraph: SquadParagraph) -> SquadParagraph:
        questions = tuple(dataclasses.replace(q, question=texts[q.id]) for q in paragraph.questions if q.id in texts)
        return dataclasses.replace(paragraph, questions=questions)

    swapped = [dataclasses.replace(a, paragraphs=tuple(map(asked, a.paragraphs))) for a in squad]
    if squad and not any(article.questions for article in swapped):
        raise ConfigurationError("--questions shares no question id with the QA file: are they parallel?")
    return swapped


def _squad_article(index: int, entry: dict[str, Any]) -> SquadArticle:
    paragraphs = []
    for number, paragraph in enumerate(entry.get("paragraphs", [])):
        questions = []
        for qa in paragraph.get("qas", []):
            answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()))
            if answers:
                questions.append(SquadQuestion(str(qa.get("id", "")), qa["question"], answers, index, number))
        paragraphs.append(SquadParagraph(paragraph.get("context", ""), tuple(questions)))
    return SquadArticle(index, str(entry.get("title", "")), tuple(paragraphs))


def load_distractors(paths: Iterable[str | Path]) -> list[Article | Path]:
    """Distractor articles: a ``.csv`` in 10kGNAD format is read here, anything else goes to `Assistant.index`."""
    items: list[Article | Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigurationError(f"distractors not found: {path}")
        items.extend(read_10kgnad_csv(path) if path.suffix.lower() == ".csv" else [path])
    return items


def read_10kgnad_csv(path: Path) -> list[Article]:
    """Rows ``label;text`` (quote char ``'``) as articles ``{file name}#{row}``; blank texts are skipped."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    return [
        Article(id=f"{path.name}#{number}", text=row[1], source=path.name)
        for number, row in enumerate(rows)
        if len(row) >= 2 and row[1].strip()
    ]


# --- pure metrics -------------------------------------------------------------------------------
def normalize_whitespace(text: str) -> str:
    """Every run of whitespace as one space, trimmed (the only normalization matching allows)."""
    return " ".join(text.split())


def occurs_in(answer: str, text: str) -> bool:
    """Whether a gold answer occurs in `text`: exact substring, else substring after whitespace normalization."""
    if answer in text:
        return True
    normalized = normalize_whitespace(answer)
    return bool(normalized) and normalized in normalize_whitespace(text)


def contains_any(text: str, answers: Iterable[str]) -> bool:
    return any(occurs_in(answer, text) for answer in answers)


def hit_rank(texts: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first text holding a gold answer, or None."""
    for rank, text in enumerate(texts, start=1):
        if contains_any(text, answers):
            return rank
    return None


def hit_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first hit is within the top `k` (None when there are no questions)."""
    if not ranks:
        return None
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None], cutoff: int = MRR_CUTOFF) -> float | None:
    """Mean of 1/rank, counting misses and ranks beyond `cutoff` as 0."""
    if not ranks:
        return None
    return sum(1 / rank for rank in ranks if rank is not None and rank <= cutoff) / len(ranks)


def is_quote_hit(quote: str | None, answers: Sequence[str], max_chars: int = MAX_QUOTE_CHARS) -> bool:
    """A gold answer occurs in the first quote, and that quote is short enough to be a quote."""
    return quote is not None and len(quote) <= max_chars and contains_any(quote, answers)


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- options ------------------------------------------------------------------------------------
def parse_ks(text: str) -> tuple[int, ...]:
    """``"1,3,5,10"`` -> (1, 3, 5, 10)."""
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError as error:
        raise ConfigurationError(f"--k wants comma-separated positive integers, got {text!r}") from error
    if not ks or ks[0] < 1:
        raise ConfigurationError(f"--k wants comma-separated positive integers, got {text!r}")
    return ks


def parse_slice(text: str) -> slice:
    """``"38:48"``, ``":38"`` or ``"38:"`` -> a slice of SQuAD articles."""
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(start) if start.strip() else None, int(stop) if stop.strip() else None)
    except ValueError as error:
        raise ConfigurationError(f"--articles wants a slice like 38:48, got {text!r}") from error


def choose_unanswerable(article_count: int, count: int, seed: int) -> frozenset[int]:
    """The SQuAD articles left out of the index, drawn from all articles so every slice sees the same index."""
    if not 0 <= count <= article_count:
        raise ConfigurationError(f"--unanswerable must be between 0 and {article_count}, got {count}")
    return frozenset(random.Random(seed).sample(range(article_count), count))


def select_questions(
    squad: Sequence[SquadArticle], articles_slice: slice | None = None, limit: int | None = None
) -> list[SquadQuestion]:
    """The questions of the sliced articles; `limit` takes evenly spaced ones so every article stays represented."""
    questions = [q for article in squad[articles_slice or slice(None)] for q in article.questions]
    if limit is None or limit >= len(questions):
        return questions
    if limit <= 0:
        return []
    return [questions[i * len(questions) // limit] for i in range(limit)]


# --- one question -------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionResult:
    """What one question gave, scored; `to_dict` is one line of the ``--details`` file."""

    question: SquadQuestion
    answerable: bool
    rank: int | None  # first passage holding a gold answer (1-based)
    context_rank: int | None  # first passage cut from the gold paragraph
    abstained: bool
    quote: str | None
    quote_article: str | None
    top_score: float | None
    top_article: str | None
    passage_lengths: tuple[int, ...]  # of the top PASSAGE_CHARS_K passages
    ms: float

    @property
    def quote_hit(self) -> bool:
        return is_quote_hit(self.quote, self.question.answers)

    def to_dict(self) -> dict[str, Any]:
        q = self.question
        return {
            "id": q.id,
            "question": q.question,
            "gold": list(q.answers),
            "context_id": q.context_id,
            "answerable": self.answerable,
            "hit_rank": self.rank,
            "context_rank": self.context_rank,
            "abstained": self.abstained,
            "quote": self.quote,
            "quote_article": self.quote_article,
            "quote_hit": self.quote_hit,
            "top_score": None if self.top_score is None else round(self.top_score, 4),
            "top_article": self.top_article,
            "ms": round(self.ms, 1),
        }


def score_answer(question: SquadQuestion, answer: Answer, answerable: bool, ms: float) -> QuestionResult:
    """Score one `Answer` against the gold strings (no I/O, so tests can build answers by hand)."""
    passages = answer.passages
    quote = answer.quotes[0] if answer.quotes else None
    return QuestionResult(
        question=question,
        answerable=answerable,
        rank=hit_rank([p.text for p in passages], question.answers),
        context_rank=next((n for n, p in enumerate(passages, 1) if p.article_id == question.context_id), None),
        abstained=answer.abstained,
        quote=quote.text if quote else None,
        quote_article=quote.article_id if quote else None,
        top_score=passages[0].score if passages else None,
        top_article=passages[0].article_id if passages else None,
        passage_lengths=tuple(len(p.text) for p in passages[:PASSAGE_CHARS_K]),
        ms=ms,
    )


# --- the report ---------------------------------------------------------------------------------
@dataclass
class EvalReport:
    """Scored questions plus indexing figures; `to_dict` is the ``assistant eval --json`` object."""

    results: list[QuestionResult]
    ks: tuple[int, ...]
    k_asked: int
    index_seconds: float
    indexed: dict[str, int]
    unanswerable_articles: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        answerable = [r for r in self.results if r.answerable]
        unanswerable = [r for r in self.results if not r.answerable]
        ranks = [r.rank for r in answerable]
        data: dict[str, Any] = {f"hit@{k}": _round(hit_at_k(ranks, k)) for k in self.ks}
        data[f"mrr@{MRR_CUTOFF}"] = _round(mean_reciprocal_rank(ranks))
        data["quote_hit"] = _round(share([r.quote_hit for r in answerable]))
        data["abstain_unanswerable"] = _round(share([r.abstained for r in unanswerable]))
        data["answer_answerable"] = _round(share([not r.abstained for r in answerable]))
        data.update(self._latency_and_lengths())
        data.update(questions=len(self.results), answerable=len(answerable), unanswerable=len(unanswerable))
        data.update(k=self.k_asked, unanswerable_articles=list(self.unanswerable_articles), indexed=self.indexed)
        return data

    def _latency_and_lengths(self) -> dict[str, Any]:
        times = [r.ms for r in self.results]
        quotes = [len(r.quote) for r in self.results if r.quote is not None]
        return {
            "p50_ms": _round(percentile(times, 50), 1),
            "p95_ms": _round(percentile(times, 95), 1),
            "passage_chars": _round(mean([n for r in self.results for n in r.passage_lengths]), 1),
            "quote_chars": _round(mean(quotes), 1),
            "index_seconds": round(self.index_seconds, 1),
        }

    def details(self) -> list[dict[str, Any]]:
        return [result.to_dict() for result in self.results]


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# --- running it ---------------------------------------------------------------------------------
def open_assistant(index_dir: Path) -> Assistant:
    """The assistant `assistant eval` measures: configured like the user's, on the eval index."""
    return Assistant(Settings(index_dir=index_dir))


def evaluate(
    assistant: Assistant,
    squad: Sequence[SquadArticle],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    unanswerable: int = 0,
    seed: int = 0,
    articles_slice: slice | None = None,
    limit: int | None = None,
    distractors: Sequence[Article | Path] = (),
    progress: EvalProgress | None = None,
) -> EvalReport:
    """Index the contexts (minus `unanswerable` left-out articles) and distractors, then ask every question.

    All questions are asked with k = max(ks, 10), so hit@k and mrr@10 come from one retrieval. hit@1 and
    hit@5 are always reported.
    """
    left_out = choose_unanswerable(len(squad), unanswerable, seed)
    index_seconds, indexed = build_index(assistant, squad, left_out, distractors, progress)
    questions = select_questions(squad, articles_slice, limit)
    k = max([*ks, MRR_CUTOFF])
    assistant.ask(WARM_UP_QUESTION, k=k)  # first-call costs (lazy loading) are not a question's latency
    results = []
    for done, question in enumerate(questions, start=1):
        results.append(ask_one(assistant, question, k, answerable=question.article_index not in left_out))
        if progress:
            progress("ask", done, len(questions))
    reported_ks = tuple(sorted({*ks, 1, PASSAGE_CHARS_K}))
    return EvalReport(results, reported_ks, k, index_seconds, indexed, tuple(sorted(left_out)))


def ask_one(assistant: Assistant, question: SquadQuestion, k: int, *, answerable: bool) -> QuestionResult:
    """Ask through the user's path and time it."""
    started = time.perf_counter()
    answer = assistant.ask(question.question, k=k)
    return score_answer(question, answer, answerable, (time.perf_counter() - started) * 1000)


def build_index(
    assistant: Assistant,
    squad: Sequence[SquadArticle],
    left_out: frozenset[int],
    distractors: Sequence[Article | Path],
    progress: EvalProgress | None = None,
) -> tuple[float, dict[str, int]]:
    """Make the index hold exactly the kept contexts and the distractors; return seconds taken and counts."""
    _claim_index_dir(assistant)
    kept = [article for article in squad if article.index not in left_out]
    items: list[Article | Path] = [*(a for article in kept for a in article.to_articles()), *distractors]
    started = time.perf_counter()

    def callback(done: int, total: int, what: str) -> None:
        if progress and not isinstance(what, Phase):  # an older eval index's one-off language tags are not its articles
            progress("index", done, total)

    report = assistant.index(items, progress=callback)
    wanted = {*report.added, *report.updated, *report.unchanged, *(r.path for r in report.refused)}
    deleted = _drop_stale(assistant, wanted)
    counts = report.to_dict()
    counts.update(deleted=counts["deleted"] + deleted, refused=len(report.refused))
    return time.perf_counter() - started, counts


def _claim_index_dir(assistant: Assistant) -> None:
    """Refuse to touch an index that evaluation did not build (it may be a user's real one)."""
    marker = assistant.index_dir / MARKER_FILE
    if not marker.exists() and assistant.status().articles > 0:
        raise ConfigurationError(
            f"{assistant.index_dir} holds an index that `assistant eval` did not build; choose another --index-dir"
        )
    assistant.index_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("built by `assistant eval`: articles not in an evaluation run are deleted\n", encoding="utf-8")


def _drop_stale(assistant: Assistant, wanted: set[str]) -> int:
    """Delete articles an earlier run indexed but this one does not use (e.g. other left-out articles)."""
    stale = [article.id for article in assistant.articles() if article.id not in wanted]
    for article_id in stale:
        assistant.delete(article_id)
    return len(stale)


# --- one run as the command asks for it -----------------------------------------------------------
@dataclass(frozen=True)
class EvalRun:
    """One `assistant eval` run: the files and options as given (strings are parsed here, so the command
    only hands them over)."""

    qa_file: str | Path
    questions_file: str | Path | None = None
    distractors: Sequence[str | Path] = ()
    ks: str = "1,3,5,10"
    unanswerable: int = 0
    seed: int = 0
    articles: str | None = None
    limit: int | None = None
    index_dir: str | Path | None = None


def run(config: EvalRun, progress: EvalProgress | None = None) -> EvalReport:
    """Read the files, index into `index_dir` (or a temporary one, removed afterwards), ask every question."""
    import tempfile

    squad = load_squad(config.qa_file)
    if config.questions_file:
        squad = with_questions_from(squad, load_squad(config.questions_file))
    options: dict[str, Any] = {
        "ks": parse_ks(config.ks),
        "unanswerable": config.unanswerable,
        "seed": config.seed,
        "articles_slice": parse_slice(config.articles) if config.articles else None,
        "limit": config.limit,
        "distractors": load_distractors(config.distractors),
    }
    with tempfile.TemporaryDirectory(prefix="assistant-eval-", ignore_cleanup_errors=True) as scratch:
        assistant = open_assistant(Path(config.index_dir) if config.index_dir else Path(scratch) / "index")
        try:
            return evaluate(assistant, squad, progress=progress, **options)
        finally:
            assistant.close()


def write_details(report: EvalReport, path: str | Path) -> None:
    """One JSON line per question (``--details``): compare two runs' quotes, abstentions and ranks."""
    lines = (json.dumps(row, ensure_ascii=False) + "\n" for row in report.details())
    Path(path).write_text("".join(lines), encoding="utf-8")


def report_text(data: dict[str, Any]) -> str:
    """The report (`EvalReport.to_dict`) as the few lines the command prints."""
    hits = "  ".join(f"{key} {_figure(value)}" for key, value in data.items() if key.startswith("hit@"))
    lines = [
        f"{data['questions']} questions ({data['answerable']} answerable, {data['unanswerable']} unanswerable), "
        f"k={data['k']}",
        f"{hits}  mrr@10 {_figure(data['mrr@10'])}",
        f"quote_hit {_figure(data['quote_hit'])} "
        f"(first quote at most {MAX_QUOTE_CHARS} chars; mean {data['quote_chars']} chars)",
        f"answered (answerable) {_figure(data['answer_answerable'])}, "
        f"abstained (unanswerable) {_figure(data['abstain_unanswerable'])}",
        f"ask p50 {data['p50_ms']} ms, p95 {data['p95_ms']} ms; passages mean {data['passage_chars']} chars (top 5)",
        f"indexing {data['index_seconds']} s: " + ", ".join(f"{n} {key}" for key, n in data["indexed"].items()),
    ]
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
