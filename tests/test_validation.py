"""Input checks shared by the library, the CLI and the chat: question length, k, sources, dates."""

from __future__ import annotations

import html
import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, Settings
from assistant.cli import main
from assistant.errors import EmptyQuestionError, InvalidInputError
from assistant.serve.chat_app import ChatApp, word_pieces
from assistant.validation import check_k, check_question, check_sources, parse_day, search_filter_from
from tests.helpers import MEDIATE, SEEDS, answers_of


def test_question_checks() -> None:
    assert check_question("  Wer?  ", 10) == "Wer?"
    for nothing in (" \n ", "  ?  ", "…!?"):
        with pytest.raises(EmptyQuestionError):
            check_question(nothing, 10)
    assert check_question("1990?", 10) == "1990?" and check_question("Wer?", 10) == "Wer?"
    with pytest.raises(InvalidInputError, match="11 characters long; at most 10"):
        check_question("x" * 11, 10)
    with pytest.raises(InvalidInputError, match="must be text"):
        check_question(["Wer?"], 10)


@pytest.mark.parametrize("k", [0, -1, 51, 10**9, 10**30, pytest.param(10**5000, id="5000-digits")])
def test_k_out_of_range(k: int) -> None:
    with pytest.raises(InvalidInputError, match="from 1 to 50") as raised:
        check_k(k, 50)
    assert len(str(raised.value)) < 200  # a huge number does not come back whole


@pytest.mark.parametrize("k", ["abc", "3", 2.5, float("nan"), float("inf"), True, [3], {}])
def test_k_that_is_not_a_whole_number(k: object) -> None:
    with pytest.raises(InvalidInputError, match="whole number"):
        check_k(k, 50)


def test_k_accepted() -> None:
    assert (check_k(None, 50), check_k(1, 50), check_k(50, 50), check_k(7.0, 50)) == (None, 1, 50, 7)


def test_sources() -> None:
    assert check_sources(None) == ()
    assert check_sources(["Reuters", " dpa ", ""]) == ("Reuters", "dpa")
    with pytest.raises(InvalidInputError, match="list of source names"):
        check_sources("Reuters")  # used to be split into R, e, u, ...
    with pytest.raises(InvalidInputError, match="list of source names"):
        check_sources({"Reuters": 1})
    with pytest.raises(InvalidInputError, match="each source"):
        check_sources(["x" * 201])
    with pytest.raises(InvalidInputError, match="at most 100 sources"):
        check_sources(["s"] * 101)


def test_dates() -> None:
    assert parse_day(" 2024-03-01 ", "ab") == "2024-03-01"
    assert parse_day("1.3.2024", "ab") == "2024-03-01"
    assert parse_day(None, "ab") is None
    for bad in ("2024-02-30", "März 2024", 20240301, ["2024-03-01"]):
        with pytest.raises(InvalidInputError, match="kein Datum"):
            parse_day(bad, "ab")
    with pytest.raises(InvalidInputError, match="Zeitraum ist leer"):
        search_filter_from(None, "2024-05-01", "2024-04-01")


# --------------------------------------------------------------------------- where the checks apply


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[Assistant]:
    root = tmp_path_factory.mktemp("validation")
    shutil.copytree(SEEDS, root / "seeds")
    assistant = Assistant(Settings(index_dir=root / "index", max_question_chars=300), embeddings=embeddings)
    assistant.index([root / "seeds"])
    yield assistant
    assistant.close()


@pytest.mark.slow
def test_the_library_refuses_k_that_would_return_the_archive(seeded: Assistant) -> None:
    for k in (10**9, -1, 0):  # 10**9 returned every chunk, -1 returned 39 passages
        with pytest.raises(InvalidInputError, match="k must be from 1 to 50"):
            seeded.ask(MEDIATE, k=k)
    with pytest.raises(InvalidInputError, match="whole number"):
        seeded.retrieve(MEDIATE, k="abc")  # type: ignore[arg-type]
    assert len(seeded.retrieve(MEDIATE, k=2)) == 2


@pytest.mark.slow
def test_the_library_refuses_a_long_question(seeded: Assistant) -> None:
    with pytest.raises(InvalidInputError, match="at most 300"):
        seeded.ask("Wer? " * 2_000_000)  # 10 MB held the server for 10 s


@pytest.mark.slow
def test_the_chat_explains_bad_input(seeded: Assistant) -> None:
    chat = ChatApp(seeded, uploads_dir=None, pieces=word_pieces)
    assert "at most 300" in answers_of(chat, "Wer? " * 100)[-1]
    assert "from 1 to 50" in answers_of(chat, MEDIATE, k=500.0)[-1]
    assert "list of source names" in html.unescape(answers_of(chat, MEDIATE, sources="Reuters")[-1])


def cli(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    return main(argv), err.getvalue()


def test_the_cli_explains_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked before the model loads or the index is opened."""
    where = ["--index-dir", str(tmp_path)]
    code, err = cli(["ask", "Wer?", "--since", "März 2024", *where], monkeypatch)
    assert code == 1 and "„--since“: „März 2024“ ist kein Datum" in err
    code, err = cli(["ask", "Wer?", "--since", "2024-05-01", "--until", "2024-04-01", *where], monkeypatch)
    assert code == 1 and "Zeitraum ist leer" in err
    code, err = cli(["ask", "Wer?", "-k", "0", *where], monkeypatch)
    assert code == 1 and "k must be from 1 to 50" in err
    code, err = cli(["ask", "x" * 2001, *where], monkeypatch)
    assert code == 1 and "at most 2,000" in err
