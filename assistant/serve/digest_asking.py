"""Whether a chat question asks what is new ("Was ist neu seit gestern?", "What's new since my last visit?"), and
since when: a publication day (a day or a duration), or the user's last visit (then what was indexed since).

The day as typed: "seit dem 11.3.2024", "seit dem 1. Juni" (the latest one up to today), "seit 3 Tagen", "2w".

Only a question that is nothing but that is taken: "Was ist neu seit dem Brand in Moria?" names a topic, not a
day, and goes to the ordinary answer. The same words for the day are what the "Neu seit …" box takes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.dates import parse_typed_day, scan_times

_ASKS = re.compile(
    r"^\s*(?:und\s+|and\s+)?(?:"
    r"was\s+(?:ist|gibt(?:'s|\s+es)|gab\s+es)\s+(?:denn\s+|alles\s+)?(?:neu|neues|an\s+neuem)"
    r"|(?:gibt\s+es\s+)?(?:etwas\s+)?(?:neues|neuigkeiten)"
    r"|what(?:'s|\s+is)\s+new|anything\s+new|any\s+news"
    r")(?:\s+(?:seit|since)\s+(?P<when>.+?))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_VISIT = re.compile(
    r"(?:meinem|dem|unserem)?\s*(?:letzten|vorigen)\s+(?:besuch|mal)|(?:my\s+)?last\s+(?:visit|time)|letzter\s+besuch",
    re.IGNORECASE,
)
_AGO = re.compile(
    r"(?:den\s+letzten\s+|the\s+last\s+|the\s+past\s+)?(\d{1,3}|einem|einer|eine|einen|ein|a|an|one|zwei|two|drei|three)"
    r"\s*(tagen|tage|tag|days|day|d|wochen|woche|weeks|week|w|stunden|stunde|hours|hour|h)",
    re.IGNORECASE,
)
_WORDS = {"einem": 1, "einer": 1, "eine": 1, "einen": 1, "ein": 1, "a": 1, "an": 1, "one": 1}
_WORDS |= {"zwei": 2, "two": 2, "drei": 3, "three": 3}
_LEADING = re.compile(r"^(?:(?:dem|den|the|am|on)\s+)", re.IGNORECASE)


@dataclass(frozen=True)
class Since:
    """Where a digest starts: an ISO publication day; `visit` is the last visit's time when asked since then (the
    digest is then of the articles indexed after it, whatever their day)."""

    day: str
    visit: float | None = None


@dataclass(frozen=True)
class DigestAsk:
    """A question that asks what is new: from `since` (None: since the last visit, and none is known)."""

    since: Since | None
    by_visit: bool


def digest_ask(question: str, today: Callable[[], dt.date], last_visit: Callable[[], float | None]) -> DigestAsk | None:
    """The digest a chat question asks for, or None when it asks something else (also when its day is not
    understood: then it is an ordinary question). "Was ist neu?" alone means since the last visit. `today` and
    `last_visit` are asked only when the question is one (an ordinary question costs nothing here)."""
    match = _ASKS.match(question)
    if match is None:
        return None
    when = match["when"]
    if when is None or _VISIT.fullmatch(when.strip()):
        return DigestAsk(since_visit(last_visit()), by_visit=True)
    day = since_day(when, today())
    return DigestAsk(Since(day), by_visit=False) if day else None


def since_visit(last_visit: float | None) -> Since | None:
    """Since the last visit: what was indexed after it (`day` is that visit's day, for what is shown)."""
    if last_visit is None:
        return None
    return Since(dt.datetime.fromtimestamp(last_visit).date().isoformat(), last_visit)


def is_visit(text: str) -> bool:
    return bool(_VISIT.fullmatch(text.strip()))


def since_day(text: str, today: dt.date) -> str | None:
    """A day or duration as a person types it, as an ISO day; None when it is not one. The day's words are read by
    the one scanner of time words (`dates.scan_times`); a day without a year is the latest such day up to today
    ("1. Juni" in March is last year's), a span ("Mitte März", "letzter Woche") counts from its first day."""
    text = _LEADING.sub("", text.strip().rstrip("?!").strip())
    lowered = text.lower()
    if day := parse_typed_day(lowered.rstrip(".")):
        return day
    if m := _AGO.fullmatch(lowered.rstrip(".")):
        count = int(m[1]) if m[1].isdigit() else _WORDS[m[1]]
        hours = count * {"t": 24, "d": 24, "w": 24 * 7, "s": 1, "h": 1}[m[2][0]]
        return (today - dt.timedelta(hours=hours)).isoformat()  # as `assistant digest --since 36h` counts
    for typed in (text, _CAPITALISED.sub(lambda w: w[0].upper(), text)):  # "seit dem 1. juni" as "1. Juni"
        found = scan_times(typed, today)
        if len(found) == 1 and found[0].span is not None and (found[0].start, found[0].end) == (0, len(typed)):
            return _up_to(found[0].span.first, today)
    return None


_CAPITALISED = re.compile(r"\b[^\W\d_]")


def _up_to(day: dt.date, today: dt.date) -> str | None:
    """`day`, or the same day a year earlier when it lies after today (a digest starts in the past)."""
    if day <= today:
        return day.isoformat()
    try:
        return day.replace(year=day.year - 1).isoformat()
    except ValueError:  # 29 February
        return None
