"""The one home of dates: what an article's metadata says, what a person types, and the day number the store
filters on.

Two parsers with different jobs. `parse_published` reads the many ways articles write their date (it must stay
exactly as it is: the date is part of an article's content hash, so a change would re-embed every article).
`parse_typed_day` reads what a person types into the CLI or the chat; both accept the same formats, because
both go through it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

__all__ = ["day_number", "parse_published", "parse_typed_day"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jänner", "january", "jan"),
            ("februar", "feber", "february", "feb", "febr"),
            ("märz", "maerz", "march", "mär", "mar"),
            ("april", "apr"),
            ("mai", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("dezember", "december", "dez", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b")

_TYPED_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TYPED_GERMAN = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")


# --------------------------------------------------------------------------- article metadata


def parse_published(value: object) -> str | None:
    """An ISO ``YYYY-MM-DD`` date from a date, datetime or common date string; None if not a date.

    A datetime keeps the calendar date as written (no conversion to UTC), as the newsroom dated it.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return _date_from_match(text) or _date_from_rfc2822(text)


def _date_from_match(text: str) -> str | None:
    """Try ISO, German ``5.3.2024``, ``5. März 2024`` and ``March 5, 2024`` at the start of `text`."""
    if m := _ISO_DATE.match(text):
        return _iso(m[1], m[2], m[3])
    if m := _GERMAN_DATE.match(text):
        return _iso(m[3], m[2], m[1])
    if (m := _DAY_MONTH_YEAR.match(text)) and m[2].lower() in _MONTHS:
        return _iso(m[3], _MONTHS[m[2].lower()], m[1])
    if (m := _MONTH_DAY_YEAR.match(text)) and m[1].lower() in _MONTHS:
        return _iso(m[3], _MONTHS[m[1].lower()], m[2])
    return None


def _date_from_rfc2822(text: str) -> str | None:
    """RSS-style dates (``Tue, 05 Mar 2024 10:00:00 +0100``)."""
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _iso(year: str | int, month: str | int, day: str | int) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------------- what a person types


def parse_typed_day(text: str) -> str | None:
    """A day a person typed, ISO ``2024-03-01`` or German ``1.3.2024`` / ``01. 03. 2024``, as ISO
    ``YYYY-MM-DD``; None when it is not one.

    Stricter than `parse_published`: the whole text must be the day, so ``März 2024`` or ``2024-03-01 bis``
    get a message instead of a filter the person did not mean.
    """
    text = text.strip()
    if m := _TYPED_ISO.fullmatch(text):
        return _iso(m[1], m[2], m[3])
    if m := _TYPED_GERMAN.fullmatch(text):
        return _iso(m[3], m[2], m[1])
    return None


# --------------------------------------------------------------------------- the store's day number


def day_number(published: str | dt.date | None) -> int | None:
    """``2024-10-18`` (or a date) -> ``20241018``, so date ranges filter inside the store; else None."""
    if isinstance(published, dt.date):
        published = published.isoformat()
    if not published or len(published) < 10:
        return None
    digits = published[:10].replace("-", "")
    return int(digits) if digits.isdigit() and len(digits) == 8 else None


# --------------------------------------------------------------------------- days and times named in a text

_MONTH_NAMES = (
    r"januar|jänner|februar|feber|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    r"january|february|march|may|june|july|october|december|"
    r"jan|feb|mär|apr|jun|jul|aug|sept?|okt|oct|nov|dez|dec"
)
_WEEKDAYS = (
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_NUMBER_WORDS = r"eins|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|halb|viertel"
_DAY_PATTERNS = [
    rf"\d{{1,2}}\.\s*(?:{_MONTH_NAMES})\.?(?:\s+\d{{4}})?",  # 15. Februar (2020)
    r"\d{1,2}\.\s?\d{1,2}\.(?:\s?\d{2,4})?",  # 22.06.2020, 22.6.
    r"\d{4}-\d{2}-\d{2}",
    rf"(?:{_MONTH_NAMES})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?",  # June 15(, 2020)
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_NAMES})(?:\s+\d{{4}})?",  # 15 June 2020
    rf"(?:{_MONTH_NAMES})\s+(?:19|20)\d\d",  # September 2018
    rf"(?:(?:am|on|seit|bis|ab)\s+)?(?:{_WEEKDAYS})(?:abend|morgen|mittag|nachmittag|vormittag)?",
    rf"(?:um\s+)?(?:kurz\s+)?(?:nach|vor)?\s*(?:\d{{1,2}}(?::\d{{2}})?|{_NUMBER_WORDS})\s+uhr(?:\s+(?:morgens|abends|früh))?",
    r"\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am|pm)\b",
    r"\d{1,2}:\d{2}",
    r"(?:(?:im|in|seit|bis|ab|since|until|in)\s+(?:dem\s+)?(?:jahr\s+)?)(?:19|20)\d\d",  # im Jahr 2018, seit 2018
    r"(?:gestern|vorgestern|heute|morgen|yesterday|today|tomorrow)",
    rf"(?:anfang|mitte|ende|early|mid|late)\s+(?:{_MONTH_NAMES})",
    r"(?:1[6-9]|20)\d\d(?:er(?:\s+jahren?)?)?",  # a year on its own (1879; 1553 is likelier a count), a decade
    r"\d{1,2}\.\s+jahrhunderts?",
]
_DAY_SPAN = re.compile(r"\b(?:" + "|".join(_DAY_PATTERNS) + r")\b", re.IGNORECASE)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` names a day, a month or year, or a time of day ("am 15. Februar", "September 2018", "um
    kurz nach zwei Uhr morgens", "on Monday"): (start, end) offsets, in order, not overlapping. What the
    answerer looks for when a question asks "wann" or "an welchem Tag"."""
    return [(m.start(), m.end()) for m in _DAY_SPAN.finditer(text) if m.group().strip()]
