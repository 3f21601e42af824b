"""A development question asked in the chat, in a real headless Chromium: the answer is drawn as a vertical
timeline (entries in time order, each its day, the verbatim quote, outlet, publication day, "auch in: …"), with
"Stand: …" (the day taken as now) and a small picture of articles per day with the entries' days marked; markup
in an article stays text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant import Assistant, Settings
from assistant.articles import Article
from assistant.serve.chat_app import build_app, launch
from assistant.timeline.model import Timeline
from tests.helpers import BROWSER_TEST, ask, serve_app
from tests.ports import free_port
from tests.timeline_samples import BRIDGE, QUESTION

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_TEST

NOW = "2024-04-10"
HOSTILE = Article(
    id="g-gutachten",
    title='Lahnbrücke: Gutachten <img src=x onerror="window.__pwned=1">',
    source="<b>lahnpost</b>",
    published="2024-03-22",  # a Friday
    text="Lahnbrücke: Gutachten\n\nAm Donnerstag legten Gutachter der Stadt Neustadt ihren Bericht <b>zur "
    "gesperrten Brücke</b> über die Lahn vor <script>window.__pwned=2</script>. Die Brücke sei nicht zu retten.",
)


def _when(day: str | dict[str, str]) -> str:
    return day if isinstance(day, str) else f"{day['start']} – {day['end']}"


@dataclass
class Chat:
    url: str
    timeline: Timeline


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[Chat]:
    root: Path = tmp_path_factory.mktemp("timeline-browser")
    assistant = Assistant(Settings(index_dir=root / "index", as_of=NOW), embeddings=embeddings)
    assistant.index([*BRIDGE, HOSTILE])
    expected = assistant.timeline(QUESTION)
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield Chat(url, expected)
    app.close()
    assistant.close()


def test_a_development_question_is_drawn_as_a_timeline(chat: Chat, page: Page) -> None:
    expected = chat.timeline
    assert len(expected.entries) >= 3
    hostile = [q.text for e in expected.entries for q in e.quotes if q.article_id == HOSTILE.id]
    assert hostile and "<script>" in hostile[0]  # the article's markup is in a quote the chat shows
    page.goto(chat.url, wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    shown = ask(page, QUESTION)
    timeline = shown.locator(".na-timeline")
    assert f"Stand: {NOW}" in timeline.locator(".na-tl-as-of").inner_text()

    entries = timeline.locator(".na-tl-entry").all()
    days = [entry.locator(".na-tl-day").inner_text() for entry in entries]
    assert days == [_when(e.day.to_json()) for e in expected.entries]
    assert days == sorted(days)
    for entry, want in zip(entries, expected.entries, strict=True):
        assert entry.locator("q").all_inner_texts() == [q.text for q in want.quotes]
        assert entry.locator(".na-tl-source").all_inner_texts() == [q.source for q in want.quotes]
        published = entry.locator(".na-tl-published").all_inner_texts()
        assert published == [q.published for q in want.quotes]
        if want.also_in:
            assert entry.locator(".na-tl-also").inner_text() == "auch in: " + ", ".join(want.also_in)
        else:
            assert entry.locator(".na-tl-also").count() == 0

    chart = timeline.locator("svg.na-tl-chart")
    marks = chart.locator("rect.na-tl-mark title").all_text_contents()  # the sanitizer keeps no data-*
    assert marks == days
    starts = [float(m.get_attribute("x") or -1) for m in chart.locator("rect.na-tl-mark").all()]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    bars = dict(t.split(": ") for t in chart.locator("rect.na-tl-bar title").all_text_contents())
    assert {day: int(n) for day, n in bars.items()} == expected.articles_per_day and bars
    assert chart.bounding_box()["width"] > 100  # type: ignore[index]

    assert "<script>" in timeline.inner_text() and "<b>lahnpost</b>" in timeline.inner_text()
    assert timeline.locator("img, script, b").count() == 0
    assert page.evaluate("window.__pwned") is None


SEED_QUESTION = "Wie haben sich die Gespräche über die Energieinfrastruktur entwickelt?"


def test_the_undated_seed_gets_a_timeline_of_the_spans_it_names(tmp_path: Path, embeddings: Any, page: Page) -> None:
    """The bundled article has no publication day: its timeline is the months and seasons it names with their
    year, each shown as its span, and no entry claims a publication day it does not have."""
    with serve_app(tmp_path, embeddings) as served:
        expected = served.assistant.timeline(SEED_QUESTION)
        page.goto(served.url, wait_until="domcontentloaded")
        page.wait_for_selector("#na-question textarea")
        timeline = ask(page, SEED_QUESTION).locator(".na-timeline")
        days = timeline.locator(".na-tl-day").all_inner_texts()
    assert "2023-09-01 – 2023-11-30" in days  # "im Herbst 2023"
    assert "2024-08-01 – 2024-08-31" in days  # "im August 2024"
    assert days == [e.day.shown() for e in expected.entries] and days == sorted(days)
    assert all(" – " in day for day in days)  # spans, not days
    quotes = timeline.locator("q").all_inner_texts()
    assert any("im August 2024 unter Vermittlung Katars" in q for q in quotes)
    assert timeline.locator(".na-tl-published").count() == 0  # no "veröffentlicht ?"
    assert "?" not in timeline.locator(".na-tl-entry .na-where").first.inner_text()
