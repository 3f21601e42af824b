"""Time expressions resolved against a publication day: a labelled sample of the forms the FANG-COVID articles
use (written here in our own short words, with the article's publication day), and the sentence's day."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.dates import DaySpan, date_spans, find_time_expressions, scan_times, sentence_day
from assistant.timeline.questions import question_time

THU = "2020-06-18"  # a Thursday
SAT = "2020-09-12"  # a Saturday
MON = "2021-02-15"  # a Monday

# (text, publication day, expected day "YYYY-MM-DD" or (first, last), or None for "no time expression")
SAMPLE: list[tuple[str, str, str | tuple[str, str] | None]] = [
    ("Der Betrieb wurde am Mittwoch geschlossen.", THU, "2020-06-17"),
    ("Am Dienstagabend brannte es erneut.", SAT, "2020-09-08"),
    ("In der Nacht zu Mittwoch brach das Feuer aus.", SAT, "2020-09-09"),
    ("Die Polizei nahm ihn am Montag fest.", THU, "2020-06-15"),
    # a future word of another clause (before a comma or quote) does not make the weekday a coming one
    ("Alle sollen aufgenommen werden, so das am Dienstag verbreitete Papier.", SAT, "2020-09-08"),
    ("Die Sitzung soll am Montag stattfinden.", THU, "2020-06-22"),
    ("Am Samstag landete ein Flugzeug.", SAT, "2020-09-12"),
    ("Die Welt am Sonntag berichtete darüber.", THU, None),
    ("Die Stadt kündigte gestern Tests an.", THU, "2020-06-17"),
    ("Vorgestern stieg die Zahl der Fälle.", THU, "2020-06-16"),
    ("Heute sprach der Landrat.", THU, "2020-06-18"),
    ("Die Regeln gelten ab morgen.", THU, "2020-06-19"),
    ("Der Vorstand trat am 19. Juni zurück.", MON, "2020-06-19"),
    ("Das Camp brannte am 9. September ab.", SAT, "2020-09-09"),
    ("Die Schulen schließen am 17.6.2020.", THU, "2020-06-17"),
    ("Die App erschien am 16.06.", THU, "2020-06-16"),
    ("Am 25. Februar 2020 wurde der erste Fall bekannt.", THU, "2020-02-25"),
    ("Die Studie erschien am 4. Mai.", THU, "2020-05-04"),
    ("Das Gesetz tritt am 1. Juli in Kraft.", THU, "2020-07-01"),
    ("Seit dem 1. März gilt die Pflicht.", THU, "2020-03-01"),
    ("Die Firma meldete am 25. Juni Insolvenz an.", MON, "2020-06-25"),
    ("Mitte März schloss der Park.", THU, ("2020-03-11", "2020-03-20")),
    ("Ende Mai öffneten die Restaurants.", THU, ("2020-05-21", "2020-05-31")),
    ("Anfang April kam die Studie.", THU, ("2020-04-01", "2020-04-10")),
    ("Im März gab es einen Ausbruch.", THU, ("2020-03-01", "2020-03-31")),
    ("Im Juni 2020 brach das Virus aus.", MON, ("2020-06-01", "2020-06-30")),
    ("Im Dezember beginnen die Impfungen.", THU, ("2019-12-01", "2019-12-31")),
    ("Im Januar sollen die Impfungen beginnen.", "2020-12-10", ("2021-01-01", "2021-01-31")),
    ("Vor zwei Wochen wurde hier noch gefeiert.", THU, ("2020-06-01", "2020-06-07")),
    ("Vor drei Tagen meldete das Amt 400 Fälle.", THU, "2020-06-15"),
    ("Vor einem Monat war davon keine Rede.", THU, ("2020-05-01", "2020-05-31")),
    ("In der vergangenen Woche gab es 29 Fälle.", THU, ("2020-06-08", "2020-06-14")),
    ("Letzte Woche hatte das Amt gewarnt.", THU, ("2020-06-08", "2020-06-14")),
    ("Über das vergangene Wochenende starb ein Mann.", THU, ("2020-06-13", "2020-06-14")),
    ("Im vergangenen Jahr waren es weniger.", MON, ("2020-01-01", "2020-12-31")),
    ("Die Zahl stieg auf 2020 Fälle.", THU, None),
    ("Im Jahr 2019 verdiente die Firma viel.", THU, ("2019-01-01", "2019-12-31")),
    ("Die Bilanz für 2019 fehlt bis heute.", THU, "2020-06-18"),
    ("Am kommenden Montag öffnen die Schulen.", THU, "2020-06-22"),
    ("Am Montag wird der Kreistag beraten.", THU, "2020-06-22"),
    ("In den vergangenen Wochen wurden viele getestet.", THU, None),
    ("Die Schulen bleiben an diesem Mittwoch geschlossen.", "2020-02-25", "2020-02-26"),
    ("Die Regeln gelten nun bis zum 7. Juli.", THU, "2020-06-18"),
    ("Das Amt teilte am Dienstagabend mit, es sollen 50 Kinder kommen.", "2020-04-08", "2020-04-07"),
    ("Die Anhörung war am Dienstag vor zwei Wochen.", "2020-07-02", "2020-06-16"),
    ("Die Regierung schloss die Grenze.", THU, None),
    # English
    ("The plant was closed on Wednesday.", THU, "2020-06-17"),
    ("The fire broke out on Tuesday night.", SAT, "2020-09-08"),
    ("Yesterday the district reported 100 cases.", THU, "2020-06-17"),
    ("The app was launched on June 16.", THU, "2020-06-16"),
    ("He resigned on 19 June 2020.", MON, "2020-06-19"),
    ("In mid-March the park closed.", THU, ("2020-03-11", "2020-03-20")),
    ("Two weeks ago nobody cared.", THU, ("2020-06-01", "2020-06-07")),
    ("Last week the office warned.", THU, ("2020-06-08", "2020-06-14")),
    ("May cases rise again?", THU, None),
    ("In May the shops reopened.", THU, ("2020-05-01", "2020-05-31")),
    ("The camp burned down on September 9, 2020.", SAT, "2020-09-09"),
    ("Next Monday the schools reopen.", THU, "2020-06-22"),
    ("Die Absprache vom Herbst 2019 hielt nicht.", THU, ("2019-09-01", "2019-11-30")),
    ("Im Winter 2020/21 stiegen die Zahlen wieder.", MON, ("2020-12-01", "2021-02-28")),
    ("In the spring of 2020 the schools closed.", THU, ("2020-03-01", "2020-05-31")),
]


def _expected(value: str | tuple[str, str]) -> DaySpan:
    if isinstance(value, str):
        return DaySpan.day(dt.date.fromisoformat(value))
    return DaySpan(dt.date.fromisoformat(value[0]), dt.date.fromisoformat(value[1]))


def _resolved(text: str, published: str) -> DaySpan | None:
    mentions = find_time_expressions(text, dt.date.fromisoformat(published))
    return sentence_day(text, published) if mentions else None  # None: no time expression was found


def test_the_sample_is_resolved_right() -> None:
    """At least 95% of the labelled expressions resolve to the labelled day or span (the share is printed)."""
    wrong = []
    for text, published, expected in SAMPLE:
        got = _resolved(text, published)
        want = None if expected is None else _expected(expected)
        if got != want:
            wrong.append((text, published, got, want))
    share = 1 - len(wrong) / len(SAMPLE)
    print(f"resolved right: {len(SAMPLE) - len(wrong)}/{len(SAMPLE)} = {share:.1%}")
    assert share >= 0.95, wrong


@pytest.mark.parametrize(("text", "published", "expected"), [s for s in SAMPLE if s[2] is not None][:12])
def test_each_day_form(text: str, published: str, expected: str | tuple[str, str]) -> None:
    assert sentence_day(text, published) == _expected(expected)


def test_a_sentence_without_time_speaks_about_its_publication_day() -> None:
    assert sentence_day("Die Regierung schloss die Grenze.", THU) == DaySpan.day(dt.date(2020, 6, 18))
    assert sentence_day("Die Regierung schloss die Grenze.", None) is None


def test_an_undated_article_dates_only_what_names_its_year() -> None:
    assert sentence_day("Die Gespräche sollten im August 2024 beginnen.", None) == DaySpan(
        dt.date(2024, 8, 1), dt.date(2024, 8, 31)
    )
    assert sentence_day("Am 17. Juni 2020 schloss die Regierung die Grenze.", None) == DaySpan.day(dt.date(2020, 6, 17))
    for relative in ("Am Mittwoch schloss die Regierung die Grenze.", "Im Juni schloss sie die Grenze.", "Gestern."):
        assert sentence_day(relative, None) is None  # needs the day it was written


def test_an_exact_day_wins_over_a_span_in_the_same_sentence() -> None:
    got = sentence_day("Nach der Lockerung Mitte Mai stiegen die Fälle am Mittwoch.", THU)
    assert got == DaySpan.day(dt.date(2020, 6, 17))


def test_since_and_until_are_marked() -> None:
    mentions = find_time_expressions("seit dem 1. März und bis Ende Juni", dt.date(2020, 6, 18))
    assert [m.relation for m in mentions] == ["since", "until"]


def test_one_scanner_marks_answers_and_resolves_days() -> None:
    """`scan_times` finds the same expressions with or without a reference day; only with one do they get days.
    A time of day or a decade is an answer to "wann" but dates no sentence."""
    text = "Am Mittwoch um 10 Uhr, vor zwei Wochen und in den 1990er Jahren; die Welt am Sonntag schrieb es."
    blind, anchored = scan_times(text), scan_times(text, dt.date(2020, 6, 18))
    assert [(m.start, m.end) for m in blind] == [(m.start, m.end) for m in anchored]
    assert all(m.span is None for m in blind)
    said = {text[m.start : m.end]: m for m in anchored}
    assert set(said) == {"Mittwoch", "um 10 Uhr", "vor zwei Wochen", "1990er Jahren"}  # the newspaper is no day
    assert said["Mittwoch"].span == DaySpan.day(dt.date(2020, 6, 17))
    assert said["um 10 Uhr"].span is None and said["1990er Jahren"].kind == "decade"
    assert [text[a:b] for a, b in date_spans(text)] == ["Am Mittwoch", "um 10 Uhr", "vor zwei Wochen", "1990er Jahren"]
    assert [(m.start, m.end) for m in find_time_expressions(text, dt.date(2020, 6, 18))] == [
        (m.start, m.end) for m in anchored if m.span is not None
    ]


def test_json_shape_of_days_and_spans() -> None:
    assert DaySpan.day(dt.date(2020, 6, 17)).to_json() == "2020-06-17"
    assert DaySpan(dt.date(2020, 6, 1), dt.date(2020, 6, 30)).to_json() == {"start": "2020-06-01", "end": "2020-06-30"}
    assert DaySpan.from_numbers(20200601, 20200630).numbers() == (20200601, 20200630)


def test_a_question_s_window_comes_from_the_same_scanner() -> None:
    now = dt.date(2020, 10, 1)
    asked = question_time("Was geschah 2020 bei Wirecard?", now)  # a year standing alone is the year asked
    assert asked.window == DaySpan(dt.date(2020, 1, 1), dt.date(2020, 12, 31)) and "2020" not in asked.searched
    since = question_time("Was ist seit dem 1. September in Moria passiert?", now)
    assert since.window == DaySpan(dt.date(2020, 9, 1), now) and "September" not in since.searched
    assert question_time("Wer leitet Wirecard?", now).window is None
    season = question_time("Was geschah im Sommer 2020 in Moria?", now)  # a season with its year, as a sentence's
    assert season.window == DaySpan(dt.date(2020, 6, 1), dt.date(2020, 8, 31)) and "Sommer" not in season.searched
