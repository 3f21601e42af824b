"""The "Geschichten" view in a real headless Chromium: the current stories listed, one chosen and shown with its
dates, outlets, dated verbatim quotes and its articles-per-day picture; markup in an article stays text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant import Assistant, Settings
from assistant.articles import Article
from assistant.serve.chat_app import build_app, launch
from tests.helpers import BROWSER_TEST
from tests.ports import free_port
from tests.stories_samples import ARTICLES

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_TEST

HOSTILE = Article(
    id="hostile-1",
    title='Leserbrief <img src=x onerror="window.__pwned=1">',
    source="<b>testzeitung</b>",
    published="2024-03-09",
    text="Der Leserbrief enthielt Code: <script>window.__pwned = 2</script> und ein Bild "
    '<img src=x onerror="window.__pwned=3">. Die Redaktion veröffentlicht Leserbriefe immer als reinen Text.',
    url="https://testzeitung.example/hostile-1",
)


@dataclass
class Chat:
    url: str
    assistant: Assistant


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[Chat]:
    root: Path = tmp_path_factory.mktemp("stories-browser")
    assistant = Assistant(Settings(index_dir=root / "index"), embeddings=embeddings)
    assistant.index([*ARTICLES, HOSTILE])
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield Chat(url, assistant)
    app.close()
    assistant.close()


def test_the_stories_view_lists_stories_and_shows_one(chat: Chat, page: Page) -> None:
    stories = chat.assistant.stories()
    fire = next(s for s in stories if "fire-1" in s.article_ids)
    page_data = chat.assistant.story(fire.id)
    hostile = next(s for s in stories if "hostile-1" in s.article_ids)
    page.goto(chat.url, wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    page.get_by_role("tab", name="Geschichten").click()
    page.wait_for_selector("#na-story-list label")
    labels = page.locator("#na-story-list label")
    assert labels.count() == len(stories)
    assert "Wählen Sie" in page.locator("#na-story-page").inner_text()

    labels.filter(has_text=fire.title).first.click()
    page.wait_for_selector("#na-story-page .na-story-title")
    shown = page.locator("#na-story-page")
    assert shown.locator(".na-story-title").inner_text() == fire.title
    dates = shown.locator(".na-story-dates").inner_text()
    assert "Zuerst gesehen: 2024-03-10" in dates and "Zuletzt aktualisiert: 2024-03-12" in dates
    rows = [row.inner_text().split("\t") for row in shown.locator(".na-story-outlets tbody tr").all()]
    assert [[cell.strip() for cell in row] for row in rows] == [
        [o.source, str(o.articles), o.first_report] for o in fire.outlets
    ]
    quotes = shown.locator(".na-story-quote q").all_inner_texts()
    assert quotes == [q.text for q in page_data.timeline] and quotes
    for quote in page_data.timeline:
        assert chat.assistant.article(quote.article_id).text[quote.start : quote.end] == quote.text
    dots = shown.locator("svg.na-story-chart g.na-story-dot")
    attribute = "data-articles"
    drawn = sorted(
        (
            dot.get_attribute("data-day"),
            dot.get_attribute("data-outlet"),
            int(dot.get_attribute(attribute) or 0),
        )
        for dot in dots.all()
    )
    assert drawn == page_data.per_day
    assert shown.locator("svg.na-story-chart").bounding_box()["width"] > 100  # type: ignore[index]

    labels.filter(has_text="Leserbrief").first.click()
    page.wait_for_selector(f"#na-story-page [data-story-id='{hostile.id}']")
    assert shown.locator(".na-story-title").inner_text() == HOSTILE.title
    assert "<b>testzeitung</b>" in shown.locator(".na-story-outlets").inner_text()
    assert "<script>" in shown.locator(".na-story-timeline").inner_text() or all(
        "<script>" not in q.text for q in chat.assistant.story(hostile.id).timeline
    )
    assert shown.locator("img, script, .na-story-outlets b").count() == 0
    assert page.evaluate("window.__pwned") is None
