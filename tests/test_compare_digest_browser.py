"""The outlet comparison and "what is new" in a real headless Chromium: a comparison question in the Chat is answered
per outlet (the outlets, a statement once with "auch in", one outlet's statement marked, a difference side by side),
"Was ist neu seit …?" per story with an update beside its earlier quote, the "Neu seit …" box of the stories tab,
and "seit meinem letzten Besuch" (what was indexed since, an old article too) after a first visit; every quote
shown is its article's text at its offsets, and markup in an article stays text. One server and one browser for
the module."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant import Assistant, Settings
from assistant.articles import Article
from assistant.serve.chat_app import build_app, launch
from assistant.serve.conversations import LOCAL_USER, Conversations
from assistant.serve.saved_questions import SavedQuestions
from assistant.serve.story_view import story_label
from assistant.serve.user_store import UserRecord
from assistant.serve.visits import VISIT, Visits
from tests.helpers import ARTIFACTS, BROWSER_TEST, CHROMIUM, CHROMIUM_ARGS, ask
from tests.ports import free_port
from tests.stories_samples import ARTICLES, LATE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = BROWSER_TEST

HOSTILE_SENTENCE = (
    "Ein Leser schickte uns aus Kara Tepe den Satz <script>window.__pwned=2</script>"
    '<img src=x onerror="window.__pwned=3"> als Gruß an die Redaktion.'
)
HOSTILE = Article(
    id="fire-4",
    title='Lesbos: <b>Kara Tepe</b> brennt <img src=x onerror="window.__pwned=1">',
    source="<i>ostkurier.de</i>",
    published="2024-03-11",
    text="Im Flüchtlingslager Kara Tepe auf Lesbos ist ein Großbrand ausgebrochen. Die Bewohner des Lagers flohen in "
    f"die umliegenden Olivenhaine. {HOSTILE_SENTENCE}",
    url="https://ostkurier.example/fire-4",
)
COMPARE = "Wie berichten die Medien über den Brand im Lager Kara Tepe?"
DIGEST = "Was ist neu seit dem 11.3.2024?"


@dataclass
class Chat:
    url: str
    assistant: Assistant
    browser: Browser


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[Chat]:
    from playwright.sync_api import sync_playwright

    root: Path = tmp_path_factory.mktemp("compare-browser")
    settings = Settings(index_dir=root / "index", as_of="2024-03-12")  # "gestern" is 11 March 2024
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([*ARTICLES, HOSTILE])
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield Chat(url, assistant, browser)
        browser.close()
    app.close()
    assistant.close()


@pytest.fixture(scope="module")
def page(chat: Chat) -> Iterator[Page]:
    """The page of the module's first visit (the visit test below opens a second one)."""
    page = chat.browser.new_page(viewport={"width": 1400, "height": 1100}, locale="de-DE")
    page.set_default_timeout(60_000)
    page.goto(chat.url, wait_until="domcontentloaded")
    page.wait_for_selector("#na-question textarea")
    yield page
    page.close()


def check_verbatim(message: Locator, assistant: Assistant) -> int:
    """Every quote card's marked text is its article's text at the card's offsets; returns how many cards."""
    cards = message.locator(".na-card").all()
    for card in cards:
        article = assistant.article(card.locator(".na-id").inner_text())
        start, end = map(int, re.fullmatch(r"\[(\d+):(\d+)\]", card.locator(".na-offsets").inner_text()).groups())  # type: ignore[union-attr]
        assert card.locator(".na-passage mark").text_content() == article.text[start:end]
        assert card.locator(".na-source-name").inner_text() == article.source
    return len(cards)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_a_comparison_question_is_answered_per_outlet(chat: Chat, page: Page) -> None:
    try:
        message = ask(page, COMPARE)
        outlets = message.locator(".na-compare-outlets .na-outlet").all_inner_texts()
        assert len(outlets) >= 3 and "<i>ostkurier.de</i>" in outlets  # an outlet's markup is text

        shared = message.locator(".na-shared")
        assert shared.count() >= 1
        also = shared.first.locator(".na-also").inner_text()
        assert also.startswith("auch in:") and len(also.split(":", 1)[1].split(",")) >= 1
        for statement in shared.all():  # an outlet that tells it with another number is not "auch in"
            if "rund 300 Zelte" in statement.locator(".na-passage mark").inner_text():
                assert "suedkurier.de" not in statement.locator(".na-also").inner_text()

        single = message.locator(".na-single").filter(has_text="Ein Leser schickte")
        assert "nur in <i>ostkurier.de</i>" in single.locator(".na-only").inner_text()
        assert single.locator(".na-passage mark").text_content() == HOSTILE_SENTENCE  # markup shown as text

        numbers = message.locator(".na-difference").filter(has_text="andere Zahlen")
        sides = numbers.first.locator(".na-side .na-passage mark").all_text_contents()
        assert sides == [
            "Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder.",
            "Nach Angaben der Feuerwehr brannten rund 350 Zelte nieder.",
        ]
        assert numbers.first.locator(".na-source-name").all_inner_texts() == ["nordkurier.de", "suedkurier.de"]
        assert message.locator(".na-difference").filter(has_text="andere Namen").count() == 1

        assert check_verbatim(message, chat.assistant) >= 6
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#na-chat img[src='x']").count() == 0

        kept = Conversations.of(chat.assistant).recent()  # the turn is kept as a plain answer with its quotes
        turn = kept[0].turns[0]
        quotes = turn.answer["quotes"]
        assert turn.question == COMPARE and "350 Zelte" in str(turn.answer["answer"])
        assert isinstance(quotes, list) and len(quotes) >= 6
        for quote in quotes:
            assert chat.assistant.article(quote["article_id"]).text[quote["start"] : quote["end"]] == quote["text"]
    except Exception:
        shot(page, "compare-failed.png")
        raise


def test_what_is_new_since_a_day_in_the_chat_and_in_the_stories_tab(chat: Chat, page: Page) -> None:
    try:
        message = ask(page, DIGEST)
        assert message.locator(".na-digest-head").inner_text().startswith("Neu seit dem 11.03.2024")
        titles = message.locator(".na-digest-title").all_inner_texts()
        fire = next(s for s in chat.assistant.stories() if "fire-1" in s.article_ids)
        assert fire.title in titles
        update = message.locator(".na-update")
        assert update.count() == 1
        assert update.locator(".na-earlier .na-passage mark").text_content() == (
            "Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder."
        )
        assert update.locator(".na-now .na-passage mark").text_content() == (
            "Nach Angaben der Feuerwehr brannten rund 350 Zelte nieder."
        )
        assert "andere Zahlen" in update.locator(".na-earlier-label").inner_text()
        new_ids = {card.inner_text() for card in message.locator(".na-digest-item > .na-card .na-id").all()}
        new_ids |= {card.inner_text() for card in message.locator(".na-now .na-id").all()}
        published = {chat.assistant.article(i).published for i in new_ids}
        assert new_ids and all(day is not None and day >= "2024-03-11" for day in published)  # only the window
        assert check_verbatim(message, chat.assistant) >= 5
        assert page.evaluate("window.__pwned") is None

        page.get_by_role("tab", name="Geschichten").click()
        assert page.locator("#na-digest-since textarea").input_value() == "gestern"  # the box's first choice
        page.locator("#na-digest-show").click()
        box = page.locator("#na-digest-page")
        box.locator(".na-digest-story").first.wait_for()
        assert box.locator(".na-digest-title").all_inner_texts() == titles
        assert box.locator(".na-update .na-now .na-passage mark").text_content() == (
            "Nach Angaben der Feuerwehr brannten rund 350 Zelte nieder."
        )
        page.locator("#na-digest-since textarea").fill("am Sankt-Nimmerleins-Tag")
        page.locator("#na-digest-show").click()
        page.wait_for_selector("#na-digest-page .na-error")
        page.get_by_role("tab", name="Chat").click()
    except Exception:
        shot(page, "digest-failed.png")
        raise


def test_the_story_list_is_filtered_by_window_and_outlet(chat: Chat, page: Page) -> None:
    listed = page.locator("#na-story-list label")

    def filtered(count: int) -> list[str]:
        page.locator("#na-stories-apply").click()
        page.wait_for_function(
            "n => document.querySelectorAll('#na-story-list label').length === n && "
            "document.querySelector('#na-story-page .na-story-found, #na-story-page .na-story-empty') !== null",
            arg=count,
        )
        return listed.all_inner_texts()

    def labels(**window: Any) -> list[str]:
        return [story_label(s) for s in chat.assistant.stories(**window)]

    try:
        page.get_by_role("tab", name="Geschichten").click()
        everything = labels()
        page.wait_for_function("n => document.querySelectorAll('#na-story-list label').length === n", arg=3)
        assert listed.all_inner_texts() == everything and len(everything) == 3  # fire, strike, weather

        page.locator("#na-stories-since textarea").fill("11.3.2024")
        page.locator("#na-stories-until textarea").fill("2024-03-11")
        expected = labels(since="2024-03-11", until="2024-03-11")
        assert len(expected) == 2  # the weather (12 March only) is not in it
        assert filtered(len(expected)) == expected
        assert page.locator("#na-story-page").inner_text().startswith(f"{len(expected)} Geschichten gefunden")

        page.locator("#na-stories-since textarea").fill("")
        page.locator("#na-stories-until textarea").fill("")
        page.locator("#na-stories-outlets input").click()
        page.locator("#na-stories-outlets [role=option][aria-label='<i>ostkurier.de</i>']").click()
        page.keyboard.press("Escape")
        expected = labels(sources=["<i>ostkurier.de</i>"])
        assert len(expected) == 1 and filtered(1) == expected  # an outlet's markup is a name, not markup

        page.locator("#na-stories-until textarea").fill("9.3.2024")  # the outlet's story began on the 10th
        filtered(0)
        assert "Keine Geschichte" in page.locator("#na-story-page").inner_text()
        page.locator("#na-stories-until textarea").fill("morgen")
        page.locator("#na-stories-apply").click()
        page.wait_for_selector("#na-story-page .na-error")
        assert "ist kein Datum" in page.locator("#na-story-page").inner_text()
        page.get_by_role("tab", name="Chat").click()
    except Exception:
        shot(page, "stories-filter-failed.png")
        raise


def test_a_saved_question_is_removed_in_the_chat(chat: Chat, page: Page) -> None:
    question = "Wie geht es weiter mit dem Bahnstreik der GDL?"
    saved = SavedQuestions.of(chat.assistant)
    kept = saved.save("Was gibt es Neues vom Brand im Lager Kara Tepe?")  # saved elsewhere (the CLI): stays
    try:
        page.get_by_role("tab", name="Geschichten").click()
        page.locator("#na-saved-question textarea").fill(question)
        page.locator("#na-saved-add").click()
        page.wait_for_function("document.querySelector('#na-saved-question textarea').value === ''")
        assert page.locator("#na-saved-list input").input_value() == question
        assert {q.question for q in saved.list()} == {question, kept.question}

        page.locator("#na-saved-remove").click()
        page.wait_for_selector("#na-saved-digest .na-saved-removed")
        assert page.locator("#na-saved-digest").inner_text() == f"Entfernt: „{question}“"
        assert page.locator("#na-saved-list input").input_value() == ""
        assert [q.id for q in saved.list()] == [kept.id]
        page.locator("#na-saved-list input").click()  # the list offers only the one left
        options = page.locator("#na-saved-list [role=option]")
        options.first.wait_for()
        assert [o.get_attribute("aria-label") for o in options.all()] == [kept.question]
        page.keyboard.press("Escape")
        page.get_by_role("tab", name="Chat").click()
    except Exception:
        shot(page, "saved-remove-failed.png")
        raise


def test_since_the_last_visit_shows_what_arrived(chat: Chat, page: Page) -> None:
    """Since the last visit is what was indexed since then, whatever day it was published: an article of the
    fire's first day indexed after the last visit shows, the articles indexed before it do not."""
    try:
        first = ask(page, "Was ist neu seit meinem letzten Besuch?")
        assert "keinen früheren Besuch" in first.inner_text()
    except Exception:
        shot(page, "visit-failed.png")
        raise
    visits = Visits(chat.assistant)  # the local user was last here now, after the archive was indexed, and is back
    last_here = time.time()
    visits.store().put(UserRecord(LOCAL_USER, VISIT, VISIT, VISIT, last_here, {"before": last_here}))
    other = Assistant(chat.assistant.settings, embeddings=chat.assistant.embeddings)  # another writer of the archive
    try:
        other.index(LATE)  # published on 10 March 2024, indexed after the visit
    finally:
        other.close()
    again = chat.browser.new_page(viewport={"width": 1400, "height": 1100}, locale="de-DE")
    again.set_default_timeout(60_000)
    try:
        again.goto(chat.url, wait_until="domcontentloaded")
        again.wait_for_selector("#na-question textarea")
        answer = ask(again, "Was ist neu seit meinem letzten Besuch?")
        head = answer.locator(".na-digest-head").inner_text()
        when = dt.datetime.fromtimestamp(last_here).strftime("%d.%m.%Y %H:%M")
        assert head.startswith(f"Neu seit Ihrem letzten Besuch ({when}")
        fire = next(s for s in chat.assistant.stories() if "fire-1" in s.article_ids)
        assert answer.locator(".na-digest-title").all_inner_texts() == [fire.title]
        assert {card.inner_text() for card in answer.locator(".na-card .na-id").all()} == {"fire-late"}
        assert not any("Olivenhaine" in t for t in answer.locator(".na-passage mark").all_inner_texts())  # said before
        assert check_verbatim(answer, chat.assistant) >= 1
        latest = visits.last(LOCAL_USER)
        assert latest is not None and latest.body["before"] == last_here

        again.get_by_role("tab", name="Geschichten").click()  # the box says the same for "letzter Besuch"
        again.locator("#na-digest-since textarea").fill("letzter Besuch")
        again.locator("#na-digest-show").click()
        box = again.locator("#na-digest-page")
        box.locator(".na-digest-story").first.wait_for()
        assert {card.inner_text() for card in box.locator(".na-card .na-id").all()} == {"fire-late"}
    except Exception:
        shot(again, "visit-failed.png")
        raise
    finally:
        again.close()
