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
from assistant.answering.spans import number_spans, with_counted_noun
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


# --- numbers with their units (sentences from the shared sets: 10kGNAD, FANG-COVID, XQuAD) ---------------------

SUMMER = Article(
    "sommer",
    "Bisher hat der Sommer 2020 eher mit Abwesenheit geglänzt. Der Sommer hat heuer erst am 20. Juni, exakt um "
    "23.43 Uhr begonnen. Zur Kenntnisnahme: am 20. Juni um 23.43 Uhr betrug die Außentemperatur 14,5 Grad "
    "Celsius. Abgesehen davon, dass die Biergärten um die Zeit schon zu haben, wer bitte würde das sommerlich "
    "nennen?",
    title="Der Sommer lässt auf sich warten",
)
SPEEDER = Article(
    "raser",
    "Saalfelden / Zell am See – Ein betrunkener Autofahrer ist in der Nacht auf Dienstag mit 100 km/h durch das "
    "Ortsgebiet von Saalfelden im Salzburger Pinzgau gerast. Der 21-jährige Niederländer brachte es auf der "
    "Freilandstraße gar auf 160 km/h. Eine Polizeistreife, die ihm nachsetzte, konnte ihn schließlich stoppen. "
    "Ein Alkoholtest ergab rund zwei Promille.",
    title="21-Jähriger fuhr mit 100 km/h durch Saalfelden",
)
FOREST = Article(
    "wald",
    "Wälder speichern große Mengen Kohlenstoff und tragen erheblich zur Luftqualität bei. Zu einer weniger "
    "zuversichtlichen Einschätzung als die FAO kam am vergangenen Mittwoch die US-Online-Plattform Global Forest "
    "Watch (GFW). Sie meldete, die Erde habe 2014 rund 18 Millionen Hektar Wald verloren, was der größte "
    "Jahresverlust seit 2001 sei.",
    title="Weltweit weniger Wald",
)


@pytest.fixture(scope="module")
def measures(tmp_path_factory: pytest.TempPathFactory, embeddings: object) -> Iterator[Assistant]:
    root = tmp_path_factory.mktemp("measures")
    assistant = Assistant(Settings(index_dir=root / "index"), embeddings=embeddings)  # type: ignore[arg-type]
    assistant.index([SUMMER, SPEEDER, FOREST])
    yield assistant
    assistant.close()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie hoch war die Außentemperatur am 20. Juni um 23.43 Uhr?", "14,5 Grad Celsius"),
        ("Wie viele Kilometer pro Stunde fuhr der betrunkene Autofahrer durch Saalfelden?", "100 km/h"),
        ("Wie schnell fuhr der betrunkene Autofahrer durch Saalfelden?", "100 km/h"),
        ("Wie warm war es am 20. Juni um 23.43 Uhr?", "14,5 Grad Celsius"),
        ("Wie viel Wald hat die Erde 2014 laut Global Forest Watch verloren?", "rund 18 Millionen Hektar Wald"),
        ("How much forest did the earth lose in 2014?", "rund 18 Millionen Hektar Wald"),
    ],
)
def test_a_short_answer_keeps_the_number_s_unit(measures: Assistant, question: str, expected: str) -> None:
    answer = measures.ask(question)
    assert not answer.abstained and answer.short_answer is not None
    assert answer.short_answer.text == expected
    assert_verbatim(measures, answer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Am 20. Juni um 23.43 Uhr betrug die Außentemperatur 14,5 Grad Celsius.", "14,5 Grad Celsius"),
        ("Heiße Sommer (bis +40 °C) werden von extrem kalten Wintern abgelöst.", "40 °C"),
        ("Ein betrunkener Autofahrer ist mit 100 km/h durch das Ortsgebiet von Saalfelden gerast.", "100 km/h"),
        ("die in den 70er Jahren den Rekord von 3500 Kilometer pro Stunde aufstellte", "3500 Kilometer pro Stunde"),
        ("Die Nothilfe beträgt 500 Euro pro Monat und kann jeweils beantragt werden.", "500 Euro pro Monat"),
        ("Die Gehaltsunterschiede können bis zu 1500 Euro im Monat ausmachen.", "bis zu 1500 Euro im Monat"),
        (
            "zogen sie weiter nach Cuzco in Peru, 3.400 Meter über dem Meeresspiegel.",
            "3.400 Meter über dem Meeresspiegel",
        ),
        ("Beryl, packing winds up to 70 miles per hour (113 km/h) which made landfall", "up to 70 miles per hour"),
        ("Beryl, packing winds up to 70 miles per hour (113 km/h) which made landfall", "113 km/h"),
        ("It was 15 degrees Celsius on Monday.", "15 degrees Celsius"),
        ("The car drove at 100 km/h through the town.", "100 km/h"),
    ],
)
def test_a_number_s_detail_span_holds_its_compound_unit(text: str, expected: str) -> None:
    """Finding, choosing and declining read the number with its whole unit, not "100 km" or "14,5 Grad"."""
    assert expected in [text[a:b] for a, b in number_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Die Erde habe 2014 rund 18 Millionen Hektar Wald verloren, was der größte Verlust sei.",
            "rund 18 Millionen Hektar Wald",
        ),
        ("Unser Hof in Schleswig-Holstein hat 120 Milchkühe und 130 Hektar Land.", "130 Hektar Land"),
        ("Dazu verarbeitet Symrise jährlich 5000 Tonnen Zwiebeln.", "5000 Tonnen Zwiebeln"),
        ("Hamburger Zoll stellt mehr als 16 Tonnen Kokain sicher.", "mehr als 16 Tonnen Kokain"),
        (
            "Die Bande soll rund zwei\nTonnen Kokain von Südamerika nach Hamburg geschmuggelt haben.",
            "rund zwei\nTonnen Kokain",
        ),
        (
            "Mindeststandards: Zehn Quadratmeter Wohnraum pro Kopf, ab sechs Personen ein Bad.",
            "Zehn Quadratmeter Wohnraum pro Kopf",
        ),
        ("Die Anbaufläche allein für Erdbeeren beträgt demnach 26 Hektar.", "26 Hektar"),
        ("Das Feuer zerstörte 5.000 Hektar Wald.", "5.000 Hektar Wald"),
        ("Das Werk liefert 200 Tonnen Stahl am Tag.", "200 Tonnen Stahl am Tag"),
        ("Es waren 15 Grad Celsius am Montag.", "15 Grad Celsius"),  # the next phrase is no part of it
        ("Wer mehr als 38 Grad Celsius Temperatur zeigt, muss draußen bleiben.", "mehr als 38 Grad Celsius"),
        (
            "Temperaturen können auf bis zu 42 Grad Celsius steigen, schwere Sandstürme folgen.",
            "bis zu 42 Grad Celsius",
        ),
        ("Er zahlte 500 Euro im Jahr 2019.", "500 Euro"),  # a year is no rate
        ("20 Prozent der Stimmen", "20 Prozent"),
        ("Die Ermittler waren in einer 700 Quadratmeter großen Halle an der Arbeit.", "700 Quadratmeter"),  # its size
        ("Das 50.000 Tonnen schwere Schiff werde derzeit in Dalian konstruiert.", "50.000 Tonnen"),
        ("Im Parlament stimmten 120 Abgeordnete in der Nacht auf Sonntag dagegen.", "120 Abgeordnete"),
        ("The fire destroyed 5,000 hectares of forest.", "5,000 hectares of forest"),
        ("The mill made 200 tons of steel a day.", "200 tons of steel a day"),
        ("about 1.000 square kilometres of land", "about 1.000 square kilometres of land"),
        ("It was 15 degrees Celsius on Monday.", "15 degrees Celsius"),
    ],
)
def test_a_short_answer_holds_the_unit_and_what_a_measure_measures(text: str, expected: str) -> None:
    """The short answer (`with_counted_noun`): a measure of amount (Hektar, Tonnen, hectares, tons) goes on with
    the noun it measures ("Wald", "of forest") and a rate after it ("pro Kopf", "a day"), verbatim, and stops
    before the next phrase."""
    found = [text[a : with_counted_noun(text, a, b)] for a, b in number_spans(text)]
    assert expected in found
