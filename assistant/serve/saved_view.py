"""The "Geschichten" tab's saved questions: save a question, pick one, and see as a short chat what arrived about
it since this user last looked, or remove it (`saved_questions.SavedQuestions`; the user is the login's name, or
``local``).

Every question, title, outlet and quote is escaped (article text is data, never markup); each quote is the
digest's sentence, ``article.text[start:end]`` as stored.
"""

from __future__ import annotations

import html
import logging

import gradio as gr

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.phrases import phrase
from assistant.serve.conversations import LOCAL_USER
from assistant.serve.saved_questions import SavedDigest, SavedQuestions
from assistant.serve.story_view import FRAME, notice
from assistant.serve.user_store import user_store_for

log = logging.getLogger(__name__)


def _quote(item: dict[str, object]) -> str:
    where = f"{item.get('source')} · {item.get('published') or '?'} · [{item.get('start')}:{item.get('end')}]"
    return f"<q>{html.escape(str(item.get('text', '')))}</q> <span class='na-where'>{html.escape(where)}</span>"


def digest_html(look: SavedDigest) -> str:
    """The look as a chat: the saved question, then per story its new sentences (updates with the earlier quote)."""
    parts = [
        f"<div class='na-saved-chat'><div class='na-saved-user'>{html.escape(look.question.question)}</div>"
        "<div class='na-saved-bot'>"
    ]
    if not look.stories:
        parts.append(f"<p class='na-saved-nothing'>{html.escape(phrase(FRAME, 'saved_nothing'))}</p>")
    for story in look.stories:
        data = story.to_dict()
        new = html.escape(phrase(FRAME, "saved_new", n=len(story.new_articles)))
        parts.append(f"<section class='na-saved-story' data-story-id='{html.escape(story.story.id, quote=True)}'>"
                     f"<h4>{html.escape(story.story.title)} · {new}</h4><ul>")  # fmt: skip
        sentences = data["sentences"]
        for item in sentences if isinstance(sentences, list) else []:
            earlier = item.get("earlier")
            before = ""
            if isinstance(earlier, dict):
                label = html.escape(phrase(FRAME, "saved_earlier"))
                before = f"<div class='na-saved-earlier'>{label}: {_quote(earlier)}</div>"
            article_id = html.escape(str(item["article_id"]), quote=True)
            parts.append(f"<li class='na-saved-quote' data-article-id='{article_id}'>{_quote(item)}{before}</li>")
        parts.append("</ul></section>")
    parts.append("</div></div>")
    return "".join(parts)


class SavedView:
    """The handlers (each reads the user's saved questions as they are now)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def saved(self, request: gr.Request | None) -> SavedQuestions:
        store = user_store_for(self.assistant)
        name = request.username if request is not None else None
        return SavedQuestions(self.assistant, store, name if isinstance(name, str) and name else LOCAL_USER)

    def choices(self, request: gr.Request, value: str | None = None) -> dict[str, object]:
        try:
            found = self.saved(request).list()
        except AssistantError as error:
            log.warning("saved questions could not be listed: %s", error)
            found = []
        return gr.update(choices=[(q.question, q.id) for q in found], value=value)

    def add(self, question: str, request: gr.Request) -> tuple[str, dict[str, object], str]:
        try:
            saved = self.saved(request).save(question)
        except AssistantError as error:
            return question, self.choices(request), notice(f"{phrase(FRAME, 'problem')}: {error}", css="na-error")
        return "", self.choices(request, saved.id), notice(phrase(FRAME, "saved_choose"))

    def remove(self, saved_id: str | None, request: gr.Request) -> tuple[dict[str, object], str]:
        """Forget the picked question (the list is read again: another tab may have changed it meanwhile)."""
        if not saved_id:
            return self.choices(request), notice(phrase(FRAME, "saved_choose"))
        saved = self.saved(request)
        try:
            question = saved.get(saved_id).question
            saved.remove(saved_id)
        except AssistantError as error:
            return self.choices(request), notice(f"{phrase(FRAME, 'problem')}: {error}", css="na-error")
        return self.choices(request), notice(phrase(FRAME, "saved_removed", question=question), css="na-saved-removed")

    def look(self, saved_id: str | None, request: gr.Request) -> str:
        if not saved_id:
            return notice(phrase(FRAME, "saved_choose"))
        try:
            return digest_html(self.saved(request).digest(saved_id))
        except AssistantError as error:
            return notice(f"{phrase(FRAME, 'problem')}: {error}", css="na-error")


def build_saved_view(assistant: Assistant) -> tuple[gr.Dropdown, SavedView]:
    """The parts (placed under the stories); the caller fills the dropdown on load (`SavedView.choices`)."""
    view = SavedView(assistant)
    with gr.Column(elem_id="na-saved"):
        gr.Markdown(f"### {phrase(FRAME, 'saved_title')}")
        with gr.Row(equal_height=True):
            question = gr.Textbox(label=phrase(FRAME, "saved_question"), elem_id="na-saved-question", scale=3)
            add = gr.Button(phrase(FRAME, "saved_add"), elem_id="na-saved-add", scale=1)
        with gr.Row(equal_height=True):
            picked = gr.Dropdown(choices=[], label=phrase(FRAME, "saved_pick"), elem_id="na-saved-list", scale=3)
            look = gr.Button(phrase(FRAME, "saved_look"), elem_id="na-saved-look", variant="primary", scale=1)
            remove = gr.Button(phrase(FRAME, "saved_remove"), elem_id="na-saved-remove", variant="stop", scale=1)
        shown = gr.HTML(notice(phrase(FRAME, "saved_choose")), elem_id="na-saved-digest")
    add.click(view.add, question, [question, picked, shown], api_visibility="private")
    look.click(view.look, picked, shown, api_visibility="private")
    remove.click(view.remove, picked, [picked, shown], api_visibility="private")
    return picked, view
