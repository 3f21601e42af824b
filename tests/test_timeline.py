"""Dated sentences in a real index, timelines built from them, and the timeline commands as a user runs them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Article, Assistant, Settings
from assistant.answering.asking import make_question
from assistant.core import RECORDS_FILE, TIMELINE_PASSAGES
from assistant.dates import DaySpan
from assistant.indexing.migrations import DATING_VERSION, SENTENCE_DAYS, VERSION_KEY
from assistant.phrases import phrase
from assistant.protocols import RetrieverFactory
from assistant.serve.timeline_view import timeline_html
from assistant.timeline import evaluation
from assistant.timeline.headlines import headline_names_story
from assistant.timeline.questions import question_time
from assistant.timeline.questions import topic_of as timeline_topic
from assistant.timeline.searching import timeline_retriever
from tests.helpers import ChromaServer
from tests.timeline_samples import BRIDGE, QUESTION


@pytest.fixture
def bridge(assistant: Assistant) -> Assistant:
    """The story indexed, with "now" on 20 March 2024 (a Wednesday)."""
    assistant.settings = assistant.settings.model_copy(update={"as_of": "2024-03-20"})
    assistant.index(BRIDGE)
    return assistant


def _days_of(assistant: Assistant, article_id: str) -> dict[str, tuple[int, int] | None]:
    records = assistant.records()
    chunks = [c.id for c in records.chunks_of(article_id)]
    text = assistant.article(article_id).text
    return {text[s.start : s.end]: s.day for group in records.sentence_days(chunks).values() for s in group}


def test_each_sentence_is_stored_with_the_day_it_speaks_about(bridge: Assistant) -> None:
    days = _days_of(bridge, "a-sperrung")
    named = next(day for text, day in days.items() if text.startswith("Am Mittwoch"))
    plain = next(day for text, day in days.items() if text.startswith("Autofahrer"))
    assert named == (20240306, 20240306)  # the Wednesday before the Thursday it was published
    assert plain == (20240307, 20240307)  # says nothing: its publication day
    assert (20240314, 20240314) in _days_of(bridge, "c-abriss").values()  # "Gestern" in a Friday article


def test_an_older_index_is_dated_once(bridge: Assistant) -> None:
    """An index from before sentences carried days: its sentences get them at the next run, and the flag stops
    a second pass."""
    path = bridge.index_dir / RECORDS_FILE
    bridge.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sentences SET day_first = NULL, day_last = NULL")
        db.execute("DELETE FROM meta WHERE key = ?", (SENTENCE_DAYS,))
        db.execute("UPDATE meta SET value = '1' WHERE key = ?", (VERSION_KEY,))  # from before the upgrade steps
    reopened = Assistant(bridge.settings, embeddings=bridge.embeddings)
    try:
        assert all(day is None for day in _days_of(reopened, "a-sperrung").values())
        report = reopened.index(BRIDGE[:1])  # unchanged: only the dating runs
        assert not report.changed
        assert (20240306, 20240306) in _days_of(reopened, "a-sperrung").values()
        assert reopened.records().get_meta(SENTENCE_DAYS) == DATING_VERSION
    finally:
        reopened.close()


def test_a_timeline_tells_the_story_in_time_order_verbatim(bridge: Assistant) -> None:
    timeline = bridge.timeline(QUESTION, as_of="2024-04-10")
    days = [entry.day for entry in timeline.entries]
    assert days == sorted(days, key=lambda d: d.first)
    wanted = {dt.date(2024, 3, 6), dt.date(2024, 3, 14), dt.date(2024, 4, 1)}
    assert wanted <= {d.first for d in days}, [d.to_json() for d in days]
    for entry in timeline.entries:
        for quote in entry.quotes:
            assert bridge.article(quote.article_id).text[quote.start : quote.end] == quote.text
            assert quote.article_id not in ("e-wetter", "f-fussball")
    closure = next(e for e in timeline.entries if e.day == DaySpan.day(dt.date(2024, 3, 6)))
    outlets = {closure.quotes[0].source, *closure.also_in}
    assert outlets == {"bote.de", "kurier.de"}  # one entry, the other outlet named once
    # the picture counts the story's articles, not every retrieved passage (the weather, the football)
    assert timeline.articles_per_day == {"2024-03-07": 2, "2024-03-15": 1, "2024-04-02": 1}
    assert len(bridge.timeline(QUESTION, max_entries=1).entries) == 1


def test_the_question_s_time_words_narrow_the_timeline(bridge: Assistant) -> None:
    timeline = bridge.timeline("Was ist seit dem 10. März mit der Brücke in Neustadt passiert?", as_of="2024-04-10")
    assert timeline.entries and all(e.day.first >= dt.date(2024, 3, 10) for e in timeline.entries)
    assert timeline.window == DaySpan(dt.date(2024, 3, 10), dt.date(2024, 4, 10))


def test_eval_timeline_scores_against_gold_and_baseline(bridge: Assistant, tmp_path: Path) -> None:
    gold = [
        {
            "topic": "bruecke",
            "question_de": QUESTION,
            "question_en": "How did the closure of the bridge in Neustadt develop?",
            "events": [
                {
                    "date": "2024-03-06",
                    "event": "Sperrung",
                    "evidence": [{"url": "a-sperrung", "quote": "x"}, {"url": "b-sperrung", "quote": "x"}],
                },
                {"date": "2024-03-14", "event": "Abriss", "evidence": [{"url": "c-abriss", "quote": "x"}]},
                {"date": "2024-04-01", "event": "Neubau", "evidence": [{"url": "d-neubau", "quote": "x"}]},
            ],
        }
    ]
    path = tmp_path / "timelines.json"
    path.write_text(json.dumps(gold), encoding="utf-8")
    report = evaluation.run(bridge, path, max_entries=4)
    overall = report.overall["timeline"]
    assert overall["date_recall"] == 1.0 and overall["verbatim"] == 1.0 and overall["evidence_recall"] == 1.0
    assert overall["date_f1"] > report.overall["baseline"]["date_f1"]
    assert "overall" in evaluation.report_text(report)


def test_match_days_pairs_each_event_once() -> None:
    day = dt.date(2024, 3, 6)
    entries = [day, day + dt.timedelta(days=1), day + dt.timedelta(days=5)]
    assert sorted(evaluation.match_days(entries, [day])) == [(0, 0)]
    assert len(evaluation.match_days(entries, [day, day + dt.timedelta(days=2)])) == 2


@pytest.mark.slow
def test_timeline_command_prints_the_json_shape(bridge: Assistant, tmp_path: Path) -> None:
    index_dir = str(bridge.index_dir)
    bridge.close()
    command = [sys.executable, "-m", "assistant.cli", "timeline", QUESTION, "--index-dir", index_dir]
    result = subprocess.run(
        [*command, "--json", "--as-of", "2024-04-10", "--max-entries", "5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["question", "entries"] and 1 <= len(data["entries"]) <= 5
    for entry in data["entries"]:
        assert list(entry) == ["day", "quotes", "also_in"]
        assert isinstance(entry["day"], str) and len(entry["day"]) == 10
        for quote in entry["quotes"]:
            assert list(quote) == ["text", "article_id", "title", "source", "published", "start", "end"]
    bad = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "timeline", QUESTION, "--index-dir", index_dir, "--as-of", "gestern"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 1 and "AS_OF" in bad.stderr and "gestern" in bad.stderr


def test_ask_answers_a_development_question_with_a_timeline_in_its_own_shape(bridge: Assistant) -> None:
    answer = bridge.ask(QUESTION)
    data = answer.to_dict()
    assert list(data) == ["question", "answer", "abstained", "quotes", "passages"]
    assert not answer.abstained and len(answer.quotes) >= 3
    days = [q.day for q in answer.quotes]
    assert days == sorted(days) and "2024-03-06" in days
    for quote in answer.quotes:
        assert bridge.article(quote.article_id).text[quote.start : quote.end] == quote.text
        assert any(p.article_id == quote.article_id and p.start <= quote.start < p.end for p in answer.passages)


def test_a_question_s_window_chooses_the_quoted_days(bridge: Assistant) -> None:
    """Asked "Was geschah vergangene Woche …" on 20 March: the week of 11-17 March (the demolition), not the
    closure, and "Woche" is no search term; every quote says the day it speaks about."""
    answer = bridge.ask("Was geschah vergangene Woche an der Brücke in Neustadt?", k=3)
    assert answer.quotes and not answer.abstained
    assert all(q.day and "2024-03-11" <= q.day <= "2024-03-17" for q in answer.quotes), answer.quotes
    assert answer.question == "Was geschah vergangene Woche an der Brücke in Neustadt?"
    plain = bridge.ask("Was fanden die Prüfer im Beton der Brücke in Neustadt?", k=3)
    assert plain.quotes[0].day == "2024-03-06", plain.quotes  # the day its sentence names


def test_latest_favours_the_newest_relevant_article(bridge: Assistant) -> None:
    answer = bridge.ask("Was gibt es zuletzt Neues zur Brücke in Neustadt?", k=2)
    assert answer.passages and answer.passages[0].article_id == "d-neubau"


def test_time_words_stay_search_terms_in_an_undated_archive(assistant: Assistant) -> None:
    """An encyclopaedia has no publication days: "im Jahr 1989" is what is asked about, not a window."""
    assistant.index(
        [
            Article(id="mauer", text="Die Berliner Mauer fiel im Jahr 1989 nach friedlichen Protesten in der DDR."),
            Article(id="bahn", text="Die erste deutsche Eisenbahn fuhr im Jahr 1835 von Nürnberg nach Fürth."),
        ]
    )
    answer = assistant.ask("Was geschah im Jahr 1989 in Berlin?", k=2)
    assert not answer.abstained and answer.quotes[0].article_id == "mauer"
    assert assistant.ask("Wie hat sich die Eisenbahn entwickelt?", k=2).quotes  # no dated events: answered as ever


def test_an_undated_article_has_a_timeline_of_the_times_it_names(indexed: Assistant) -> None:
    """The seed has no publication day; its sentences name "Februar 2022", "Herbst 2023", "im August 2024"."""
    timeline = indexed.timeline("Wie haben sich die Gespräche über die Energieinfrastruktur entwickelt?")
    spans = [entry.day for entry in timeline.entries]
    assert spans == sorted(spans, key=lambda span: span.first) and len(spans) >= 3
    assert DaySpan(dt.date(2023, 9, 1), dt.date(2023, 11, 30)) in spans  # "im Herbst 2023"
    assert DaySpan(dt.date(2024, 8, 1), dt.date(2024, 8, 31)) in spans  # "im August 2024"
    for entry in timeline.entries:
        quote = entry.quotes[0]
        assert indexed.article(quote.article_id).text[quote.start : quote.end] == quote.text
    assert indexed.ask("Wie haben sich die Gespräche entwickelt?").answer.startswith(phrase("de", "timeline_intro"))
    shown = timeline_html(timeline, "de")  # the chat: each span, and no publication day where there is none
    assert "2023-09-01 – 2023-11-30" in shown and "na-tl-published" not in shown


def test_the_chat_shows_the_day_a_quote_speaks_about() -> None:
    from assistant.answers import Answer, Quote
    from assistant.serve.chat_html import message_html

    quote = Quote("Am Mittwoch <b>sperrte</b> die Stadt die Brücke.", "a", 0, 47, 1.0, "T", "bote.de", "2024-03-07")
    dated = Answer("Frage", "Antwort [1]", False, [dataclasses.replace(quote, day="2024-03-06")], [], "de")
    shown = message_html(dated)
    assert "spricht vom 06.03.2024" in shown and "07.03.2024" in shown and "<b>" not in shown
    same_day = Answer("Frage", "Antwort [1]", False, [dataclasses.replace(quote, day="2024-03-07")], [], "de")
    assert "spricht vom" not in message_html(same_day)


@pytest.mark.slow
def test_days_are_stored_on_a_chroma_server_and_reach_every_cache(
    chroma_server: ChromaServer,
    tmp_path: Path,
    embeddings,
) -> None:
    """Sentences on the server carry their days; a new machine's cache gets them, and dates from the text the
    sentences an older version stored without."""
    settings = Settings(index_dir=tmp_path / "one", chroma_url=chroma_server.url, as_of="2024-04-10")
    writer = Assistant(settings, embeddings=embeddings)
    writer.index(BRIDGE[:4])
    server = writer.records().server
    got = server.sentences.get(where={"article_id": "a-sperrung"}, include=["metadatas"])
    assert {(m["day_first"], m["day_last"]) for m in got["metadatas"]} >= {(20240306, 20240306)}
    older = server.sentences.get(where={"article_id": "c-abriss"}, include=["metadatas"])
    server.sentences.update(  # as an older version wrote them: no days
        ids=older["ids"],
        metadatas=[{k: v for k, v in m.items() if not k.startswith("day_")} for m in older["metadatas"]],
    )
    server.touch()
    writer.close()

    reader = Assistant(settings.model_copy(update={"index_dir": tmp_path / "two"}), embeddings=embeddings)
    try:
        assert (20240306, 20240306) in _days_of(reader, "a-sperrung").values()
        assert (20240314, 20240314) in _days_of(reader, "c-abriss").values()  # dated on the way into the cache
        entries = reader.timeline(QUESTION).entries
        assert {dt.date(2024, 3, 6), dt.date(2024, 3, 14)} <= {e.day.first for e in entries}
    finally:
        reader.close()


def test_a_question_in_another_language_searches_with_the_timelines_weights(bridge: Assistant) -> None:
    """An English development question over German articles: the timeline's search weighs the passage's own
    vector more than an answer's does (`TIMELINE_CROSS_LINGUAL`); a German question searches as any question."""
    records = bridge.records()

    def scores(question: str, factory: RetrieverFactory | None = None) -> list[tuple[str, float]]:
        topic = timeline_topic(question_time(question, dt.date(2024, 4, 10)).searched)
        vector = bridge.embeddings.embed_query_array(topic)
        found = bridge._search(records, make_question(topic), vector, TIMELINE_PASSAGES, factory)
        return [(p.chunk_id, round(p.score, 6)) for p in found]

    def timeline_scores(question: str) -> list[tuple[str, float]]:
        passages = bridge._timeline(question, None, "2024-04-10", 12)[1]
        return [(p.chunk_id, round(p.score, 6)) for p in passages]

    english = "How did the closure of the bridge in Neustadt develop?"
    assert timeline_scores(english) == scores(english, timeline_retriever) != scores(english)
    assert timeline_scores(QUESTION) == scores(QUESTION) != scores(QUESTION, timeline_retriever)


HEADLINED = [  # the closure's report, and a commentary that restates the story in more sentences, later
    Article(
        id="report",
        source="bote.de",
        title="Neustadt: Sperrung der Brücke",
        published="2024-03-07",
        text="Neustadt: Sperrung der Brücke\n\nDie Stadt Neustadt hat die Brücke über die Lahn gesperrt, weil Prüfer "
        "tiefe Risse im Beton gefunden haben.",
    ),
    Article(
        id="comment",
        source="kurier.de",
        title="Kommentar: Das Land spart an allem",
        published="2024-03-12",
        text="Kommentar: Das Land spart an allem\n\nDie gesperrte Brücke in Neustadt über die Lahn zeigt, wie "
        "marode die Brücken im Land sind. Die Sperrung der Brücke in Neustadt trifft Pendler und Handwerker.",
    ),
]


def test_a_day_headlined_with_the_story_beats_a_commentary_that_restates_it(assistant: Assistant) -> None:
    """The commentary's day has more relevant sentences, the report's headline names the story: the headline
    marks the event day (`assistant.timeline.headlines`, building's HEADLINED_WEIGHT)."""
    assistant.index(HEADLINED)
    timeline = assistant.timeline(QUESTION, max_entries=1, as_of="2024-04-10")
    assert [e.day.first for e in timeline.entries] == [dt.date(2024, 3, 7)]


def test_a_headline_names_the_story_by_the_question_s_rare_words() -> None:
    rare = {"tonni": 5.0, "corona": 0.5, "ausbruch": 1.5}
    names = headline_names_story(("corona", "ausbruch", "tonni"), lambda stem: rare.get(stem, 1.0))
    assert names is not None
    assert names("Corona bei Tönnies: Schlachtbetrieb gestoppt")  # 5.5 of 7
    assert not names("Corona-Ausbruch in Kita: Gruppen geschlossen")  # 2.0 of 7
    assert headline_names_story((), lambda stem: 1.0) is None
