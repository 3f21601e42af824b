"""One question as every stage sees it: made once by the façade, then handed through retrieval and answering.

Each stage used to re-derive what it needed from the text (the language guessed four times per question, the
stems twice); a `Question` carries them, so no stage guesses again and all of them agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from assistant.dates import day_number
from assistant.errors import ConfigurationError

AnswerKind = Literal["day", "number", "name", "place", "cause", "choice", "open"]
"""The kind of answer a question asks for: a day or time, a number or amount, a person or organisation, a place,
a cause, a choice among named things, or anything else (open)."""
ANSWER_KINDS: tuple[AnswerKind, ...] = ("day", "number", "name", "place", "cause", "choice", "open")


@dataclass(frozen=True)
class SearchFilter:
    """Restricts retrieval to some sources and a publication date range (inclusive), inside the store."""

    sources: tuple[str, ...] = ()
    published_from: str | None = None
    published_to: str | None = None

    def __post_init__(self) -> None:
        """Source names checked and cleaned as every way in does it (`validation.check_sources`): a filter built
        in Python is refused with `InvalidInputError` like the chat's and the CLI's."""
        from assistant.validation import check_sources  # validation builds filters from input: imported late

        object.__setattr__(self, "sources", check_sources(self.sources))

    def to_where(self) -> dict[str, object] | None:
        """The Chroma ``where`` clause, or None when nothing is filtered."""
        clauses: list[dict[str, object]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.published_from:
            clauses.append({"published_day": {"$gte": _day(self.published_from)}})
        if self.published_to:
            clauses.append({"published_day": {"$lte": _day(self.published_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _day(value: str | date) -> int:
    """The store's day number of a filter bound; a bound that is no day is a programming error, not input."""
    day = day_number(value if isinstance(value, date) else str(value).strip())
    if day is None:
        raise ConfigurationError(f"a date filter must be YYYY-MM-DD, got {value!r}")
    return day


@dataclass(frozen=True)
class Question:
    """A checked question and what is read from it once: its language, its stems (as the keyword index makes
    them), the kind of answer it asks for, the filter and how many passages to retrieve (None: the default).

    Made by `assistant.answering.asking.make_question` (the stems and the kind come from stages the kernel does
    not import)."""

    text: str
    language: str
    stems: tuple[str, ...]
    kind: AnswerKind = "open"
    search_filter: SearchFilter | None = None
    k: int | None = None
