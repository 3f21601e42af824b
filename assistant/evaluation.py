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

import dataclasses
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assistant.answering.extractive import MAX_QUOTE_CHARS  # a longer first quote never counts as a quote hit
from assistant.answers import Answer
from assistant.articles import Article
from assistant.core import Assistant
from assistant.errors import ConfigurationError
from assistant.evaluating import news_questions
from assistant.evaluating.removal import AnswerTarget, Removal, remove_answer_sentences
from assistant.indexing.progress import Phase
from assistant.settings import Settings

MAX_PASSAGE_CHARS = 1000
"""The mean retrieved passage must stay below this, or hit@k could be raised by returning more text."""
PASSAGE_CHARS_K = 5
MRR_CUTOFF = 10
DEFAULT_KS = (1, 3, 5, 10)
MARKER_FILE = "EVAL_INDEX"
"""Marks an index directory built by `evaluate`: only there may articles missing from the run be deleted."""
WARM_UP_QUESTION = "Worum geht es in den Artikeln?"

Group = Literal["answerable", "left_out", "on_topic", "removed"]
"""Why a question is asked: answerable; unanswerable because its article was left out of the index, because
the articles hold its topic but not its answer (a gold unanswerable question), or because its answer sentences
were removed from the archive (`--remove-answer-sentences`)."""
UNANSWERABLE_KEYS: dict[Group, str] = {
    "left_out": "abstain_unanswerable",
    "on_topic": "abstain_on_topic",
    "removed": "abstain_removed",
}
"""Each kind of unanswerable question's abstention share in the report, side by side."""
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
    answerable: bool = True  # False: the articles hold its topic but not its answer (no gold answers)
    article_id: str | None = None  # the answering article's id when it is not a SQuAD paragraph's

    @property
    def context_id(self) -> str:
        return self.article_id or context_id(self.article_index, self.paragraph_index)


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
    articles: tuple[Article, ...] | None = None  # as indexed, when they are not made from the paragraphs

    @property
    def questions(self) -> list[SquadQuestion]:
        return [q for paragraph in self.paragraphs for q in paragraph.questions]

    def to_articles(self) -> list[Article]:
        if self.articles is not None:
            return list(self.articles)
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


def load_qa(path: str | Path, corpus: str | Path | None = None) -> list[SquadArticle]:
    """A SQuAD file, or FANG-COVID questions (a JSON list) with their articles (`corpus`, by default the
    ``articles.jsonl`` beside them)."""
    if not news_questions.is_question_list(path):
        return load_squad(path)
    articles = news_questions.read_articles(corpus or Path(path).with_name("articles.jsonl"))
    return news_question_set(articles, news_questions.read_questions(path))


def news_question_set(
    articles: Sequence[Article], questions: Sequence[news_questions.NewsQuestion]
) -> list[SquadArticle]:
    """Each news article as one SQuAD article with its questions; the questions without an answer in the
    archive (on the topic, but the detail is missing) in one more entry that indexes nothing."""
    by_url: dict[str, list[news_questions.NewsQuestion]] = {}
    for question in questions:
        by_url.setdefault(question.url or "", []).append(question)
    entries = []
    for index, article in enumerate(articles):
        asked = tuple(
            SquadQuestion(q.id, q.question, (q.answer,), index, 0, article_id=article.id)
            for q in by_url.get(article.id, [])
            if q.answer
        )
        entries.append(SquadArticle(index, article.title, (SquadParagraph(article.text, asked),), (article,)))
    index = len(entries)
    open_ones = tuple(SquadQuestion(q.id, q.question, (), index, 0, answerable=False) for q in by_url.get("", []))
    return [*entries, SquadArticle(index, "", (SquadParagraph("", open_ones),), ())]


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
    """Rows ``label;text`` (quote char ``'``) as articles ``{file name}#{row}``, read by the loader's CSV reader
    (`assistant.ingest.formats.csv_records`, the one home of the format); blank texts are skipped."""
    from assistant.ingest.formats.csv_records import stream_csv
    from assistant.ingest.formats.fields import FieldMap, FieldsUsed
    from assistant.ingest.loading import DEFAULT_MAX_BYTES
    from assistant.ingest.record_files import open_record_file

    articles: list[Article] = []
    with open_record_file(path) as stream:
        rows = stream_csv(stream, path.name, fields=FieldMap(), used=FieldsUsed(), max_record_bytes=DEFAULT_MAX_BYTES)
        for item in rows:
            if isinstance(item, tuple):  # a refusal is a row without text: skipped, as distractors need none
                place, article = item
                row = int(place.rsplit("#", 1)[1]) - 1  # the line a record starts on; 10kGNAD has one per line
                articles.append(dataclasses.replace(article, id=f"{path.name}#{row}", source=path.name, path=""))
    return articles


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


def is_short_answer_hit(short: str, answers: Sequence[str]) -> bool:
    """A short answer is right when it and a gold answer hold one another ("1553" in "1553", "Verl" in "in
    Verl", "15 Prozent" in "15 Prozent der Bevölkerung"): spans' edges differ between finders and annotators."""
    return any(occurs_in(short, answer) or occurs_in(answer, short) for answer in answers if answer)


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
    group: Group = "answerable"
    short_answer: str | None = None

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
            "group": self.group,
            "hit_rank": self.rank,
            "context_rank": self.context_rank,
            "abstained": self.abstained,
            "quote": self.quote,
            "quote_article": self.quote_article,
            "quote_hit": self.quote_hit,
            "short_answer": self.short_answer,
            "short_answer_hit": self.short_answer is not None and is_short_answer_hit(self.short_answer, q.answers),
            "top_score": None if self.top_score is None else round(self.top_score, 4),
            "top_article": self.top_article,
            "ms": round(self.ms, 1),
        }


def score_answer(
    question: SquadQuestion, answer: Answer, answerable: bool, ms: float, group: Group | None = None
) -> QuestionResult:
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
        group=group or ("answerable" if answerable else "left_out"),
        short_answer=answer.short_answer.text if answer.short_answer else None,
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
        data[f"article@{PASSAGE_CHARS_K}"] = _round(hit_at_k([r.context_rank for r in answerable], PASSAGE_CHARS_K))
        data["quote_hit"] = _round(share([r.quote_hit for r in answerable]))
        for group, key in UNANSWERABLE_KEYS.items():
            data[key] = _round(share([r.abstained for r in unanswerable if r.group == group]))
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
    remove_answer_sentences: bool = False,
) -> EvalReport:
    """Index the contexts (minus `unanswerable` left-out articles) and distractors, then ask every question.

    All questions are asked with k = max(ks, 10), so hit@k and mrr@10 come from one retrieval. hit@1 and
    hit@5 are always reported. With `remove_answer_sentences` the answerable questions are asked once more
    after their answer sentences were taken out of the index (`evaluating.removal`): then they must abstain.
    """
    left_out = choose_unanswerable(len(squad), unanswerable, seed)
    index_seconds, indexed = build_index(assistant, squad, left_out, distractors, progress)
    questions = select_questions(squad, articles_slice, limit)
    k = max([*ks, MRR_CUTOFF])
    assistant.ask(WARM_UP_QUESTION, k=k)  # first-call costs (lazy loading) are not a question's latency
    groups = [_group(question, left_out) for question in questions]
    results = _ask_all(assistant, list(zip(questions, groups, strict=True)), k, progress)
    if remove_answer_sentences:
        asked = [q for q, group in zip(questions, groups, strict=True) if group == "answerable"]
        removal = answer_sentences_removed(squad, asked, left_out, distractors)
        build_index(assistant, squad, left_out, distractors, progress, replaced=removal.changed)
        hard: list[tuple[SquadQuestion, Group]] = [(q, "removed") for q in asked if q.id in removal.questions]
        results += _ask_all(assistant, hard, k, progress)
    reported_ks = tuple(sorted({*ks, 1, PASSAGE_CHARS_K}))
    return EvalReport(results, reported_ks, k, index_seconds, indexed, tuple(sorted(left_out)))


def _group(question: SquadQuestion, left_out: frozenset[int]) -> Group:
    if not question.answerable:
        return "on_topic"
    return "left_out" if question.article_index in left_out else "answerable"


def _ask_all(
    assistant: Assistant, questions: list[tuple[SquadQuestion, Group]], k: int, progress: EvalProgress | None
) -> list[QuestionResult]:
    results = []
    for done, (question, group) in enumerate(questions, start=1):
        results.append(ask_one(assistant, question, k, answerable=group == "answerable", group=group))
        if progress:
            progress("ask", done, len(questions))
    return results


def answer_sentences_removed(
    squad: Sequence[SquadArticle],
    questions: Sequence[SquadQuestion],
    left_out: frozenset[int],
    distractors: Sequence[Article | Path],
) -> Removal:
    """The indexed articles without the sentences that answer `questions` (distractors given as files or
    folders are indexed as they are)."""
    articles = [a for article in squad if article.index not in left_out for a in article.to_articles()]
    articles += [item for item in distractors if isinstance(item, Article)]
    targets = [AnswerTarget(q.id, q.context_id, q.answers) for q in questions]
    return remove_answer_sentences(articles, targets)


def ask_one(
    assistant: Assistant, question: SquadQuestion, k: int, *, answerable: bool, group: Group | None = None
) -> QuestionResult:
    """Ask through the user's path and time it."""
    started = time.perf_counter()
    answer = assistant.ask(question.question, k=k)
    return score_answer(question, answer, answerable, (time.perf_counter() - started) * 1000, group)


def build_index(
    assistant: Assistant,
    squad: Sequence[SquadArticle],
    left_out: frozenset[int],
    distractors: Sequence[Article | Path],
    progress: EvalProgress | None = None,
    replaced: dict[str, Article | None] | None = None,
) -> tuple[float, dict[str, int]]:
    """Make the index hold exactly the kept contexts and the distractors (those in `replaced` as given there,
    None: left out); return seconds taken and counts."""
    _claim_index_dir(assistant)
    kept = [article for article in squad if article.index not in left_out]
    items: list[Article | Path] = [*(a for article in kept for a in article.to_articles()), *distractors]
    if replaced:
        items = [kept_item for item in items if (kept_item := _replaced(item, replaced)) is not None]
    started = time.perf_counter()

    def callback(done: int, total: int, what: str) -> None:
        if progress and not isinstance(what, Phase):  # an older eval index's one-off language tags are not its articles
            progress("index", done, total)

    report = assistant.index(items, progress=callback)
    wanted = {*report.added, *report.updated, *report.unchanged, *(r.path for r in report.refused)}
    deleted = _drop_stale(assistant, wanted)
    counts = report.counts()
    counts["deleted"] += deleted
    return time.perf_counter() - started, counts


def _replaced(item: Article | Path, replaced: dict[str, Article | None]) -> Article | Path | None:
    return replaced.get(item.id) if isinstance(item, Article) and item.id in replaced else item


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
    corpus: str | Path | None = None  # the articles of FANG-COVID questions (default: articles.jsonl beside them)
    remove_answer_sentences: bool = False


def run(config: EvalRun, progress: EvalProgress | None = None) -> EvalReport:
    """Read the files, index into `index_dir` (or a temporary one, removed afterwards), ask every question."""
    import tempfile

    squad = load_qa(config.qa_file, config.corpus)
    if config.questions_file:
        squad = with_questions_from(squad, load_qa(config.questions_file, config.corpus))
    options: dict[str, Any] = {
        "ks": parse_ks(config.ks),
        "unanswerable": config.unanswerable,
        "seed": config.seed,
        "articles_slice": parse_slice(config.articles) if config.articles else None,
        "limit": config.limit,
        "distractors": load_distractors(config.distractors),
        "remove_answer_sentences": config.remove_answer_sentences,
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
        f"{hits}  mrr@10 {_figure(data['mrr@10'])}  article@5 {_figure(data['article@5'])}",
        f"quote_hit {_figure(data['quote_hit'])} "
        f"(first quote at most {MAX_QUOTE_CHARS} chars; mean {data['quote_chars']} chars)",
        f"answered (answerable) {_figure(data['answer_answerable'])}, "
        f"abstained (unanswerable) {_figure(data['abstain_unanswerable'])}" + _other_unanswerables(data),
        f"ask p50 {data['p50_ms']} ms, p95 {data['p95_ms']} ms; passages mean {data['passage_chars']} chars (top 5)",
        f"indexing {data['index_seconds']} s: " + ", ".join(f"{n} {key}" for key, n in data["indexed"].items()),
    ]
    return "\n".join(lines)


def _other_unanswerables(data: dict[str, Any]) -> str:
    """The on-topic and removed-sentence abstentions beside the left-out ones, when the run has them."""
    shown = {"on topic": data.get("abstain_on_topic"), "answer sentences removed": data.get("abstain_removed")}
    return "".join(f", {label} {_figure(value)}" for label, value in shown.items() if value is not None)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
