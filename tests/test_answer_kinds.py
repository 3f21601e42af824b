"""What a question asks for and where a sentence holds it: kinds read from every question of the shared sets
(German and English), span finders on the FANG-COVID gold sentences and on small examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answering.answer_kinds import answer_kind
from assistant.answering.spans import answer_spans, cause_spans, name_spans, number_spans, place_spans
from assistant.dates import date_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FANG = SHARED / "fang-covid"
XQUAD = SHARED / "xquad"

FANG_KINDS = (
    "name number place cause name day place day number name number number number name number open place day "
    "number cause place place number number place name number cause name day number number number name number "
    "day choice number number day"
).split()
"""The kind each of the 40 FANG-COVID questions asks for, read by hand (dev-q01 … dev-q40)."""


def _fang(name: str) -> list[dict[str, object]]:
    if not (FANG / name).exists():
        pytest.skip("the shared FANG-COVID data is not here")
    return json.loads((FANG / name).read_text(encoding="utf-8"))


def _xquad(language: str) -> dict[str, str]:
    path = XQUAD / f"xquad.{language}.json"
    if not path.exists():
        pytest.skip("the shared XQuAD data is not here")
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return {q["id"]: q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]}


def _same(one: str, other: str) -> bool:
    """A choice among named things and an open question are answered alike."""
    return {one, other} <= {"choice", "open"} or one == other


def test_every_fang_covid_question_gets_its_kind_in_german_and_in_english() -> None:
    german, english = _fang("questions.json"), _fang("questions_en.json")
    assert [answer_kind(str(q["question"]), "de") for q in german] == FANG_KINDS
    assert all(_same(answer_kind(str(q["question"]), "en"), k) for q, k in zip(english, FANG_KINDS, strict=True))


def test_every_english_fang_covid_question_asks_for_what_its_german_twin_asks_for() -> None:
    """The aspect too (a share, a multiple, money, a person, where from or to): only "From what time" is read
    finer (a time of day) than "Ab wann"."""
    from assistant.answering.aspects import asked_aspect

    german, english = _fang("questions.json"), _fang("questions_en.json")
    aspects = [
        (asked_aspect(str(de["question"]), kind), asked_aspect(str(en["question"]), kind))
        for de, en, kind in zip(german, english, FANG_KINDS, strict=True)
    ]
    assert [n for n, (de, en) in enumerate(aspects, 1) if de != en] == [18]
    assert aspects[17] == ("any", "clock")


def test_xquad_questions_get_the_same_kind_in_both_languages() -> None:
    german, english = _xquad("de"), _xquad("en")
    kinds = {qid: answer_kind(text, "de") for qid, text in german.items()}
    agree = sum(_same(kinds[qid], answer_kind(english[qid], "en")) for qid in german) / len(german)
    assert (
        agree >= 0.9
    )  # 0.911 when written; the rest are paraphrases ("Wie hoch war die Einwohnerzahl" / "What was the population")
    for kind in ("day", "number", "name", "place", "cause"):
        assert sum(k == kind for k in kinds.values()) >= 15, kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wann wurde das Abkommen unterzeichnet?", "day"),
        ("An welchem Tag fand die Feier statt?", "day"),
        ("Seit wann gilt die Regel?", "day"),
        ("When did the talks begin?", "day"),
        ("Wie viele Menschen leben dort?", "number"),
        ("Wie viel Prozent stimmten zu?", "number"),
        ("How many people live there?", "number"),
        ("Wie schnell waren die Winde während des Hurrikans?", "number"),  # a measure with a unit: 110 mph
        ("How fast were the winds during the hurricane?", "number"),
        ("Wie warm wird es am Wochenende?", "number"),
        ("Wer sollte die Gespräche vermitteln?", "name"),
        ("Welche Partei gewann die Wahl?", "name"),
        ("Who won the election?", "name"),
        ("Wo liegt das Lager?", "place"),
        ("Wohin wurden die Kinder gebracht?", "place"),
        ("Where is the camp?", "place"),
        ("Warum wurde der Besuch abgebrochen?", "cause"),
        ("Mit welcher Begründung lehnte er ab?", "cause"),
        ("Why was the visit cut short?", "cause"),
        ("Welche Farbe hat der Bus?", "choice"),
        ("Was zeigt die App an?", "open"),
        ("What happened when the fire broke out?", "open"),
    ],
)
def test_question_words_decide_the_kind(question: str, kind: str) -> None:
    assert answer_kind(question) == kind


def test_spans_of_each_kind_are_found_with_their_units() -> None:
    def found(finder, text: str) -> list[str]:  # type: ignore[no-untyped-def]
        return [text[a:b] for a, b in finder(text)]

    assert found(number_spans, "Dort lebten fast 8.000 Menschen, 2,5 bis 3,5 Millionen Euro im Monat.") == [
        "fast 8.000 Menschen",
        "2,5 bis 3,5 Millionen Euro im Monat",  # a rate is part of its unit
    ]
    assert found(number_spans, "Am 22. Juni 2020 waren es 1553.") == ["1553"]  # the date's numbers are the date's
    assert found(date_spans, "Die Feier fand am 15. Februar statt, die App kam um kurz nach zwei Uhr morgens.") == [
        "15. Februar",
        "um kurz nach zwei Uhr morgens",
    ]
    assert found(date_spans, "Wirecard gehörte seit September 2018 dem Dax an.") == ["September 2018"]
    assert found(name_spans, "Nun verlangte Robert Tönnies den Rückzug, die Ratingagentur Moody's stufte ab.") == [
        "Robert Tönnies",
        "Moody's",
    ]
    assert found(place_spans, "Die Kinder wurden in die Hafenstadt Thessaloniki gebracht.") == [
        "in die Hafenstadt Thessaloniki"
    ]
    assert found(cause_spans, "Er trat zurück, weil die Krise seines Betriebs zu groß wurde.") == [
        "weil die Krise seines Betriebs zu groß wurde"
    ]


def test_a_detail_the_question_already_holds_does_not_count() -> None:
    sentence = "Am 22. Juni 2020 waren 1553 der Getesteten infiziert."
    question = "Wie viele Getestete waren am 22. Juni 2020 infiziert?"
    assert [sentence[a:b] for a, b in answer_spans(sentence, "number", question)] == ["1553"]
    assert answer_spans(sentence, "day", question) == []
    assert answer_spans("Clemens Tönnies trat zurück.", "name", "Warum trat Clemens Tönnies zurück?") == []


def test_the_answer_of_most_fang_covid_questions_is_found_in_its_gold_sentence() -> None:
    answerable = [q for q in _fang("questions.json") if q["answerable"]]
    found = 0
    for q in answerable:
        sentence, answer = str(q["sentence"]), str(q["answer"])
        spans = [sentence[a:b] for a, b in answer_spans(sentence, answer_kind(str(q["question"])), str(q["question"]))]
        found += any(answer in span or span in answer for span in spans)
    assert found >= 24  # 25 of 30 when written: "ein Spielhallenbetreiber" is no name, "das Datum" asks openly
