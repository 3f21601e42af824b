"""The chat in a real headless Chromium: streamed answers, highlighted quotes, uploads, and inert article HTML.

Debian's `chromium` is driven by Python playwright (`playwright install` cannot download a browser here);
`scripts/test` installs it when missing. A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import CHROMIUM, MEDIATE, Served, ask
from tests.samples import BUS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; scripts/test does it)",
    ),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

LETTER = """---
title: 'Leserbrief <img src=x onerror="window.__pwned=4">'
source: Testzeitung
published: 2024-06-01
---
Der Leserbrief enthielt Code: <script>window.__pwned = 1</script> und ein Bild <img src=x onerror="window.__pwned=2">.
Die Redaktion der Testzeitung veröffentlicht Leserbriefe immer als reinen Text, erklärte Chefredakteurin Petra Sommer.
"""


@pytest.fixture(scope="module")
def served_articles() -> dict[str, str]:
    """The seeds and a letter full of markup."""
    return {"leserbrief.txt": LETTER}


@pytest.fixture
def page(page: Page, served: Served) -> Page:
    """A fresh page (conftest's `page`) on the chat, its status shown."""
    page.goto(served.url, wait_until="domcontentloaded")  # a Gradio page never reaches "networkidle"
    page.wait_for_selector("#na-question textarea")
    page.wait_for_selector("#na-status .na-status")
    return page


def offsets(mark: Any) -> tuple[int, int]:
    """The quote's offsets, from the highlight's tooltip ("Zitat: Zeichen 120–245 des Artikels")."""
    start, end = re.search(r"(\d+)–(\d+)", mark.get_attribute("title")).groups()
    return int(start), int(end)


def record_streaming(page: Any) -> None:
    """Remember every length the growing answer text had, as the browser saw it."""
    page.evaluate(
        """() => {
            window.__frames = [];
            new MutationObserver(() => {
                const texts = document.querySelectorAll('.na-text.na-streaming');
                if (texts.length) window.__frames.push(texts[texts.length - 1].textContent.length);
            }).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )


def test_the_answer_streams_in_and_ends_with_highlighted_numbered_sources(page: Any, served: Served) -> None:
    record_streaming(page)
    answer = ask(page, MEDIATE)

    frames = page.evaluate("window.__frames")
    assert len(set(frames)) >= 3, f"the answer did not arrive in pieces: {frames}"
    assert answer.locator(".na-text").text_content().strip()  # (which sentences: the answerer's business)
    sources = answer.locator(".na-source")
    markers = sorted({int(n) for n in answer.locator(".na-text .na-cite").all_text_contents()})
    numbers = [int(n) for n in answer.locator(".na-source .na-num").all_text_contents()]
    assert markers == numbers == list(range(1, len(numbers) + 1))  # quotes of one passage share its card
    for n in range(sources.count()):
        source = sources.nth(n)
        article = served.assistant.article(source.locator(".na-id").text_content())
        marks = source.locator(".na-passage mark")
        assert marks.count() == source.locator(".na-num").count()  # a mark per quote of the card, in order
        spans = [offsets(marks.nth(m)) for m in range(marks.count())]
        assert [marks.nth(m).text_content() for m in range(marks.count())] == [article.text[a:b] for a, b in spans]
        assert source.locator(".na-title").text_content() == article.title
        assert article.source in source.locator(".na-meta").text_content()
        whole = source.locator(".na-article")
        assert not whole.locator("mark").first.is_visible()
        whole.locator("summary").click()
        assert whole.locator("mark").first.is_visible()
        assert whole.locator(".na-article-text").text_content() == article.text
        assert whole.locator("mark").all_text_contents() == [article.text[a:b] for a, b in spans]


def test_a_follow_up_is_searched_with_the_conversation_and_says_so(page: Any) -> None:
    page.click("#na-chat button.example >> nth=0")  # the example "Worüber verhandeln Russland und die Ukraine?"
    page.wait_for_selector(".na-msg .na-sources")
    first = page.locator(".na-msg").last
    assert first.locator(".na-searched").count() == 0
    follow_up = ask(page, "Und wer sollte vermitteln?")
    searched = follow_up.locator(".na-searched").text_content()
    assert searched == "Gesucht wurde: „Worüber verhandeln Russland und die Ukraine? Und wer sollte vermitteln?“"
    assert follow_up.locator(".na-sources .na-source").count() >= 1  # quoted, or the closest passages


def test_upload_an_article_and_ask_about_it(page: Any, served: Served, tmp_path: Path) -> None:
    upload = tmp_path / "wasserstoffbus.txt"
    upload.write_text(BUS, encoding="utf-8")
    before = served.assistant.status().articles

    page.set_input_files("#na-upload input[type=file]", str(upload))
    row = page.wait_for_selector("#na-report .na-row[data-status]")
    assert row.get_attribute("data-status") == "added"
    assert "wasserstoffbus.txt" in row.text_content() and "added" in row.text_content()
    page.wait_for_function(f"document.querySelector('#na-status b').textContent === '{before + 1}'")

    answer = ask(page, "Wie heißt der Wasserstoffbus der Stadtwerke Musterstadt?")
    source = answer.locator(".na-source").first
    assert source.locator(".na-id").text_content() == "index/uploads/wasserstoffbus.txt"
    assert source.locator(".na-title").text_content() == "Stadtwerke Musterstadt testen Wasserstoffbus"
    assert "02.11.2024" in source.locator(".na-meta").text_content()


def test_markup_in_an_article_is_shown_as_text_and_runs_nothing(page: Any) -> None:
    answer = ask(page, "Wie veröffentlicht die Testzeitung Leserbriefe?")
    source = answer.locator(".na-source").first
    assert source.locator(".na-id").text_content() == "articles/leserbrief.txt"
    for summary in answer.locator(".na-article summary").all():
        summary.click()
    page.wait_for_timeout(500)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert answer.locator("script, img").count() == 0
    article_text = source.locator(".na-article-text").text_content()
    assert '<script>window.__pwned = 1</script> und ein Bild <img src=x onerror="window.__pwned=2">' in article_text
    assert source.locator(".na-title").text_content() == 'Leserbrief <img src=x onerror="window.__pwned=4">'


def test_empty_questions_and_bad_dates_get_clear_messages(page: Any) -> None:
    page.press("#na-question textarea", "Enter")
    page.wait_for_selector(".na-notice")
    assert "Bitte geben Sie eine Frage ein" in page.locator(".na-notice").last.text_content()

    page.click("#na-options button")  # open the accordion "Suchoptionen"
    page.fill("#na-from input, #na-from textarea", "gestern")
    answer = ask(page, MEDIATE)
    assert "ist kein Datum" in answer.text_content() and "JJJJ-MM-TT" in answer.text_content()
    assert "Traceback" not in page.content()


def test_status_and_source_filter_options(page: Any, served: Served) -> None:
    status = page.locator("#na-status").text_content()
    assert f"{served.assistant.status().articles}Artikel" in re.sub(r"\s+", "", status)
    assert "multilingual-e5-small" in status and "Zuletzt geändert" in status
    page.click("#na-options button")
    page.click("#na-sources input")
    options = page.locator("ul[role=listbox] li")
    assert {"Financial Times", "Testzeitung"} <= {o.strip(" ✓") for o in options.all_text_contents()}
    options.filter(has_text="Testzeitung").click()
    page.click("#na-question textarea")  # close the list

    answer = ask(page, MEDIATE)
    shown = answer.locator(".na-source-name").all_text_contents()
    assert shown and set(shown) == {"Testzeitung"}


def test_english_questions_get_english_labels(page: Any) -> None:
    answer = ask(page, "Who was supposed to mediate the talks between Russia and Ukraine?")
    title = answer.locator(".na-sources-title").text_content()
    assert title in {"Sources", "Passages closest to the question"}
    if title == "Sources":
        assert answer.locator(".na-article summary").first.text_content() == "Show the whole article"


def test_an_overview_question_about_one_source_quotes_the_article_s_lead(page: Any, served: Served) -> None:
    page.click("#na-options button")
    page.click("#na-sources input")
    page.locator("ul[role=listbox] li").filter(has_text="Financial Times").click()
    page.click("#na-question textarea")  # close the list

    answer = ask(page, "Worum geht es in dem Artikel?")
    first = answer.locator(".na-source").first
    article = served.assistant.article(first.locator(".na-id").text_content())
    lead = first.locator(".na-passage mark").first  # the lead's sentences share the first passage's card
    start, end = offsets(lead)
    assert start == len(article.text) - len(article.text.lstrip())  # the article's very first sentence
    assert lead.text_content() == article.text[start:end]
    assert article.text[start:end].startswith("Die Financial Times (FT) hat berichtet")


def test_a_short_answer_comes_first_marked_in_its_quote_and_a_missing_detail_is_declined(
    page: Any, served: Served
) -> None:
    from assistant.phrases import phrase

    answer = ask(page, "Wann sollten die Verhandlungen unter Vermittlung Katars beginnen?")
    short = answer.locator(".na-short .na-short-text")
    assert short.text_content() == "August 2024"
    first = page.evaluate(  # the short answer stands before the answer's text
        "(msg) => !!(msg.querySelector('.na-short').compareDocumentPosition(msg.querySelector('.na-text')) & 4)",
        answer.element_handle(),
    )
    assert first
    source = answer.locator(".na-source").first
    article = served.assistant.article(source.locator(".na-id").text_content())
    mark = source.locator(".na-passage mark").first
    start, end = offsets(mark)
    assert mark.text_content() == article.text[start:end]  # the quote, verbatim, with the answer marked inside it
    inner = mark.locator("strong.na-answer")
    assert inner.count() == 1 and inner.text_content() == "August 2024"
    assert inner.is_visible()
    assert "August 2024" in article.text[start:end]

    declined = ask(page, "Wie viele Diplomaten schickte Katar zu den Gesprächen?")
    assert declined.locator(".na-text").text_content().strip() == phrase("de", "missing_number")
    assert declined.locator(".na-short").count() == 0 and declined.locator("mark").count() == 0
    assert declined.locator(".na-near").count() >= 1  # the nearest passages, as before
