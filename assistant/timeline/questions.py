"""What a question says about time: whether it asks how something developed (a timeline), which window of
days it asks about ("im Juni 2020", "seit dem 1. März", "letzte Woche"), whether it wants the latest news,
and the question without those words (what is searched: "Woche" or "März" are no search terms)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from assistant.answering.retrieval import SearchFilter
from assistant.dates import DaySpan, scan_times

_DEVELOPMENT = re.compile(
    r"\bwie\s+(?:hat|haben)\s+sich\b.*\bentwickelt\b|\bwie\s+entwickelte[n]?\s+sich\b|\bentwicklung\s+(?:von|der|des|bei|im)\b"
    r"|\bchronolog|\bzeitleiste\b|\bzeitstrahl\b|\bverlauf\s+(?:von|der|des)\b"
    r"|\bwas\s+(?:ist|geschah|passierte)\s+seit\b|\bwas\s+ist\s+seit\b.*\b(?:passiert|geschehen)\b"
    r"|\bhow\s+did\b.*\b(?:develop|unfold|evolve)|\bhow\s+has\b.*\b(?:developed|unfolded|evolved)\b"
    r"|\btime\s*line\b|\bchronology\b|\bwhat\s+(?:has\s+)?happened\s+since\b",
    re.IGNORECASE,
)
_FRAME_WORDS = re.compile(
    r"\b(?:wie\s+(?:hat|haben)\s+sich|wie\s+entwickelte[n]?\s+sich|entwickelt|entwicklung|chronologie|chronologisch"
    r"|zeitleiste|zeitstrahl|verlauf|was\s+(?:ist|geschah|passierte)|passiert|geschehen|how\s+did|how\s+has"
    r"|develop(?:ed)?|unfold(?:ed)?|evolve[d]?|a\s+timeline\s+of|the\s+timeline\s+of|timeline\s+of|timeline"
    r"|chronology\s+of|chronology|what\s+(?:has\s+)?happened|give\s+me|zeige?\s+mir|gib\s+mir|eine|ein|the|of)\b",
    re.IGNORECASE,
)
_RECENT = re.compile(
    r"\b(?:neueste[nmrs]?|zuletzt|aktuell(?:e[nmrs]?)?|jüngste[nmrs]?|derzeit|latest|most\s+recent|recent(?:ly)?"
    r"|newest|current(?:ly)?)\b",
    re.IGNORECASE,
)
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:im\s+Jahr|im|in|am|seit\s+dem|seit\s+den|seit|ab\s+dem|ab|bis\s+zum|bis\s+zur|bis|vom|von|on|since|until"
    r"|during|in\s+den|in\s+the|over\s+the|im\s+Laufe\s+de[rs])\s+$",
    re.IGNORECASE,
)
_LEFTOVER = re.compile(
    r"\b(?:im\s+Jahr|im|in|am|seit\s+dem|seit\s+den|seit|ab\s+dem|ab|bis\s+zum|bis|vom|von|den|dem|on|since|until"
    r"|during|the|last|past|in\s+den|over)\s*(?=[?.!,]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionTime:
    """The time a question asks about: a window of days (or none), whether it wants the latest, and the question
    as searched (its time words taken out)."""

    window: DaySpan | None
    recent: bool
    searched: str


def is_development_question(question: str) -> bool:
    """ "Wie hat sich … entwickelt?", "Chronologie …", "Was ist seit … passiert?", "How did … develop?",
    "timeline of …": a question a timeline answers."""
    return _DEVELOPMENT.search(question) is not None


def topic_of(question: str) -> str:
    """The story a development question asks about, without its framing words ("Wie hat sich … entwickelt")."""
    topic = " ".join(_FRAME_WORDS.sub(" ", question).split()).strip(" ?!.,:;")
    return topic or question


def question_time(question: str, now: dt.date) -> QuestionTime:
    """The window of days `question` asks about, resolved against `now` ("seit dem 1. März" is 1 March to now,
    "letzte Woche" last calendar week, "in den letzten drei Tagen" the three days before now, "2020" the year)."""
    found = scan_times(question, now)
    mentions = [(m, m.span) for m in found if m.span is not None]
    first, last = dt.date.min, dt.date.max
    cut: list[tuple[int, int]] = []
    for mention, span in mentions:
        if mention.relation == "since":
            first, last = max(first, span.first), min(last, now)
        elif mention.relation == "until":
            last = min(last, span.last)
        else:
            first, last = max(first, span.first), min(last, span.last)
        cut.append((mention.start, mention.end))
    if not mentions:  # "Was geschah 2020 bei Wirecard?": a year standing alone is the year in a question
        for bare in (m for m in found if m.kind == "number_year"):
            year = int(question[bare.start : bare.end])
            first, last = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
            cut.append((bare.start, bare.end))
    recent = False
    for m in _RECENT.finditer(question):
        recent = True
        cut.append((m.start(), m.end()))
    window = DaySpan(first, last) if cut and (first, last) != (dt.date.min, dt.date.max) and first <= last else None
    return QuestionTime(window, recent, _without(question, cut) if cut else question)


def _without(question: str, cut: list[tuple[int, int]]) -> str:
    """The question with the time expressions (and the prepositions they leave dangling) taken out."""
    kept, at = [], 0
    for start, end in sorted(cut):
        if m := _PREPOSITION_BEFORE.search(question[:start]):
            start = max(m.start(), at)
        if start >= at:
            kept.append(question[at:start])
            at = end
    kept.append(question[at:])
    text = " ".join("".join(kept).split())
    for _ in range(3):
        text = " ".join(_LEFTOVER.sub("", text).split())
    text = re.sub(r"\s+([?.!,])", r"\1", text).strip()
    return text if len(text.strip(" ?!.,")) >= 3 else question


def published_from(search_filter: SearchFilter | None, window: DaySpan | None) -> SearchFilter | None:
    """The search filter, publishing from the window's first day on (an article cannot tell of days after it
    appeared... except plans, which the window's sentences then catch among the articles of those days)."""
    if window is None or window.first == dt.date.min:
        return search_filter
    base = search_filter or SearchFilter()
    first = window.first.isoformat()
    if base.published_from and base.published_from >= first:
        return base
    return dataclasses.replace(base, published_from=first)


def within(window: DaySpan | None, search_filter: SearchFilter | None) -> DaySpan | None:
    """The question's window narrowed by the --since/--until days of a search filter (either may be absent)."""
    first = window.first if window else dt.date.min
    last = window.last if window else dt.date.max
    if search_filter is not None and search_filter.published_from:
        first = max(first, dt.date.fromisoformat(search_filter.published_from[:10]))
    if search_filter is not None and search_filter.published_to:
        last = min(last, dt.date.fromisoformat(search_filter.published_to[:10]))
    if (first, last) == (dt.date.min, dt.date.max):
        return None
    return DaySpan(first, last)
