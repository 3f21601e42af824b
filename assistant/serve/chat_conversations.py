"""The chat's conversations that last: every page session writes its questions and answers into one kept
conversation of its user (`conversations.Conversations`, on the index's storage); the side panel lists them,
resumes one (shown again with its sources, and the next follow-up read with its turns), starts a new one,
deletes one, and exports one as Markdown ("Exportieren").

The user is the login's name, or ``local`` on a chat without login. Keeping a turn never costs an answer: a
store that fails is logged, the chat goes on.
"""

from __future__ import annotations

import html
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answers import Answer, Passage, Quote
from assistant.articles import Article
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.protocols import Message
from assistant.serve.chat_html import message_html
from assistant.serve.conversations import LOCAL_USER, Conversation, Conversations, Turn
from assistant.serve.user_store import user_store_for

log = logging.getLogger(__name__)

ChatMessage = dict[str, str]
MAX_LISTED = 50
"""Conversations offered in the side panel (the latest); the JSON API lists all."""


class ChatConversations:
    """The side panel's handlers and the keeping of each answered question."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._sessions: dict[tuple[str, str], str] = {}  # (user, page session) -> the conversation it writes to
        self._lock = threading.Lock()
        self.exports = Path(tempfile.mkdtemp(prefix="na-exports-"))

    def conversations(self, request: gr.Request | None) -> Conversations:
        return Conversations(self.assistant, user_store_for(self.assistant), _user(request))

    def keep(self, request: gr.Request | None, question: str, searched: str, answer: Answer) -> None:
        """Add an answered question to the page session's conversation (started with its first question)."""
        if request is None:  # called from Python, not from the page
            return
        try:
            conversations = self.conversations(request)
            key = (conversations.user, str(request.session_hash or ""))
            with self._lock:
                conversation_id = self._sessions.get(key)
            conversation = conversations.get(conversation_id) if conversation_id else conversations.start()
            conversations.keep(conversation, question, searched, answer)
            with self._lock:
                self._sessions[key] = conversation.id
        except Exception:  # keeping must never cost the answer
            log.exception("keeping the conversation failed")

    # --- the side panel ----------------------------------------------------------------------
    def choices(self, request: gr.Request) -> gr.Dropdown:
        """The user's latest conversations, for the dropdown (newest first)."""
        try:
            kept = self.conversations(request).recent()[:MAX_LISTED]
        except AssistantError:
            kept = []
        return gr.Dropdown(choices=[(_label(conversation), conversation.id) for conversation in kept], value=None)

    def resume(
        self, conversation_id: str | None, request: gr.Request
    ) -> tuple[list[ChatMessage], list[Message], gr.Dropdown]:
        """Show a kept conversation again; the next question continues it (and is read with its turns)."""
        if not conversation_id:
            raise gr.Error("Bitte zuerst ein Gespräch auswählen. / Pick a conversation first.")
        conversations = self.conversations(request)
        conversation = conversations.get(conversation_id)
        with self._lock:
            self._sessions[(conversations.user, str(request.session_hash or ""))] = conversation.id
        return shown_messages(conversation, self._article), conversation.messages(), gr.Dropdown()

    def start_new(self, request: gr.Request) -> tuple[list[ChatMessage], list[Message], gr.Dropdown]:
        """An empty chat; its first question starts a new kept conversation."""
        with self._lock:
            self._sessions.pop((_user(request), str(request.session_hash or "")), None)
        return [], [], self.choices(request)

    def delete(self, conversation_id: str | None, request: gr.Request) -> gr.Dropdown:
        if conversation_id:
            self.conversations(request).delete(conversation_id)
        return self.choices(request)

    def export(self, conversation_id: str | None, request: gr.Request) -> str:
        """The conversation as a Markdown file to download: every quote, its source and link."""
        if not conversation_id:
            raise gr.Error("Bitte zuerst ein Gespräch auswählen. / Pick a conversation first.")
        text = self.conversations(request).markdown(conversation_id)
        path = self.exports / f"gespraech-{time.strftime('%Y%m%d-%H%M%S')}-{conversation_id[:8]}.md"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def _article(self, article_id: str) -> Article | None:
        try:
            return self.assistant.article(article_id)
        except AssistantError:
            return None


def _user(request: gr.Request | None) -> str:
    name = request.username if request is not None else None
    return name if isinstance(name, str) and name else LOCAL_USER


def _label(conversation: Conversation) -> str:
    day = time.strftime("%d.%m. %H:%M", time.localtime(conversation.updated))
    title = " ".join((conversation.title or "Gespräch").split())
    return f"{title[:60]} ({day}, {len(conversation.turns)})"


def shown_messages(conversation: Conversation, article_for: Callable[[str], Article | None]) -> list[ChatMessage]:
    """The chat's messages for a kept conversation: each question, and each answer with its sources."""
    shown: list[ChatMessage] = []
    for turn in conversation.turns:
        answer = answer_of(turn)
        searched = turn.searched if turn.searched != turn.question else None
        shown.append({"role": "user", "content": html.escape(turn.question)})
        shown.append(
            {"role": "assistant", "content": message_html(answer, searched_for=searched, article_for=article_for)}
        )
    return shown


def answer_of(turn: Turn) -> Answer:
    """The `Answer` a kept turn was made from (its ``ask --json`` shape read back)."""
    data = turn.answer
    quotes = [
        Quote(
            str(q["text"]),
            str(q["article_id"]),
            int(q["start"]),
            int(q["end"]),
            float(q.get("score", 0.0)),
            str(q.get("title", "")),
            str(q.get("source", "")),
            q.get("published"),
        )
        for q in _dicts(data.get("quotes"))
    ]
    passages = [
        Passage(
            str(p["article_id"]),
            str(p.get("title", "")),
            str(p["text"]),
            int(p["start"]),
            int(p["end"]),
            float(p.get("score", 0.0)),
            also_in=tuple(str(o) for o in p.get("also_in", ())),
        )
        for p in _dicts(data.get("passages"))
    ]
    return Answer(str(data.get("question", turn.question)), str(data.get("answer", "")),
                  bool(data.get("abstained", False)), quotes, passages, language=turn.language)  # fmt: skip


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
