"""The time window of the question being answered: set by the façade around each answering step, read where the
answerer's sentences are chosen (a quote comes from a sentence of the asked days when one is there)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from assistant.dates import DaySpan
from assistant.indexing.records import SentenceRecord

_WINDOW: ContextVar[DaySpan | None] = ContextVar("asked_window", default=None)
"""The window the question being answered asks about: the answerer's sentences are kept inside it."""


@contextmanager
def asked_window(window: DaySpan | None) -> Iterator[None]:
    """While answering a question with a time window, quotes come from sentences of that window."""
    token = _WINDOW.set(window)
    try:
        yield
    finally:
        _WINDOW.reset(token)


def asking_window() -> DaySpan | None:
    """The window of the question being answered in this thread, if it names one."""
    return _WINDOW.get()


def sentences_in_window(sentences: Sequence[SentenceRecord]) -> list[SentenceRecord]:
    """The sentences of the current question's window (all of them when it has none, or none of them is in it)."""
    window = _WINDOW.get()
    if window is None:
        return list(sentences)
    inside = [s for s in sentences if s.day is not None and overlaps(s.day, window)]
    return inside or list(sentences)


def overlaps(day: tuple[int, int], window: DaySpan) -> bool:
    """Whether a sentence's day (or span, as day numbers) shares a day with `window`."""
    first, last = window.numbers()
    return day[0] <= last and day[1] >= first
