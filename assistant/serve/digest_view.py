"""What is new since …, in the chat ("Was ist neu seit gestern?") and as the "Neu seit …" box of the
"Geschichten" tab: per story with new articles (in the publication window from a day, or indexed since the
user's last visit), the sentences that bring something new (`Assistant.digest`), an update beside the earlier
quote it changes.

Each sentence is a quote card (`chat_html.sentence_card_html`: verbatim, outlet, day, article id, offsets, link;
every text escaped). In the chat the message grows story by story and the turn is kept as a plain answer.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Generator

import gradio as gr

from assistant.answers import Answer, on_one_line
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.phrases import phrase, phrases_for
from assistant.serve.article_lookup import ArticleLookup
from assistant.serve.chat_html import notice_html, sentence_card_html
from assistant.serve.compare_view import ArticleFor, growing, quote_of
from assistant.serve.digest_asking import Since, is_visit, since_day, since_visit
from assistant.serve.story_view import FRAME, notice
from assistant.serve.visits import Visits, user_of
from assistant.stories.digest import DigestItem, DigestStory

MAX_STORIES = 8
"""Stories shown in one message; the rest are counted (the CLI and the API give them all)."""


def since_text(since: Since, language: str) -> str:
    """ "dem 11.03.2024", or "Ihrem letzten Besuch (07.12.2026 06:40; …)" (days as the language writes them)."""
    day_format = "%d.%m.%Y" if language == "de" else "%Y-%m-%d"
    if since.visit is not None:
        when = dt.datetime.fromtimestamp(since.visit).strftime(f"{day_format} %H:%M")
        return phrase(language, "digest_since_visit", when=when)
    day = dt.date.fromisoformat(since.day).strftime(day_format)
    return phrase(language, "digest_since_day", day=day)


def digest_of(assistant: Assistant, since: Since) -> list[DigestStory]:
    """The digest a `Since` asks for: since a visit, what was indexed after it (an article published before the
    visit but indexed after it is new to the user); since a day, the publication window from that day."""
    if since.visit is not None:
        return assistant.digest(arrived_since=since.visit)
    return assistant.digest(since.day)


def digest_frames(
    question: str, stories: list[DigestStory], since: Since, language: str, article_for: ArticleFor
) -> Generator[str, None, Answer | None]:
    """The chat message as it grows (head, then story by story), returning the turn as a plain answer (None when
    nothing is new)."""
    labels = phrases_for(language)
    when = since_text(since, language)
    shown = [s for s in stories if s.items]
    if not shown:
        none = labels["digest_none" if since.visit is None else "digest_none_arrived"]
        yield notice_html(html.escape(none.format(since=when)))
        return None
    parts = [_head_html(shown, when, labels)]
    parts += [story_html(story, labels, article_for) for story in shown[:MAX_STORIES]]
    if len(shown) > MAX_STORIES:
        more = labels["digest_more_stories"].format(n=len(shown) - MAX_STORIES)
        parts.append(f"<p class='na-digest-more'>{html.escape(more)}</p>")
    yield from growing("na-digest", parts)
    return digest_answer(question, shown[:MAX_STORIES], when, language)


def digest_html(stories: list[DigestStory], since: Since, language: str, article_for: ArticleFor) -> str:
    """The whole message at once (the "Neu seit …" box)."""
    return "".join(list(digest_frames("", stories, since, language, article_for))[-1:])


def _head_html(stories: list[DigestStory], when: str, labels: dict[str, str]) -> str:
    articles = sum(len(s.new_articles) for s in stories)
    intro = labels["digest_intro"].format(since=when, stories=len(stories), articles=articles)
    return f"<div class='na-digest-head'>{html.escape(intro)}</div>"


def story_html(story: DigestStory, labels: dict[str, str], article_for: ArticleFor) -> str:
    """One story's new sentences; an update beside the earlier quote it changes."""
    counts = [labels["saved_new"].format(n=len(story.new_articles))]
    if story.left_out:
        counts.append(labels["digest_left_out"].format(n=story.left_out))
    items = "".join(_item_html(item, labels, article_for) for item in story.items)
    more = ""
    if story.more:
        more = f"<p class='na-digest-more'>{html.escape(labels['digest_more'].format(n=story.more))}</p>"
    return (
        f"<section class='na-digest-story'><h4 class='na-digest-title'>{html.escape(story.story.title)}</h4>"
        f"<div class='na-digest-count'>{html.escape(' · '.join(counts))}</div>{items}{more}</section>"
    )


def _item_html(item: DigestItem, labels: dict[str, str], article_for: ArticleFor) -> str:
    card = sentence_card_html(item.sentence, article_for(item.sentence.article_id), labels)
    if item.earlier is None:
        return f"<div class='na-digest-item'>{card}</div>"
    change = labels.get(f"compare_change_{item.change}", item.change or "")
    label = html.escape(labels["digest_update"].format(change=change))
    earlier = sentence_card_html(item.earlier, article_for(item.earlier.article_id), labels)
    return (
        f"<div class='na-digest-item na-update'><div class='na-pair'>"
        f"<div class='na-side na-earlier'><div class='na-earlier-label'>{label}:</div>{earlier}</div>"
        f"<div class='na-side na-now'><div class='na-now-label'>{html.escape(labels['digest_now'])}:</div>"
        f"{card}</div></div></div>"
    )


def digest_answer(question: str, stories: list[DigestStory], when: str, language: str) -> Answer:
    """The digest as a plain answer: per story its new sentences with citation markers, and their quotes."""
    labels = phrases_for(language)
    articles = sum(len(s.new_articles) for s in stories)
    lines = [labels["digest_intro"].format(since=when, stories=len(stories), articles=articles) + "."]
    quotes = []
    for story in stories:
        lines.append(f"{story.story.title}:")
        for item in story.items:
            quotes.append(quote_of(item.sentence))
            line = f"- „{on_one_line(item.sentence.text)}“ [{len(quotes)}] ({item.sentence.source})"
            if item.earlier is not None:
                quotes.append(quote_of(item.earlier))
                change = labels.get(f"compare_change_{item.change}", item.change or "")
                earlier = on_one_line(item.earlier.text)
                line += f"; {labels['digest_update'].format(change=change)}: „{earlier}“ [{len(quotes)}]"
            lines.append(line)
    return Answer(question, "\n".join(lines), False, quotes=quotes, language=language)


class DigestBox:
    """The "Neu seit …" box of the "Geschichten" tab: a day, a duration or "letzter Besuch" in, the digest out."""

    def __init__(self, assistant: Assistant, visits: Visits) -> None:
        self.assistant = assistant
        self.visits = visits

    def show(self, text: str | None, request: gr.Request) -> str:
        text = (text or "").strip()
        if not text:
            return notice(phrase(FRAME, "digest_hint"))
        if is_visit(text):
            since = since_visit(self.visits.before(user_of(request)))
            if since is None:
                return notice(phrase(FRAME, "digest_first_visit"))
        else:
            day = since_day(text, self.assistant.now())  # `as_of` for an archive of the past
            if day is None:
                return notice(phrase(FRAME, "digest_bad_since", text=text[:80]), css="na-error")
            since = Since(day)
        try:
            stories = digest_of(self.assistant, since)
        except AssistantError as error:
            return notice(f"{phrase(FRAME, 'problem')}: {error}", css="na-error")
        return digest_html(stories, since, FRAME, ArticleLookup(self.assistant))


def build_digest_box(assistant: Assistant, visits: Visits) -> DigestBox:
    """The box's parts (placed in the "Geschichten" tab); "letzter Besuch" is the user's visit before (`visits`)."""
    box = DigestBox(assistant, visits)
    with gr.Column(elem_id="na-digest-box"):
        gr.Markdown(f"### {phrase(FRAME, 'digest_title')}")
        with gr.Row(equal_height=True):
            since = gr.Textbox(
                label=phrase(FRAME, "digest_since_box"), value=phrase(FRAME, "digest_yesterday"),
                elem_id="na-digest-since", scale=3,
            )  # fmt: skip
            show = gr.Button(phrase(FRAME, "digest_show"), elem_id="na-digest-show", variant="primary", scale=1)
        shown = gr.HTML(notice(phrase(FRAME, "digest_hint")), elem_id="na-digest-page", js_on_load=None)
    show.click(box.show, since, shown, api_visibility="private")
    since.submit(box.show, since, shown, api_visibility="private")
    return box
