"""Dates: exactly which formats a person may type (the same in the CLI and the chat), which ones articles may
carry, and the store's day number."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from assistant import Article, Assistant, SearchFilter, Settings
from assistant.dates import day_number, is_still_to_come, parse_published, parse_typed_day
from assistant.errors import InvalidInputError
from assistant.validation import DATE_LABELS, search_filter_from
from tests.helpers import run_cli

TYPED = {
    "2024-03-01": "2024-03-01",
    "2024-3-1": "2024-03-01",
    " 2024-03-01 ": "2024-03-01",
    "1.3.2024": "2024-03-01",
    "01.03.2024": "2024-03-01",
    "1. 3. 2024": "2024-03-01",
    "29.2.2024": "2024-02-29",
}
"""Every format a person may type for a day, and the day it means."""
NOT_TYPED_DAYS = [
    "",
    "2024-02-30",  # no such day
    "30.2.2024",
    "1.3.24",  # two-digit years are ambiguous
    "2024/03/01",
    "03/01/2024",
    "20240301",
    "1. März 2024",  # words are for article metadata, not for the filter fields
    "März 2024",
    "2024-03-01 bis 2024-03-31",  # one day per field
    "1.  3.2024",
    "2024-03-01T10:00",
]


@pytest.mark.parametrize(("typed", "day"), TYPED.items())
def test_these_typed_days_are_accepted(typed: str, day: str) -> None:
    assert parse_typed_day(typed) == day


@pytest.mark.parametrize("typed", NOT_TYPED_DAYS)
def test_everything_else_typed_is_not_a_day(typed: str) -> None:
    assert parse_typed_day(typed) is None


@pytest.mark.parametrize("typed", [*TYPED, *NOT_TYPED_DAYS])
def test_the_chat_and_the_cli_accept_the_same_days(typed: str) -> None:
    """Both build their filter with `search_filter_from`; only the labels in the message differ."""
    outcomes = []
    for labels in (DATE_LABELS, ("--since", "--until")):
        try:
            outcomes.append(search_filter_from(None, typed, None, labels))
        except InvalidInputError as error:
            assert labels[0] in str(error) and "kein Datum" in str(error)
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]
    expected = TYPED.get(typed)
    if typed.strip() == "":
        assert outcomes[0] is None
    elif expected is None:
        assert outcomes[0] == "refused"
    else:
        assert outcomes[0] == SearchFilter(published_from=expected)


ARTICLE_DATES = {
    "2024-03-05": "2024-03-05",
    "2024-3-5": "2024-03-05",
    "2024-03-05T23:30:00-05:00": "2024-03-05",  # the day as the newsroom wrote it, not converted to UTC
    "2024-03-05 10:00": "2024-03-05",
    "05.03.2024": "2024-03-05",
    "5.3.2024, 10:00 Uhr": "2024-03-05",
    "5. März 2024": "2024-03-05",
    "5 Maerz 2024": "2024-03-05",
    "5. Jänner 2024": "2024-01-05",
    "March 5, 2024": "2024-03-05",
    "Mar. 5 2024": "2024-03-05",
    "Tue, 05 Mar 2024 10:00:00 +0100": "2024-03-05",
    "  2024-03-05  ": "2024-03-05",
    "2024-02-30": None,
    "irgendwann": None,
    "5. Blumenmonat 2024": None,
    "": None,
}
"""Dates as articles carry them (front matter, JSON fields, HTML meta tags) and the ISO day they give."""


@pytest.mark.parametrize(("written", "day"), ARTICLE_DATES.items())
def test_article_dates(written: str, day: str | None) -> None:
    assert parse_published(written) == day


def test_article_dates_from_date_objects_and_other_values() -> None:
    assert parse_published(dt.date(2024, 3, 5)) == "2024-03-05"
    assert parse_published(dt.datetime(2024, 3, 5, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) == "2024-03-05"
    for value in (None, 20240305, 2024.0, ["2024-03-05"], {"date": "2024-03-05"}):
        assert parse_published(value) is None


def test_the_store_s_day_number() -> None:
    assert day_number("2024-10-18") == 20241018
    assert day_number("2024-10-18T10:00:00") == 20241018
    assert day_number(dt.date(2024, 10, 18)) == 20241018
    for value in (None, "", "2024-1-8", "18.10.2024", "irgendwann"):
        assert day_number(value) is None


@pytest.mark.slow
def test_the_cli_filters_by_a_german_day(tmp_path: Path, embeddings) -> None:
    """`assistant ask --since 1.3.2024`, as a user types it, in a real process."""
    index_dir = tmp_path / "index"
    builder = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    builder.index([
        Article("march", "Der Stadtrat von Quellenau beschloss den neuen Busfahrplan.", published="2024-03-05"),
        Article("february", "Der Stadtrat von Quellenau vertagte den Busfahrplan.", published="2024-02-01"),
    ])  # fmt: skip
    builder.close()

    def ask(*options: str) -> subprocess.CompletedProcess[str]:
        return run_cli("ask", "Was beschloss der Stadtrat?", "--json", *options, cwd=tmp_path, check=False)

    found = ask("--index-dir", str(index_dir), "--since", "1.3.2024")
    assert found.returncode == 0, found.stderr
    assert {p["article_id"] for p in json.loads(found.stdout)["passages"]} == {"march"}
    refused = ask("--index-dir", str(index_dir), "--since", "30.2.2024")
    assert refused.returncode == 1 and "--since" in refused.stderr and "kein Datum" in refused.stderr


def test_a_day_still_to_come_is_told_from_a_past_one_and_from_a_morning() -> None:
    assert is_still_to_come("erst am kommenden Mittwochabend") and is_still_to_come("next Monday")
    assert is_still_to_come("nächste Woche") and is_still_to_come("morgen früh")
    assert not is_still_to_come("seit September 2018") and not is_still_to_come("vergangene Woche")
    assert not is_still_to_come("am Morgen des 5. März")  # a time of day, not tomorrow
