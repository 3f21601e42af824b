"""Conversations that last, in a real browser: a question asked, the page reloaded (the in-page chat is gone),
the conversation picked from the side panel, resumed with its sources, and exported as Markdown."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant import Assistant, Settings
from assistant.serve.chat_app import build_app, launch
from tests.helpers import BROWSER_TEST, ask
from tests.ports import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER_TEST

MEDIATE = "Wer sollte die Gespräche vermitteln?"


@pytest.fixture
def chat_url(tmp_path: Path, seed_index: Path, embeddings: Any) -> Iterator[str]:
    shutil.copytree(seed_index, tmp_path / "index")
    assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings)
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield url
    app.close()
    assistant.close()


def test_a_conversation_survives_a_reload_and_is_resumed_and_exported(chat_url: str, page: Page) -> None:
    page.goto(chat_url, wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    ask(page, MEDIATE)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    assert page.locator(".na-msg").count() == 0  # the page's own chat is gone after a reload

    page.click("#na-kept button:has-text('Gespräche'), #na-kept >> text=Gespräche")
    page.click("#na-kept-list input")
    page.click(f"[role=option]:has-text('{MEDIATE[:20]}')")
    page.click("#na-resume")
    page.wait_for_selector("#na-chat .na-source mark")
    assert MEDIATE in page.locator("#na-chat").inner_text()

    page.click("#na-export")
    link = page.wait_for_selector("#na-exported a[href]")
    href = link.get_attribute("href") or ""
    url = href if href.startswith("http") else chat_url + href
    with urllib.request.urlopen(url, timeout=30) as response:
        markdown = response.read().decode("utf-8")
    assert markdown.startswith(f"# {MEDIATE}") and "Katar" in markdown and "> " in markdown
