"""Days as counted numbers (``date.toordinal``): the clustering's time decay needs differences in days, which the
store's ``published_day`` (``20240318``) does not give across months."""

from __future__ import annotations

import datetime as dt

from assistant.dates import day_number


def ordinal(published: str | None) -> int | None:
    """``2024-03-18`` -> its day number since year 1; None when undated."""
    number = day_number(published)
    if number is None:
        return None
    try:
        return dt.date(number // 10000, number // 100 % 100, number % 100).toordinal()
    except ValueError:
        return None


def iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def store_day(day: int) -> int:
    """The store's ``published_day`` of an ordinal day."""
    date = dt.date.fromordinal(day)
    return date.year * 10000 + date.month * 100 + date.day
