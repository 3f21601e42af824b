"""Saved questions in the "Geschichten" tab in a real headless Chromium: a question is saved, and "Was ist neu?"
shows as a short chat the question's story at the first look, nothing at the next, and after new articles arrive
only their sentences (verbatim, without what the first look showed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant import Assistant, Settings
from assistant.serve.chat_app import build_app, launch
from tests.helpers import BROWSER_TEST
from tests.ports import free_port
from tests.stories_samples import ARTICLES

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_TEST
QUESTION = "Was gibt es Neues vom Brand im Lager Kara Tepe auf Lesbos?"


@pytest.fixture
def chat(tmp_path: Path, embeddings: Any) -> Iterator[tuple[str, Assistant]]:
    assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings)
    assistant.index([a for a in ARTICLES if a.id != "fire-3"])
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield url, assistant
    app.close()
    assistant.close()


def test_a_saved_question_shows_what_is_new_as_a_chat(chat: tuple[str, Assistant], page: Page) -> None:
    url, assistant = chat
    shown = page.locator("#na-saved-digest")

    def look(expect: str) -> None:
        before = shown.inner_html()
        page.locator("#na-saved-look").click()
        page.wait_for_function(
            "([before, expect]) => { const e = document.querySelector('#na-saved-digest');"
            " return e.innerHTML !== before && e.querySelector(expect) !== null; }",
            arg=[before, expect],
        )

    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    page.get_by_role("tab", name="Geschichten").click()
    page.locator("#na-saved-question textarea").fill(QUESTION)
    page.locator("#na-saved-add").click()
    page.wait_for_function("document.querySelector('#na-saved-question textarea').value === ''")
    assert page.locator("#na-saved-list input").input_value() == QUESTION

    look(".na-saved-story")
    assert shown.locator(".na-saved-user").inner_text() == QUESTION
    first = shown.locator(".na-saved-story").first
    articles = {q.get_attribute("data-article-id") for q in first.locator(".na-saved-quote").all()}
    assert articles <= {"fire-1", "fire-2"} and articles
    assert "Die Polizei ermittelt wegen Brandstiftung." in first.locator("q").all_inner_texts()

    look(".na-saved-nothing")
    assert "Nichts Neues" in shown.inner_text()

    assistant.index([a for a in ARTICLES if a.id == "fire-3"])
    look(".na-saved-story")
    story = shown.locator(".na-saved-story").first
    quotes = story.locator(".na-saved-quote").all()
    assert {q.get_attribute("data-article-id") for q in quotes} == {"fire-3"}
    texts = story.locator(".na-saved-quote > q").all_inner_texts()
    fire3 = next(a for a in ARTICLES if a.id == "fire-3").text
    assert texts and all(text in fire3 for text in texts)
    assert "Das Technische Hilfswerk schickt Zelte und Feldbetten nach Lesbos." in texts
    assert "Die Polizei ermittelt wegen Brandstiftung." not in texts
