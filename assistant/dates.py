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
from dataclasses import dataclass

__all__ = [
    "DaySpan",
    "TimeMention",
    "date_spans",
    "day_number",
    "find_time_expressions",
    "parse_published",
    "parse_typed_day",
    "scan_times",
    "sentence_day",
]

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
    if _foreign_digits(text):
        return None
    return _date_from_match(text) or _date_from_rfc2822(text)


def _foreign_digits(text: str) -> bool:
    """Whether `text` holds digits other than 0-9 (full-width, Arabic-Indic, …): `re`'s ``\\d`` and `int` take
    them, but no documented date form has them."""
    return any(char.isdecimal() and not char.isascii() for char in text)


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
    if _foreign_digits(text):
        return None
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
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) == 8 else None


# --------------------------------------------------------------------------- time expressions in text
#
# What a sentence or a question says about when: "am 17. Juni", "17.6.2020", "am Mittwoch", "gestern",
# "vor zwei Wochen", "vergangene Woche", "Mitte März", "im Juni 2020", "2020" (German and English), each
# resolved against an anchor day (the article's publication day, or "now" for a question). News writes
# its events in these words, so a sentence's own day comes from them (`sentence_day`), a question's window
# (`question_time` in `assistant.timeline.questions`) too, and the answer to "wann" (`date_spans`): all through
# the one scanner, `scan_times`.


@dataclass(frozen=True)
class DaySpan:
    """The days a sentence or question speaks about, both ends included (one day: ``first == last``)."""

    first: dt.date
    last: dt.date

    @property
    def is_day(self) -> bool:
        return self.first == self.last

    def numbers(self) -> tuple[int, int]:
        """(first, last) as the store's day numbers (``20200617``)."""
        return _number(self.first), _number(self.last)

    def to_json(self) -> str | dict[str, str]:
        """``"YYYY-MM-DD"`` for a day, ``{"start", "end"}`` for a span (the timeline's JSON shape)."""
        if self.is_day:
            return self.first.isoformat()
        return {"start": self.first.isoformat(), "end": self.last.isoformat()}

    def iso(self) -> str:
        """``"YYYY-MM-DD"`` for a day, ``"YYYY-MM-DD/YYYY-MM-DD"`` for a span (ISO 8601's interval): a quote's day."""
        return self.first.isoformat() if self.is_day else f"{self.first.isoformat()}/{self.last.isoformat()}"

    def shown(self) -> str:
        """As people read it: ``"2023-09-01 – 2023-11-30"`` for a span."""
        return self.first.isoformat() if self.is_day else f"{self.first.isoformat()} – {self.last.isoformat()}"

    @classmethod
    def day(cls, day: dt.date) -> DaySpan:
        return cls(day, day)

    @classmethod
    def from_numbers(cls, first: int, last: int) -> DaySpan:
        return cls(_from_number(first), _from_number(last))


@dataclass(frozen=True)
class TimeMention:
    """One time expression found in a text: where it stands, what it means, and how it was used.

    `kind` is ``day``, ``week``, ``month``, ``year``, ``range`` (a stretch such as "in den letzten drei Tagen"),
    or one that names no days: ``time`` (of day: "um kurz nach zwei Uhr"), ``decade`` ("in den 1990er Jahren"),
    ``century``, ``number_year`` (a year standing alone: "2019", as likely a count). `span` is the days it means,
    resolved against the reference day; None without one, or for a kind that names no days. `relation` is ``at``,
    ``since`` (from then on) or ``until``.
    """

    start: int
    end: int
    span: DaySpan | None
    kind: str
    relation: str = "at"


def _number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _from_number(number: int) -> dt.date:
    return dt.date(number // 10000, number // 100 % 100, number % 100)


_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("Januar", "Jänner", "January", "Jan."),
            ("Februar", "February", "Feb."),
            ("März", "March"),
            ("April", "Apr."),
            ("Mai", "May"),
            ("Juni", "June"),
            ("Juli", "July"),
            ("August", "Aug."),
            ("September", "Sept.", "Sep."),
            ("Oktober", "October", "Okt.", "Oct."),
            ("November", "Nov."),
            ("Dezember", "December", "Dez.", "Dec."),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("Montag", "Monday"),
            ("Dienstag", "Tuesday"),
            ("Mittwoch", "Wednesday"),
            ("Donnerstag", "Thursday"),
            ("Freitag", "Friday"),
            ("Samstag", "Sonnabend", "Saturday"),
            ("Sonntag", "Sunday"),
        )
    )
    for name in names
}
_NUMBER_WORDS = {
    "ein": 1, "einem": 1, "einer": 1, "eine": 1, "einen": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5, "sechs": 6,
    "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9, "zehn": 10, "ten": 10,
    "elf": 11, "zwölf": 12, "twelve": 12, "vierzehn": 14, "fourteen": 14, "einigen": 3, "wenigen": 3,
    "few": 3, "paar": 3, "several": 3, "mehreren": 3,
}  # fmt: skip
_UNITS = {
    "tag": "day", "tage": "day", "tagen": "day", "day": "day", "days": "day",
    "woche": "week", "wochen": "week", "week": "week", "weeks": "week",
    "monat": "month", "monate": "month", "monaten": "month", "month": "month", "months": "month",
    "jahr": "year", "jahre": "year", "jahren": "year", "year": "year", "years": "year",
}  # fmt: skip

_MONTH = "(?P<month>" + "|".join(sorted((re.escape(m) for m in _MONTH_NAMES), key=len, reverse=True)) + ")"
_WEEKDAY = "(?P<weekday>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + ")"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_COUNT = r"(?P<count>\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_UNIT = r"(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_PREFIXED_YEAR = "|".join(
    rf"(?<=\b{word} )"
    for word in (
        "[Ii]m Jahr", "[Ii]m Jahre", "[Ii]n", "[Ii]m", "[Ss]eit", "[Bb]is", "[Ss]ince", "[Uu]ntil", "[Ee]nde",
        "[Aa]nfang", "[Oo]f",
    )
)  # fmt: skip
_WHICH_DAY = r"(?i:kommenden|nächsten|vergangenen|letzten|vorigen|diesen|diesem|next|last|this|coming|past)"
_DAY_PART = r"(?:abend|morgen|mittag|nachmittag|vormittag|nacht|früh)?(?:\s+(?:morning|evening|night|afternoon))?"
_WHICH_UNIT = (
    r"vergangene[nrs]?|letzte[nrs]?|vorige[nrs]?|diese[nrs]?|kommende[nrs]?|nächste[nrs]?"
    r"|last|past|previous|this|next|coming"
)
_UNIT_WORD = r"Woche|Wochenende|Monat|Monats|Jahr|Jahres|week|weekend|month|year"
_MONTH_PART = r"Anfang|Mitte|Ende|[Ee]arly|[Mm]id|[Ll]ate|[Ee]nd\s+of|[Bb]eginning\s+of"
_SEASONS = {
    "Frühjahr": 3, "Frühling": 3, "Spring": 3, "spring": 3,
    "Sommer": 6, "Summer": 6, "summer": 6,
    "Herbst": 9, "Autumn": 9, "autumn": 9, "Fall": 9, "fall": 9,
    "Winter": 12, "winter": 12,
}  # fmt: skip
"""A season's first month (meteorological seasons: "Herbst 2023" is September to November, "Winter 2020/21"
December 2020 to February 2021)."""
_SEASON = "|".join(sorted(_SEASONS, key=len, reverse=True))

# Case matters: month and weekday names are capitalised in both languages ("may" is a verb, "Mai" a month).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    ("numeric", re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.(?:\s?(?P<y>(?:19|20)?\d\d)\b)?(?![\d])")),
    (
        "day_month",
        re.compile(
            r"(?<![\d.])(?P<d>\d{1,2})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+" + _YEAR + r")?(?!\w)"
        ),
    ),
    ("month_day", re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?!\.\d)(?:,?\s+" + _YEAR + r")?")),
    ("part_month", re.compile(rf"(?P<part>{_MONTH_PART})[\s-]+" + _MONTH + r"(?:\s+" + _YEAR + r")?(?!\w)")),
    ("month", re.compile(r"(?<![\w.])" + _MONTH + r"(?:\s+" + _YEAR + r")?(?![\w])")),
    (
        "season",
        re.compile(rf"\b(?P<season>{_SEASON})\s+(?:des\s+Jahres\s+|of\s+)?" + _YEAR + r"(?:/(?P<next>\d\d))?\b"),
    ),
    ("year", re.compile(f"(?:{_PREFIXED_YEAR})" + _YEAR + r"\b(?![.,]\d)")),
    ("weekday", re.compile(rf"(?:(?P<which>{_WHICH_DAY})\s+)?" + _WEEKDAY + _DAY_PART + r"(?!\w)")),
    (
        "relative_day",
        re.compile(
            r"\b(?P<rel>(?i:vorgestern|gestern|heute|übermorgen|yesterday|today|tomorrow))\b"
            r"|(?<![Aa]m )(?<![Hh]eute )(?<![Gg]estern )\b(?P<tomorrow>morgen)\b"
        ),
    ),
    ("ago", re.compile(r"\bvor\s+" + _COUNT + r"\s+" + _UNIT + r"\b", re.IGNORECASE)),
    ("ago", re.compile(r"\b" + _COUNT + r"\s+" + _UNIT + r"\s+ago\b", re.IGNORECASE)),
    (
        "last_n",
        re.compile(
            r"\b(?:in\s+den\s+(?:letzten|vergangenen)|(?:in|over|during)\s+the\s+(?:last|past))\s+"
            + _COUNT
            + r"\s+"
            + _UNIT
            + r"\b",
            re.IGNORECASE,
        ),
    ),
    ("this_unit", re.compile(rf"\b(?P<which>{_WHICH_UNIT})\s+(?P<unit>{_UNIT_WORD})(?!\w)", re.IGNORECASE)),
]
_DAY_WORDS = r"eins|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|halb|viertel"
_PATTERNS += [
    (
        "time",
        re.compile(
            rf"\b(?:um\s+)?(?:kurz\s+)?(?:nach|vor)?\s*(?:\d{{1,2}}(?::\d{{2}})?|{_DAY_WORDS})\s+uhr"
            r"(?:\s+(?:morgens|abends|früh))?\b",
            re.IGNORECASE,
        ),
    ),
    ("time", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am|pm)\b", re.IGNORECASE)),
    ("time", re.compile(r"\b\d{1,2}:\d{2}\b")),
    ("decade", re.compile(r"\b(?:1[6-9]|20)\d0er(?:\s+[Jj]ahren?)?\b")),
    ("century", re.compile(r"\b\d{1,2}\.\s+[Jj]ahrhunderts?\b")),
    ("number_year", re.compile(r"\b(?:1[6-9]|20)\d\d\b")),
]
"""Forms that name no days (a time of day, a decade, a century, a year standing alone, which is as often a
count): an answer to "wann" may be one, a sentence is not dated by them."""
_DAYLESS = frozenset({"time", "decade", "century", "number_year"})

_NOT_A_DAY = re.compile(r"(?:Welt|Bild|Tagesspiegel|FAZ|Frankfurter Allgemeine)\s+am\s+$")
_FUTURE = re.compile(r"\b(?:wird|werden|soll|sollen|will|shall|plant|planen|geplant|would|is\s+due)\b")
_CLAUSE_BREAK = re.compile(r"[,;:\"“”„«»–—()]")
"""What ends the clause before a weekday: a tense word behind it belongs to another clause."""
_PAST = re.compile(
    r"\b(?:hat|hatte|hatten|haben|war|waren|wurde|wurden|ist|sind|was|were|had|has|have|did|sagte|said)\b"
)
_WEEKS_BEFORE = re.compile(
    r"\s+(?:vor\s+"
    + _COUNT
    + r"\s+Wochen?|(?:der\s+)?(?:vergangenen|vergangener|letzter|letzten|vorigen|voriger)\s+Woche"
    r"|(?:of\s+)?last\s+week)\b",
    re.IGNORECASE,
)
_MAY_AS_MONTH = re.compile(r"\b(?:in|of|since|until|early|late|mid)\s+$", re.IGNORECASE)
_LAST = ("vergangene", "letzte", "vorige", "last", "past", "previous")
_NEXT = ("kommende", "nächste", "next", "coming")


def scan_times(text: str, anchor: dt.date | None = None) -> list[TimeMention]:
    """Every time expression in `text`, in order, not overlapping (the longest wins), each with the days it means
    resolved against `anchor` ("am Mittwoch", "vor zwei Wochen", "Mitte März" need it): the one scanner of time
    words, for dating sentences and questions and for marking the answer to "wann". Without `anchor` every span
    is None; whether words are a time expression does not depend on it ("Welt am Sonntag" never is)."""
    found: list[TimeMention] = []
    taken: list[tuple[int, int]] = []
    candidates: list[tuple[int, int, int, str, re.Match[str]]] = []
    for order, (kind, pattern) in enumerate(_PATTERNS):
        for match in pattern.finditer(text):
            if match.end() > match.start():
                candidates.append((match.start(), -(match.end() - match.start()), order, kind, match))
    for start, _, _, kind, match in sorted(candidates, key=lambda c: c[:3]):
        if any(start < end and match.end() > begin for begin, end in taken):
            continue
        mention = _resolve(kind, match, text, anchor)
        if mention is not None:
            found.append(mention)
            taken.append((match.start(), match.end()))
    return found


def find_time_expressions(text: str, anchor: dt.date) -> list[TimeMention]:
    """The time expressions of `text` that name days, resolved against `anchor` (`scan_times`' resolved ones)."""
    return [m for m in scan_times(text, anchor) if m.span is not None]


_PLACEHOLDER = dt.date(2000, 6, 15)
"""Resolved against when no reference day is given: only to learn whether words are a time expression."""


def _resolve(kind: str, m: re.Match[str], text: str, anchor: dt.date | None) -> TimeMention | None:
    if kind in _DAYLESS:
        return TimeMention(m.start(), m.end(), None, kind, _relation_before(text, m.start()))
    try:
        span_kind = _RESOLVERS[kind](m, text, anchor or _PLACEHOLDER)
    except (ValueError, OverflowError):
        return None
    if span_kind is None:
        return None
    span, what = span_kind
    return TimeMention(m.start(), m.end(), span if anchor else None, what, _relation_before(text, m.start()))


_RELATION_BEFORE = re.compile(
    r"(?P<since>\b(?:[Ss]eit|[Aa]b|[Ss]ince|[Ff]rom)(?:\s+(?:dem|den|der|Anfang|Mitte|Ende|am))?\s*$)|"
    r"(?P<until>\b(?:[Bb]is|[Uu]ntil|[Tt]ill)(?:\s+(?:zum|zur|Anfang|Mitte|Ende|am))?\s*$)"
)


def _relation_before(text: str, start: int) -> str:
    m = _RELATION_BEFORE.search(text[max(0, start - 20) : start])
    if m is None:
        return "at"
    return "since" if m["since"] else "until"


def _near_year(anchor: dt.date, month: int, day: int | None = None) -> int:
    """The year a date without one means: the latest such date at most about two months after `anchor`."""
    for year in (anchor.year + 1, anchor.year, anchor.year - 1):
        candidate = dt.date(year, month, min(day or 1, 28))
        if candidate <= anchor + dt.timedelta(days=62):
            return year
    return anchor.year - 1


def _year_of(raw: str | None, anchor: dt.date, month: int, day: int | None = None) -> int:
    if not raw:
        return _near_year(anchor, month, day)
    year = int(raw)
    return year + 2000 if year < 100 else year


def _month_span(year: int, month: int, part: str = "") -> DaySpan:
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    part = part.lower().split()[0] if part else ""
    first, last = {
        "anfang": (1, 10), "early": (1, 10), "beginning": (1, 10),
        "mitte": (11, 20), "mid": (11, 20),
        "ende": (21, last_day), "late": (21, last_day), "end": (21, last_day),
    }.get(part, (1, last_day))  # fmt: skip
    return DaySpan(dt.date(year, month, first), dt.date(year, month, last))


Resolved = tuple[DaySpan, str] | None


def _iso_date(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    return DaySpan.day(dt.date(int(m["y"]), int(m["m"]), int(m["d"]))), "day"


def _numeric(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    day, month = int(m["d"]), int(m["m"])
    if not 1 <= month <= 12:
        return None
    if m["y"] is None and text[m.end() : m.end() + 1].isdigit():
        return None
    return DaySpan.day(dt.date(_year_of(m["y"], anchor, month, day), month, day)), "day"


def _day_month(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    month, day = _MONTH_NAMES[m["month"]], int(m["d"])
    return DaySpan.day(dt.date(_year_of(m["year"], anchor, month, day), month, day)), "day"


def _part_month(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    month = _MONTH_NAMES[m["month"]]
    return _month_span(_year_of(m["year"], anchor, month), month, m["part"]), "month"


def _month(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    month = _MONTH_NAMES[m["month"]]
    if m["month"] == "May" and not m["year"] and _MAY_AS_MONTH.search(text[: m.start()]) is None:
        return None  # "May" opens English sentences as a verb
    return _month_span(_year_of(m["year"], anchor, month), month), "month"


def _season(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    year, month = int(m["year"]), _SEASONS[m["season"]]
    if month == 12 and m["next"] and int(m["next"]) != (year + 1) % 100:
        return None  # "Winter 2020/23" is no season
    last_month = dt.date(year + (month + 2) // 13, (month + 1) % 12 + 1, 1)  # the month after its third
    return DaySpan(dt.date(year, month, 1), _month_span(last_month.year, last_month.month).last), "season"


def _year(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    year = int(m["year"])
    return DaySpan(dt.date(year, 1, 1), dt.date(year, 12, 31)), "year"


def _weekday(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    if _NOT_A_DAY.search(text[max(0, m.start() - 30) : m.start()]):
        return None  # "Welt am Sonntag" is a newspaper
    wanted = _WEEKDAYS[m["weekday"]]
    which = (m["which"] or "").lower()
    back = (anchor.weekday() - wanted) % 7
    if which.startswith(("dies", "this")):  # "an diesem Mittwoch": the Wednesday of the article's week
        return DaySpan.day(anchor + dt.timedelta(days=wanted - anchor.weekday())), "day"
    before = _CLAUSE_BREAK.split(text[max(0, m.start() - 25) : m.start()])[-1]
    near = before + text[m.end() : m.end() + 8]  # the day's own clause ("werden“, so das am Dienstag …": not it)
    future = which.startswith(_NEXT) or (
        not which and _FUTURE.search(near) is not None and _PAST.search(text) is None and back != 0
    )
    if future:
        ahead = (wanted - anchor.weekday()) % 7 or 7
        return DaySpan.day(anchor + dt.timedelta(days=ahead)), "day"
    if which.startswith(_LAST) and back == 0:
        back = 7
    if weeks := _WEEKS_BEFORE.match(text, m.end()):  # "am Dienstag vor zwei Wochen", "Montag vergangener Woche"
        back = (anchor.weekday() - wanted) % 7 + 7 * (_count(weeks["count"]) if weeks["count"] else 1)
        back -= 7 if weeks["count"] is None and anchor.weekday() < wanted else 0
    return DaySpan.day(anchor - dt.timedelta(days=back)), "day"


_RELATIVE_DAYS = {
    "vorgestern": -2, "gestern": -1, "yesterday": -1, "heute": 0, "today": 0,
    "morgen": 1, "tomorrow": 1, "übermorgen": 2,
}  # fmt: skip


def is_still_to_come(expression: str) -> bool:
    """Whether a time expression, with the words just before it, names a day still to come ("am kommenden
    Mittwoch", "nächste Woche", "morgen", "next Monday"): no answer to "seit wann"."""
    morning = re.sub(r"(?i)\b(?:am|des|jeden)\s+morgen\b", " ", expression)  # "am Morgen" is a time of day
    words = {w.lower() for w in re.findall(r"\w+", morning)}
    return any(w.startswith(_NEXT) or _RELATIVE_DAYS.get(w, 0) > 0 for w in words)


def _relative_day(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    word = (m["rel"] or m["tomorrow"]).lower()
    return DaySpan.day(anchor + dt.timedelta(days=_RELATIVE_DAYS[word])), "day"


def _count(raw: str) -> int:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _shift(anchor: dt.date, unit: str, count: int) -> dt.date:
    """`anchor` moved `count` units back (a month back from 31 March is the end of February)."""
    if unit == "day":
        return anchor - dt.timedelta(days=count)
    if unit == "week":
        return anchor - dt.timedelta(days=7 * count)
    months = anchor.year * 12 + anchor.month - 1 - (count if unit == "month" else 12 * count)
    year, month = divmod(months, 12)
    return dt.date(year, month + 1, min(anchor.day, 28))


def _unit_span(day: dt.date, unit: str) -> tuple[DaySpan, str]:
    """The day, calendar week, month or year around `day`."""
    if unit == "day":
        return DaySpan.day(day), "day"
    if unit == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return DaySpan(monday, monday + dt.timedelta(days=6)), "week"
    if unit == "month":
        return _month_span(day.year, day.month), "month"
    return DaySpan(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)), "year"


def _ago(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    unit, count = _UNITS[m["unit"].lower()], _count(m["count"])
    if count > 400:
        return None
    return _unit_span(_shift(anchor, unit, count), unit)


def _last_n(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    unit, count = _UNITS[m["unit"].lower()], _count(m["count"])
    if count > 400:
        return None
    return DaySpan(_shift(anchor, unit, count), anchor), "range"


def _this_unit(m: re.Match[str], text: str, anchor: dt.date) -> Resolved:
    which, unit = m["which"].lower(), m["unit"].lower()
    step = -1 if which.startswith(_LAST) else 1 if which.startswith(_NEXT) else 0
    if unit in ("wochenende", "weekend"):
        saturday = anchor - dt.timedelta(days=(anchor.weekday() - 5) % 7)
        saturday += dt.timedelta(days=7 * max(step, 0))
        return DaySpan(saturday, saturday + dt.timedelta(days=1)), "week"
    unit = {"woche": "week", "monat": "month", "monats": "month", "jahr": "year", "jahres": "year"}.get(unit, unit)
    moved = _shift(anchor, unit, -step) if unit != "month" else _shift(anchor, "month", -step)
    return _unit_span(moved, unit)


_RESOLVERS = {
    "iso": _iso_date,
    "numeric": _numeric,
    "day_month": _day_month,
    "month_day": _day_month,
    "part_month": _part_month,
    "month": _month,
    "year": _year,
    "weekday": _weekday,
    "relative_day": _relative_day,
    "season": _season,
    "ago": _ago,
    "last_n": _last_n,
    "this_unit": _this_unit,
}


def sentence_day(sentence: str, published: str | dt.date | None) -> DaySpan | None:
    """The day (or span) a sentence of an article speaks about: its first day-exact expression, else its
    first week/month span, else the publication day. An article without a publication day still dates what it
    names with its year ("im August 2024"); its other sentences are undated (None)."""
    anchor = published if isinstance(published, dt.date) else _parse_anchor(published)
    if anchor is None:
        return _named_span(_absolute_mentions(sentence))
    chosen = _named_span(find_time_expressions(sentence, anchor))
    return chosen if chosen is not None else DaySpan.day(anchor)


def _named_span(mentions: list[TimeMention]) -> DaySpan | None:
    """The span a sentence's time expressions date it to: the first day-exact one, else the first week or month,
    else the first season or year; a range or an "until" says no single time."""
    usable = [m for m in mentions if m.kind != "range" and m.relation != "until"]
    exact = [m for m in usable if m.kind == "day"]
    near = [m for m in usable if m.kind in ("week", "month")] + [m for m in usable if m.kind in ("season", "year")]
    chosen = exact[0] if exact else near[0] if near else None
    return chosen.span if chosen is not None else None


_FAR_ANCHORS = (dt.date(1975, 2, 3), dt.date(2041, 9, 26))
"""Two reference days far apart (and on other weekdays): an expression that names the same span from both names
it without needing one ("am 17. Juni 2020", "Herbst 2023"), unlike "am Mittwoch" or "im Juni"."""


def _absolute_mentions(text: str) -> list[TimeMention]:
    """The time expressions of `text` whose span does not depend on the day it was written."""
    early, late = (find_time_expressions(text, anchor) for anchor in _FAR_ANCHORS)
    late_spans = {(m.start, m.end): m.span for m in late}
    return [m for m in early if late_spans.get((m.start, m.end)) == m.span]


def _parse_anchor(published: str | None) -> dt.date | None:
    if not published:
        return None
    try:
        return dt.date.fromisoformat(published[:10])
    except ValueError:
        return None


# --------------------------------------------------------------------------- days and times named in a text


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` names a day, a month or year, or a time of day ("am 15. Februar", "September 2018", "um
    kurz nach zwei Uhr morgens", "on Monday"): (start, end) offsets, in order, not overlapping (`scan_times`
    without a reference day; a weekday or a year with the word that leads it, "am Montag", "im Jahr 1979": the
    answer says them so). What the answerer looks for when a question asks "wann" or "an welchem Tag"."""
    spans = []
    for mention in scan_times(text):
        start, words = mention.start, text[mention.start : mention.end]
        lead = _WEEKDAY_LEAD if _WEEKDAY_WORD.match(words) else _YEAR_LEAD if _YEAR_WORD.fullmatch(words) else None
        if lead is not None and (m := lead.search(text, max(0, start - 20), start)):
            start = m.start()
        end = mention.end
        if mention.kind == "day" and (year := _OLD_YEAR.match(text, end)):  # "am 12. Mai 1705"
            end = year.end()
        spans.append((start, end))
    return _joined(spans)


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in order, one swallowed by the one before it dropped (a year taken into "12. Mai 1705")."""
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


_WEEKDAY_WORD = re.compile(_WEEKDAY)
_YEAR_WORD = re.compile(r"(?:19|20)\d\d")
_OLD_YEAR = re.compile(r",?\s+\d{4}\b")
_WEEKDAY_LEAD = re.compile(r"\b(?:am|on|seit|bis|ab)\s+$", re.IGNORECASE)
_YEAR_LEAD = re.compile(r"\b(?:im|in|seit|bis|ab|since|until)\s+(?:dem\s+)?(?:jahr\s+)?$", re.IGNORECASE)
