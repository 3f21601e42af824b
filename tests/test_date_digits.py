"""Dates take only the documented digit forms: 0-9. Full-width (２０２４) and Arabic-Indic (٢٠٢٤) digits pass
Python's ``\\d`` and `int`, so they were accepted as days; now they are refused like any other non-date."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.dates import day_number, parse_published, parse_typed_day

FOREIGN = [
    "２０２４-03-01",  # full-width
    "٢٠٢٤-٠٣-٠١",  # Arabic-Indic
    "۲۰۲۴-۰۳-۰۱",  # extended Arabic-Indic (Persian)
    "1.3.２０２４",
    "१.३.२०२४",  # Devanagari
]


@pytest.mark.parametrize("text", FOREIGN)
def test_days_with_other_digits_are_not_days(text: str) -> None:
    assert parse_typed_day(text) is None
    assert parse_published(text) is None


def test_an_rss_date_with_other_digits_is_not_a_date() -> None:
    assert parse_published("Tue, ٠٥ Mar ٢٠٢٤ 10:00:00 +0100") is None
    assert parse_published("Tue, 05 Mar 2024 10:00:00 +0100") == "2024-03-05"


def test_the_store_s_day_number_takes_only_ascii_digits() -> None:
    assert day_number("２０２４-03-01") is None
    assert day_number("2024-03-01") == 20240301


@pytest.mark.slow
def test_the_cli_refuses_a_full_width_day(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "assistant.cli", "ask", "Was beschloss der Stadtrat?", "--since", "２０２４-03-01"]
    result = subprocess.run(
        [*command, "--index-dir", str(tmp_path / "index")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip

    assert result.returncode == 1
    assert "--since" in result.stderr and "kein Datum" in result.stderr
