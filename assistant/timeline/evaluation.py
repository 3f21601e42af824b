"""`assistant eval-timeline`: timelines against gold events (the format of FANG-COVID's ``timelines.json``),
beside the baseline a RAG front end gives (its best passages sorted by publication date).

Measures, per topic and question language and overall: date precision, recall and F1 (an entry matches a gold
event when its day lies within one day of the event's; each event matches at most one entry), evidence recall
(the share of events whose evidence article, or an article published on the event's day, is quoted), the share
of quotes that are verbatim (must be all), and latency (p50 of warm calls).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InvalidInputError

if TYPE_CHECKING:
    from assistant.answers import Quote
    from assistant.core import Assistant

MATCH_DAYS = 1
"""An entry matches a gold event when their days are at most this far apart."""
BASELINE_PASSAGES = 15
"""What the baseline shows: the best passages for the question, sorted by publication date."""
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class GoldEvent:
    day: dt.date
    urls: frozenset[str]


@dataclass(frozen=True)
class Topic:
    name: str
    questions: dict[str, str]  # language -> question
    events: list[GoldEvent]


@dataclass(frozen=True)
class Predicted:
    """What a system put on a timeline: the entries' days and, per entry, the quoted articles (url, published)."""

    days: list[dt.date]
    quoted: list[tuple[str, str | None]]
    verbatim: int
    quotes: int
    seconds: float
    outlets: int = 0  # outlets quoted or named in "also in"


@dataclass
class Score:
    """Counts that add up across topics (so "overall" is micro-averaged)."""

    matched: int = 0
    entries: int = 0
    events: int = 0
    evidenced: int = 0
    verbatim: int = 0
    quotes: int = 0
    outlets: set[str] = field(default_factory=set)
    seconds: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.matched += other.matched
        self.entries += other.entries
        self.events += other.events
        self.evidenced += other.evidenced
        self.verbatim += other.verbatim
        self.quotes += other.quotes
        self.seconds += other.seconds

    def to_dict(self) -> dict[str, Any]:
        precision = self.matched / self.entries if self.entries else 0.0
        recall = self.matched / self.events if self.events else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "date_precision": round(precision, 3),
            "date_recall": round(recall, 3),
            "date_f1": round(f1, 3),
            "evidence_recall": round(self.evidenced / self.events, 3) if self.events else 0.0,
            "verbatim": round(self.verbatim / self.quotes, 3) if self.quotes else 1.0,
            "entries": self.entries,
            "events": self.events,
            "latency_p50_s": round(statistics.median(self.seconds), 3) if self.seconds else None,
        }


def load_topics(path: str | Path) -> list[Topic]:
    """The topics of a ``timelines.json`` file; a file of another shape is a clear error."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [
            Topic(
                item["topic"],
                {lang: item[f"question_{lang}"] for lang in LANGUAGES if item.get(f"question_{lang}")},
                [
                    GoldEvent(dt.date.fromisoformat(e["date"]), frozenset(ev["url"] for ev in e.get("evidence", ())))
                    for e in item["events"]
                ],
            )
            for item in data
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidInputError(
            f"{path} is not a timelines file (a list of topics with question_de/question_en and events with "
            f"date and evidence): {error}"
        ) from error


def match_days(predicted: list[dt.date], gold: list[dt.date], slack: int = MATCH_DAYS) -> list[tuple[int, int]]:
    """Pairs (entry, event) within `slack` days, each entry and each event used once; closest pairs first."""
    pairs = sorted(
        (abs((p - g).days), i, j)
        for i, p in enumerate(predicted)
        for j, g in enumerate(gold)
        if abs((p - g).days) <= slack
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    matched = []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            matched.append((i, j))
    return matched


def score(predicted: Predicted, events: list[GoldEvent]) -> Score:
    result = Score(
        entries=len(predicted.days), events=len(events), verbatim=predicted.verbatim, quotes=predicted.quotes
    )
    result.matched = len(match_days(predicted.days, [e.day for e in events]))
    quoted_urls = {url for url, _ in predicted.quoted}
    quoted_days = {published[:10] for _, published in predicted.quoted if published}
    result.evidenced = sum(1 for e in events if e.urls & quoted_urls or e.day.isoformat() in quoted_days)
    result.seconds.append(predicted.seconds)
    return result


def timeline_prediction(assistant: Assistant, question: str, max_entries: int) -> Predicted:
    started = time.perf_counter()
    timeline = assistant.timeline(question, max_entries=max_entries)
    seconds = time.perf_counter() - started
    quotes = [q for entry in timeline.entries for q in entry.quotes]
    days = [entry.day.first for entry in timeline.entries if entry.day.is_day]
    outlets = {q.source for q in quotes} | {name for entry in timeline.entries for name in entry.also_in}
    verbatim = _verbatim(assistant, quotes)
    return Predicted(days, _quoted(assistant, quotes), verbatim, len(quotes), seconds, len(outlets - {""}))


def baseline_prediction(assistant: Assistant, question: str) -> Predicted:
    """The best passages for the question, sorted by publication date, each dated by its publication day."""
    started = time.perf_counter()
    passages = assistant.retrieve(question, k=BASELINE_PASSAGES)
    seconds = time.perf_counter() - started
    dated = sorted((p for p in passages if p.published), key=lambda p: p.published or "")
    days = [dt.date.fromisoformat((p.published or "")[:10]) for p in dated]
    quoted = [(_url_of(assistant, p.article_id), p.published) for p in dated]
    return Predicted(days, quoted, len(passages), len(passages), seconds)


def _quoted(assistant: Assistant, quotes: list[Quote]) -> list[tuple[str, str | None]]:
    return [(_url_of(assistant, q.article_id), q.published) for q in quotes]


def _url_of(assistant: Assistant, article_id: str) -> str:
    return assistant.article(article_id).url or article_id


def _verbatim(assistant: Assistant, quotes: list[Quote]) -> int:
    return sum(1 for q in quotes if assistant.article(q.article_id).text[q.start : q.end] == q.text)


@dataclass
class Report:
    rows: list[dict[str, Any]]
    overall: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"topics": self.rows, "overall": self.overall}


def run(
    assistant: Assistant,
    path: str | Path,
    *,
    max_entries: int,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Every topic's questions (German and English) as timelines and as the baseline, scored against the gold."""
    topics = load_topics(path)
    if topics and topics[0].questions:
        assistant.timeline(next(iter(topics[0].questions.values())), max_entries=max_entries)  # warm
    totals = {"timeline": Score(), "baseline": Score()}
    by_language = {(system, lang): Score() for system in totals for lang in LANGUAGES}
    rows: list[dict[str, Any]] = []
    asked, total = 0, sum(len(t.questions) for t in topics)
    for topic in topics:
        for lang, question in topic.questions.items():
            systems = {
                "timeline": timeline_prediction(assistant, question, max_entries),
                "baseline": baseline_prediction(assistant, question),
            }
            row: dict[str, Any] = {"topic": topic.name, "language": lang}
            for system, predicted in systems.items():
                scored = score(predicted, topic.events)
                totals[system].add(scored)
                by_language[(system, lang)].add(scored)
                row[system] = scored.to_dict()
            row["timeline"]["outlets"] = systems["timeline"].outlets
            rows.append(row)
            asked += 1
            if progress:
                progress(asked, total)
    overall = {system: s.to_dict() for system, s in totals.items()}
    for (system, lang), s in by_language.items():
        if s.events:
            overall[f"{system}_{lang}"] = s.to_dict()
    base, ours = overall["baseline"]["date_f1"], overall["timeline"]["date_f1"]
    overall["timeline"]["f1_vs_baseline"] = round(ours / base, 2) if base else None
    return Report(rows, overall)


def report_text(report: Report) -> str:
    """A table: one line per topic and language, then the totals, timeline beside baseline."""
    head = f"{'topic':<12}{'lang':<6}{'system':<10}{'P':>7}{'R':>7}{'F1':>7}{'evid.':>7}{'verb.':>7}{'p50 s':>8}"
    lines = [head, "-" * len(head)]

    def line(name: str, lang: str, system: str, s: dict[str, Any]) -> str:
        latency = f"{s['latency_p50_s']:.2f}" if s.get("latency_p50_s") is not None else "-"
        return (
            f"{name:<12}{lang:<6}{system:<10}{s['date_precision']:>7.2f}{s['date_recall']:>7.2f}{s['date_f1']:>7.2f}"
            f"{s['evidence_recall']:>7.2f}{s['verbatim']:>7.2f}{latency:>8}"
        )

    for row in report.rows:
        for system in ("timeline", "baseline"):
            lines.append(line(row["topic"], row["language"], system, row[system]))
    lines.append("-" * len(head))
    for key, s in report.overall.items():
        system, _, lang = key.partition("_")
        lines.append(line("overall", lang or "all", system, s))
    ratio = report.overall["timeline"].get("f1_vs_baseline")
    lines.append(f"timeline date F1 / baseline date F1: {ratio if ratio is not None else '-'}")
    return "\n".join(lines)
