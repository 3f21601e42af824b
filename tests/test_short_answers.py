"""Answers that answer: a question that asks for a detail gets a quote holding it and the detail itself as a
short answer (verbatim, located), or a decline that says what the articles do not name. Real model, real
index, and the CLI as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Article, Assistant, Settings
from assistant.answers import Answer
from assistant.phrases import phrase

COUNCIL = Article(
    "rat",
    "Der Stadtrat von Quellenau tagte am Montag im alten Rathaus am Marktplatz. Bürgermeisterin Anna Berger "
    "eröffnete die Sitzung mit einem Rückblick auf das vergangene Jahr. Danach beschloss der Stadtrat den neuen "
    "Haushalt für das kommende Jahr. Er umfasst 12,5 Millionen Euro und sieht mehr Geld für Schulen vor. Die "
    "Sitzung dauerte bis spät in den Abend, weil die Opposition viele Anträge gestellt hatte.",
    title="Quellenauer Stadtrat beschließt Haushalt",
    source="Quellenauer Bote",
)
FERRY = Article(
    "faehre",
    "Die neue Fähre zwischen Quellenau und Nordstrand fährt seit dem Frühjahr elektrisch. Der Betreiber lobte die "
    "leise Fahrt und die saubere Luft im Hafen. Fahrgäste loben vor allem die ruhige Überfahrt. Die Fähre legt "
    "am Anleger in Nordstrand an, wo ein neuer Wartebereich entstanden ist.",
    title="Fähre fährt elektrisch",
    source="Küstenblatt",
)


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory, embeddings: object) -> Iterator[Assistant]:
    root = tmp_path_factory.mktemp("council")
    assistant = Assistant(Settings(index_dir=root / "index"), embeddings=embeddings)  # type: ignore[arg-type]
    assistant.index([COUNCIL, FERRY])
    yield assistant
    assistant.close()


def assert_verbatim(assistant: Assistant, answer: Answer) -> None:
    short = answer.short_answer
    assert short is not None
    assert assistant.article(short.article_id).text[short.start : short.end] == short.text
    first = answer.quotes[0]
    assert first.article_id == short.article_id and first.start <= short.start <= short.end <= first.end


def test_a_number_question_is_answered_with_the_number_and_it_is_the_short_answer(council: Assistant) -> None:
    answer = council.ask("Wie hoch ist der neue Haushalt von Quellenau?")
    assert not answer.abstained
    assert "12,5 Millionen Euro" in answer.quotes[0].text
    assert answer.short_answer is not None and answer.short_answer.text == "12,5 Millionen Euro"
    assert_verbatim(council, answer)
    assert answer.to_dict()["short_answer"] == {
        "text": "12,5 Millionen Euro",
        "article_id": "rat",
        "start": answer.short_answer.start,
        "end": answer.short_answer.end,
    }


def test_a_name_question_gets_the_name(council: Assistant) -> None:
    answer = council.ask("Wer eröffnete die Sitzung des Stadtrats von Quellenau?")
    assert not answer.abstained and answer.short_answer is not None
    assert answer.short_answer.text == "Anna Berger"
    assert_verbatim(council, answer)


def test_a_cause_question_gets_the_causal_clause(council: Assistant) -> None:
    answer = council.ask("Warum dauerte die Sitzung des Stadtrats so lange?")
    assert not answer.abstained and answer.short_answer is not None
    assert answer.short_answer.text.startswith("weil die Opposition")
    assert_verbatim(council, answer)


def test_a_missing_detail_is_declined_in_the_question_s_language(council: Assistant) -> None:
    answer = council.ask("Wie viele Fahrgäste nutzen die elektrische Fähre nach Nordstrand?")
    assert answer.abstained and answer.quotes == [] and answer.short_answer is None
    assert answer.answer == phrase("de", "missing_number")
    assert answer.passages  # the nearest passages are shown as before
    assert "short_answer" not in answer.to_dict()
    english = council.ask("How many passengers use the electric ferry to Nordstrand?")
    assert english.abstained and english.answer in {phrase("en", "missing_number"), phrase("en", "not_in_articles")}


def test_a_name_question_whose_articles_name_no_one_is_declined(council: Assistant) -> None:
    answer = council.ask("Wer betreibt die elektrische Fähre nach Nordstrand?")  # "Der Betreiber lobte …"
    assert answer.abstained and answer.answer == phrase("de", "missing_name") and answer.passages


def test_a_place_question_gets_the_place_not_the_day(council: Assistant) -> None:
    answer = council.ask("Wo tagte der Stadtrat von Quellenau?")  # "… tagte am Montag im alten Rathaus …"
    assert not answer.abstained and answer.short_answer is not None
    assert answer.short_answer.text == "im alten Rathaus"
    assert_verbatim(council, answer)


def test_an_open_question_keeps_its_answer_and_has_no_short_answer(council: Assistant) -> None:
    answer = council.ask("Was loben die Fahrgäste an der Fähre?")
    assert not answer.abstained and answer.short_answer is None
    assert "short_answer" not in answer.to_dict()


@pytest.mark.slow
def test_ask_json_gains_short_answer_only_when_there_is_one(council: Assistant, tmp_path: Path) -> None:
    def ask_json(question: str) -> dict[str, object]:
        result = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ask", question, "--index-dir", str(council.index_dir), "--json"],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    found = ask_json("Wie hoch ist der neue Haushalt von Quellenau?")
    assert found["short_answer"] == {"text": "12,5 Millionen Euro", "article_id": "rat"} | {
        key: found["short_answer"][key]  # type: ignore[index]
        for key in ("start", "end")
    }
    short = found["short_answer"]
    assert COUNCIL.text[short["start"] : short["end"]] == "12,5 Millionen Euro"  # type: ignore[index]
    assert set(found) == {"question", "answer", "abstained", "quotes", "passages", "short_answer"}
    none = ask_json("Was loben die Fahrgäste an der Fähre?")
    assert set(none) == {"question", "answer", "abstained", "quotes", "passages"}
