"""What a detail is about (`answering.aspects`): the question says which details of its kind answer it, and a
detail plainly about something else (an age beside a share, a town beside a person, "in Untersuchungshaft"
for "wo") does not count; the finders' additions for history questions (old years, "vor 22.000 Jahren",
number words before a noun)."""

from __future__ import annotations

import pytest

from assistant.answering.aspects import asked_aspect, fits
from assistant.answering.details import Sentence, holdings, short_answer_in
from assistant.answering.spans import day_spans, number_spans, place_spans
from assistant.chunking import Span
from assistant.question import AnswerKind


@pytest.mark.parametrize(
    ("question", "kind", "aspect"),
    [
        ("Mit welchem Stimmenanteil wurde Pusch im Amt bestätigt?", "number", "percent"),
        ("Wie viel Prozent der Bürger stimmten zu?", "number", "percent"),
        ("Mit welchen laufenden Kosten pro Monat rechnet der Bund?", "number", "money"),
        ("Wie viel Geld stellte die EU bereit?", "number", "money"),
        ("Wie viele Menschen lebten im Lager?", "number", "count"),
        ("Wie viele mögliche Nominierungen für den Preis gab es 1915?", "number", "count"),
        ("Wie lange dauerte die Befragung?", "number", "duration"),
        ("Wie alt war Peyton Manning?", "number", "age"),
        ("Wie oft hat Polonia den Pokal gewonnen?", "number", "times"),
        ("Wie hoch war die Einwohnerzahl?", "number", "any"),
        ("An welchem Tag fand die Feier statt?", "day", "date"),
        ("In welchem Jahr starb Tesla?", "day", "year"),
        ("Wann erhob die Staatsanwaltschaft Anklage?", "day", "any"),
        ("Wer verlangte den Rückzug?", "name", "person"),
        ("Welche Ratingagentur stufte Wirecard herab?", "name", "any"),
        ("How many people live there?", "number", "count"),
        ("What percentage of the vote did he win?", "number", "percent"),
        ("With what share of the vote was Pusch re-elected?", "number", "percent"),
        ("By what factor did the undetected cases exceed the official count?", "number", "times"),
        ("On what bail was Markus Braun released?", "number", "money"),
        ("Which member of the owner family demanded his resignation?", "name", "person"),
        ("Where had the sick man from the Heinsberg district first been admitted?", "place", "any"),
        ("Where were the minors from the burned-down camp flown to?", "place", "place to"),
        ("Which country are the six young men suspected of the fire from?", "place", "place from"),
    ],
)
def test_the_question_says_what_exactly_it_asks_for(question: str, kind: AnswerKind, aspect: str) -> None:
    assert asked_aspect(question, kind) == aspect


def _fitting(question: str, kind: AnswerKind, text: str, details: list[str]) -> list[str]:
    aspect = asked_aspect(question, kind)
    return [d for d in details if fits(aspect, kind, text, text.index(d), text.index(d) + len(d), question)]


def test_a_number_fits_when_its_unit_is_what_the_question_asks() -> None:
    text = "Bei der Wahl wurde der 51-Jährige mit 79,9 Prozent bestätigt, der Wahlkampf kostete 12.000 Euro."
    details = ["51", "79,9 Prozent", "12.000 Euro"]
    assert _fitting("Mit welchem Stimmenanteil wurde er bestätigt?", "number", text, details) == ["79,9 Prozent"]
    assert _fitting("Wie viel kostete der Wahlkampf?", "number", text, details) == ["12.000 Euro"]
    assert _fitting("Wie alt ist der Landrat?", "number", text, details) == ["51"]
    assert _fitting("Wie hoch war das Ergebnis?", "number", text, details) == details  # the question does not say
    money = "Der Bund rechnet mit monatlich 3,75 Millionen (!) Euro, Covid-19 zum Trotz."
    assert _fitting("Mit welchen Kosten rechnet der Bund?", "number", money, ["3,75 Millionen"]) == ["3,75 Millionen"]
    assert _fitting("Wie hoch ist die Zahl?", "number", money, ["19"]) == []  # a number inside a name


def test_a_question_for_a_rate_is_not_answered_by_a_total() -> None:
    """ "Kosten pro Monat" asks for a rate: the sentence with the total cost of development does not answer it, the
    one with the monthly cost does; a question without a rate takes either."""
    total = "Die Entwicklung der App durch SAP und die Telekom wird rund 20 Millionen Euro kosten."
    monthly = "Der Bund rechnet mit monatlich 3,75 Millionen (!) Euro für den Betrieb."
    asked = "Mit welchen laufenden Kosten pro Monat rechnet der Bund für den Betrieb der App?"
    assert _fitting(asked, "number", total, ["rund 20 Millionen Euro"]) == []
    assert _fitting(asked, "number", monthly, ["3,75 Millionen"]) == ["3,75 Millionen"]
    assert _fitting("How much does the app cost a month?", "number", total, ["rund 20 Millionen Euro"]) == []
    assert _fitting("Was kostet die App?", "number", total, ["rund 20 Millionen Euro"]) == ["rund 20 Millionen Euro"]


def test_a_day_still_to_come_does_not_say_since_when() -> None:
    text = "Die Deutsche Börse will erst am kommenden Mittwochabend bekanntgeben, wer Wirecard im Dax folgt."
    assert _fitting("Seit wann gehörte Wirecard dem Dax an?", "day", text, ["am kommenden Mittwochabend"]) == []
    assert _fitting("Wann gibt die Börse den Nachfolger bekannt?", "day", text, ["am kommenden Mittwochabend"]) == [
        "am kommenden Mittwochabend"
    ]
    past = "Wirecard gehört seit September 2018 dem Dax an."
    assert _fitting("Seit wann gehörte Wirecard dem Dax an?", "day", past, ["September 2018"]) == ["September 2018"]


def test_a_rate_is_read_by_its_unit_not_by_what_it_is_per() -> None:
    """ "3500 Kilometer pro Stunde" is no span of time, "8 Stunden pro Tag" is one."""
    text = "Der Jet flog 3500 Kilometer pro Stunde, die Piloten arbeiteten 8 Stunden pro Tag."
    details = [text[a:b] for a, b in number_spans(text)]
    assert details == ["3500 Kilometer pro Stunde", "8 Stunden pro Tag"]
    assert _fitting("Wie viele Kilometer pro Stunde flog der Jet?", "number", text, details) == details[:1]
    assert _fitting("Wie lange arbeiteten die Piloten?", "number", text, details) == details


def test_a_day_question_wants_a_day_a_year_question_a_year() -> None:
    text = "Die Feier fand im Februar 2020 statt, genauer am 15. Februar."
    assert _fitting("An welchem Tag fand die Feier statt?", "day", text, ["Februar 2020", "15. Februar"]) == [
        "15. Februar"
    ]
    assert _fitting("In welchem Jahr fand die Feier statt?", "day", text, ["Februar 2020", "15. Februar"]) == [
        "Februar 2020"
    ]


def test_a_person_is_no_town_and_a_place_is_named() -> None:
    text = "Am 17. Juni hat Robert Tönnies, Mitinhaber der Firma mit Sitz in Rheda-Wiedenbrück, den Rücktritt verlangt."
    assert _fitting("Wer verlangte den Rücktritt?", "name", text, ["Robert Tönnies", "Rheda-Wiedenbrück"]) == [
        "Robert Tönnies"
    ]
    called_off = "Die Gespräche wurden durch den Angriff auf das russische Gebiet Kursk unterbrochen, sagte Selenskij."
    assert _fitting("Who called off the talks?", "name", called_off, ["Kursk", "Selenskij"]) == ["Selenskij"]
    moved = "Sechs Männer sind in Untersuchungshaft, die Kinder wurden nach Thessaloniki geflogen."
    assert _fitting(
        "Wohin wurden die Kinder geflogen?", "place", moved, ["in Untersuchungshaft", "nach Thessaloniki"]
    ) == ["nach Thessaloniki"]


def test_a_place_question_for_a_country_wants_a_name_and_a_place_the_question_names_is_no_answer() -> None:
    camp = "Das Feuer im Flüchtlingslager Moria legte ein Mann aus Afghanistan."
    country = "Aus welchem Land stammt der Mann, der das Feuer in Moria gelegt haben soll?"
    assert _fitting(country, "place", camp, ["im Flüchtlingslager Moria", "aus Afghanistan"]) == ["aus Afghanistan"]
    accounts = "Das Geld sei auf philippinischen Treuhandkonten verbucht."
    assert _fitting(
        "Auf Konten welchen Landes lag das Geld?", "place", accounts, ["auf philippinischen Treuhandkonten"]
    )
    where = "Wo wurde der Mann aus dem Kreis Heinsberg aufgenommen?"
    sentence = "Der Mann aus dem Landkreis Heinsberg lag in einem Erkelenzer Krankenhaus."
    assert _fitting(where, "place", sentence, ["aus dem Landkreis Heinsberg", "in einem Erkelenzer Krankenhaus"]) == [
        "in einem Erkelenzer Krankenhaus"
    ]


def test_a_place_that_opens_its_sentence_is_found() -> None:
    opened = "Im Hamburger Hafen ist am Mittwoch ein neuer Containerterminal in Betrieb gegangen."
    assert [opened[a:b] for a, b in place_spans(opened)] == ["Im Hamburger Hafen", "in Betrieb"]
    assert _fitting(
        "Wo wurde ein Containerterminal eröffnet?", "place", opened, ["Im Hamburger Hafen", "in Betrieb"]
    ) == ["Im Hamburger Hafen"]


def test_the_detail_search_and_the_short_answer_take_only_details_about_what_was_asked() -> None:
    text = "Bei der Wahl wurde der 51-Jährige mit 79,9 Prozent für fünf weitere Jahre bestätigt."
    sentence = Sentence(Span(100, 100 + len(text)), text)
    question = "Mit welchem Stimmenanteil wurde Landrat Pusch im Amt bestätigt?"
    held = holdings("number", question, [0], [sentence], [None])
    found = [text[d.start - 100 : d.end - 100] for d in held[0].own]
    assert found == ["79,9 Prozent"]
    short = short_answer_in(sentence.span, text, held[0].own, question)
    assert short is not None and text[short.start - 100 : short.end - 100] == "79,9 Prozent"


def test_the_short_answer_is_the_part_not_the_whole() -> None:
    text = "Der Krisenstab teilte mit, dass 1553 von 6650 getesteten Arbeitern infiziert waren."
    question = "Wie viele der getesteten Beschäftigten waren mit dem Virus infiziert?"
    held = holdings("number", question, [0], [Sentence(Span(0, len(text)), text)], [None])
    short = short_answer_in(Span(0, len(text)), text, held[0].own, question)
    assert short is not None and text[short.start : short.end] == "1553"  # "6650" stands nearer "getesteten"


def test_history_days_and_counts_in_words_are_found() -> None:
    def found(finder, text: str) -> list[str]:  # type: ignore[no-untyped-def]
        return [text[a:b] for a, b in finder(text)]

    assert found(
        day_spans, "1530 veröffentlichte er eine Bibel, im Jahr 1648 endete der Krieg, 1553 der Getesteten."
    ) == [
        "1530",
        "1648",  # found by `dates` already
    ]
    assert found(day_spans, "Vor 22.000 Jahren begann die Erwärmung, 1553 Asylbewerber kamen.") == ["Vor 22.000 Jahren"]
    assert found(day_spans, "Seit den 90er Jahren, bis zum Ende des Pleistozäns (~11.600 BP), um 500 v. Chr.") == [
        "90er Jahren",
        "~11.600 BP",
        "500 v. Chr.",
    ]
    assert found(number_spans, "Lady Gaga gewann sechs Grammys, ein Preis fehlte.") == ["sechs"]
