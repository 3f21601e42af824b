"""What a caller may send: the checks shared by the library, the CLI, the chat and its HTTP API.

Input from the network arrives as JSON, so every check takes ``object`` and either returns a clean value or
raises `InvalidInputError` with a message that says what to send instead. Limits come from `Settings`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from assistant.dates import parse_typed_day
from assistant.decoding import has_control_character, has_lone_surrogate
from assistant.errors import EmptyQuestionError, InvalidInputError
from assistant.question import SearchFilter

MAX_SOURCES = 100
"""Source names per filter: more than any index here names, few enough to keep the store's query small."""
MAX_SOURCE_CHARS = 200
DATE_LABELS = ("Veröffentlicht ab", "Veröffentlicht bis")


def check_question(question: object, max_chars: int) -> str:
    """The question without surrounding space; refused when not text, empty (no letter or digit), or longer than
    `max_chars`."""
    if not isinstance(question, str):
        raise InvalidInputError(f"the question must be text, got {type(question).__name__}")
    text = question.strip()
    if not any(c.isalnum() for c in text):  # "", "  ?  ", "..." ask nothing
        raise EmptyQuestionError("the question is empty: ask something about the indexed articles")
    if len(text) > max_chars:
        raise InvalidInputError(
            f"the question is {len(text):,} characters long; at most {max_chars:,} are allowed "
            "(ASSISTANT_MAX_QUESTION_CHARS). Ask a shorter question."
        )
    return text


def check_k(k: object, maximum: int) -> int | None:
    """How many passages to retrieve: a whole number from 1 to `maximum`, or None for the default."""
    if k is None:
        return None
    if isinstance(k, float) and math.isfinite(k) and k.is_integer():
        k = int(k)  # sliders and JSON numbers may send 3.0
    if isinstance(k, bool) or not isinstance(k, int):
        raise InvalidInputError(f"k must be a whole number from 1 to {maximum}, got {_shown(k)}")
    if not 1 <= k <= maximum:
        raise InvalidInputError(
            f"k must be from 1 to {maximum} (ASSISTANT_MAX_TOP_K), got {_shown(k)}: it is how many passages "
            "a question retrieves"
        )
    return k


def check_sources(sources: object) -> tuple[str, ...]:
    """Source names to filter by: a list of strings (empty entries dropped), never one string split up."""
    if sources is None:
        return ()
    if isinstance(sources, str) or not isinstance(sources, Sequence):
        raise InvalidInputError(f'sources must be a list of source names, e.g. ["Reuters"], got {_shown(sources)}')
    if len(sources) > MAX_SOURCES:
        raise InvalidInputError(f"at most {MAX_SOURCES} sources may be given, got {len(sources)}")
    names = []
    for name in sources:
        if not isinstance(name, str) or len(name) > MAX_SOURCE_CHARS:
            raise InvalidInputError(
                f"each source must be a name of at most {MAX_SOURCE_CHARS} characters, got {_shown(name)}"
            )
        if cleaned := check_source_name(name):
            names.append(cleaned)
    return tuple(names)


def check_source_name(name: str) -> str:
    """One source name as stored names are (stripped, NFC); refused when it holds what no stored name can (a
    lone surrogate, a control character), so it never reaches the store's query as a broken where clause."""
    if has_lone_surrogate(name) or has_control_character(name):
        raise InvalidInputError(
            f"a source name must be printable text (no control characters, no lone surrogates), got {_shown(name)}"
        )
    return unicodedata.normalize("NFC", name.strip())


def parse_day(value: object, label: str) -> str | None:
    """A typed day (`dates.parse_typed_day`) as ISO, or nothing; a typo gets a message, not zero results."""
    text = (value or "").strip() if isinstance(value, str) or value is None else _shown(value)
    if not text:
        return None
    day = parse_typed_day(text)
    if day is None:
        raise InvalidInputError(
            f"„{label}“: „{_cut(text)}“ ist kein Datum. Bitte JJJJ-MM-TT eingeben (z. B. 2024-03-01) oder TT.MM.JJJJ."
        )
    return day


def search_filter_from(
    sources: object, published_from: object, published_to: object, labels: tuple[str, str] = DATE_LABELS
) -> SearchFilter | None:
    """A `SearchFilter` from sources and dates as a caller sent them (None when nothing is filtered)."""
    day_from = parse_day(published_from, labels[0])
    day_to = parse_day(published_to, labels[1])
    if day_from and day_to and day_from > day_to:
        raise InvalidInputError(f"Der Zeitraum ist leer: {day_from} liegt nach {day_to}.")
    chosen = check_sources(sources)
    if not (chosen or day_from or day_to):
        return None
    return SearchFilter(sources=chosen, published_from=day_from, published_to=day_to)


def _shown(value: object) -> str:
    """A short picture of a bad value for a message (a 10 MB value must not come back in the error)."""
    try:
        return _cut(repr(value))
    except ValueError:  # an int too long to print
        return "a number too large to show"


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
