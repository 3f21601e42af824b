"""Conversations that last: each user's questions and answers kept on the index's storage (`user_store`), listed,
resumed (the earlier turns drive follow-up rewriting, as in the chat), deleted, and exported as Markdown with
every quote, its source and its link.

From Python::

    conversations = Conversations.of(assistant, user="anna")
    talk = conversations.start()
    conversations.ask(talk.id, "Worüber verhandeln Russland und die Ukraine?")
    conversations.ask(talk.id, "Und wer sollte vermitteln?")      # a follow-up, read with the turn before
    print(conversations.markdown(talk.id))

Without a login there is one user, ``local``; a program with an API key is ``key:NAME``.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field

from assistant.answering.retrieval import SearchFilter
from assistant.answers import Answer
from assistant.core import Assistant
from assistant.errors import AssistantError, InvalidInputError
from assistant.phrases import phrase
from assistant.protocols import Message
from assistant.serve.user_store import UserRecord, UserStore, user_store_for

LOCAL_USER = "local"
MAX_TITLE_CHARS = 120
_ID = re.compile(r"[0-9a-f]{32}")


class ConversationNotFoundError(AssistantError, KeyError):
    """Raised when a conversation id is not one of this user's conversations."""


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and its answer (`assistant ask --json`'s shape), with the links of the
    quoted articles as they were when it was answered."""

    question: str
    searched: str
    answer: dict[str, object]
    language: str = "de"
    links: dict[str, str] = field(default_factory=dict)
    at: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"question": self.question, "searched": self.searched, "answer": self.answer,
                "language": self.language, "links": self.links, "at": self.at}  # fmt: skip


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    turns: list[Turn]

    @property
    def updated(self) -> float:
        return max([self.created, *(turn.at for turn in self.turns)])

    def messages(self) -> list[Message]:
        """The conversation as plain chat messages, what follow-up rewriting reads (`Assistant.chat`)."""
        messages: list[Message] = []
        for turn in self.turns:
            messages += [{"role": "user", "content": turn.question},
                         {"role": "assistant", "content": str(turn.answer.get("answer", ""))}]  # fmt: skip
        return messages

    def summary(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "created": self.created, "updated": self.updated,
                "turns": len(self.turns)}  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {**self.summary(), "turns": [turn.to_dict() for turn in self.turns]}


def check_conversation_id(conversation_id: object) -> str:
    if not isinstance(conversation_id, str) or not _ID.fullmatch(conversation_id):
        raise ConversationNotFoundError(f"no conversation {str(conversation_id)[:40]!r} (ids are 32 hex digits)")
    return conversation_id


class Conversations:
    """One user's conversations over one archive."""

    def __init__(self, assistant: Assistant, store: UserStore, user: str = LOCAL_USER) -> None:
        self.assistant = assistant
        self.store = store
        self.user = user

    @classmethod
    def of(cls, assistant: Assistant, user: str = LOCAL_USER) -> Conversations:
        """The user's conversations on the archive's own storage (its folder, or its Chroma server)."""
        return cls(assistant, user_store_for(assistant), user)

    def start(self, title: object = "") -> Conversation:
        if not isinstance(title, str) or len(title) > MAX_TITLE_CHARS:
            raise InvalidInputError(f"a title is text of at most {MAX_TITLE_CHARS} characters")
        conversation = Conversation(secrets.token_hex(16), title.strip(), time.time(), [])
        self.store.put(UserRecord(self.user, "conversation", conversation.id, conversation.id, conversation.created,
                                  {"title": conversation.title}))  # fmt: skip
        return conversation

    def recent(self) -> list[Conversation]:
        """Every conversation of the user, the most recently continued first."""
        heads: dict[str, UserRecord] = {}
        turns: dict[str, list[Turn]] = {}
        for record in self.store.records(self.user):
            if record.kind == "conversation":
                heads[record.group] = record
            elif record.kind == "turn":
                turns.setdefault(record.group, []).append(_turn(record))
        found = [_conversation(head, turns.get(group, [])) for group, head in heads.items()]
        return sorted(found, key=lambda conversation: conversation.updated, reverse=True)

    def get(self, conversation_id: object) -> Conversation:
        group = check_conversation_id(conversation_id)
        records = self.store.records(self.user, group=group)
        heads = [record for record in records if record.kind == "conversation"]
        if not heads:
            raise ConversationNotFoundError(f"no conversation {group!r} for this user")
        return _conversation(heads[0], [_turn(record) for record in records if record.kind == "turn"])

    def delete(self, conversation_id: object) -> None:
        group = check_conversation_id(conversation_id)
        if not self.store.delete_group(self.user, group):
            raise ConversationNotFoundError(f"no conversation {group!r} for this user")

    def ask(
        self,
        conversation_id: object,
        question: str,
        *,
        k: int | None = None,
        search_filter: SearchFilter | None = None,
    ) -> tuple[Turn, Answer]:
        """Answer `question` as the next turn of the conversation (a follow-up is read with the turns before)
        and keep it."""
        conversation = self.get(conversation_id)
        turn = self.assistant.chat(question, conversation.messages(), k=k, search_filter=search_filter)
        answer = None
        for item in turn:
            if isinstance(item, Answer):
                answer = item
        if answer is None:
            raise RuntimeError("the answer stream ended without an answer")
        return self.keep(conversation, turn.question, turn.searched, answer), answer

    def keep(self, conversation: Conversation, question: str, searched: str, answer: Answer) -> Turn:
        """Add an answered question to the conversation (also for callers that answered it themselves)."""
        links = {passage.article_id: passage.url for passage in answer.passages if passage.url}
        at = time.time()
        kept = Turn(question, searched, answer.to_dict(), answer.language, links, at)
        key = f"{conversation.id}/{time.time_ns():020d}-{secrets.token_hex(4)}"  # unique: no turn replaces another
        self.store.put(UserRecord(self.user, "turn", key, conversation.id, at, kept.to_dict()))
        if not conversation.title and not conversation.turns:
            title = " ".join(question.split())[:MAX_TITLE_CHARS]
            self.store.put(UserRecord(self.user, "conversation", conversation.id, conversation.id,
                                      conversation.created, {"title": title}))  # fmt: skip
        return kept

    def markdown(self, conversation_id: object) -> str:
        return conversation_markdown(self.get(conversation_id))


def _turn(record: UserRecord) -> Turn:
    body = record.body
    answer = body.get("answer")
    links = body.get("links")
    return Turn(
        str(body.get("question", "")),
        str(body.get("searched", "")),
        answer if isinstance(answer, dict) else {},
        str(body.get("language", "de")),
        {str(k): str(v) for k, v in links.items()} if isinstance(links, dict) else {},
        record.at,
    )


def _conversation(head: UserRecord, turns: list[Turn]) -> Conversation:
    return Conversation(head.group, str(head.body.get("title", "")), head.at, sorted(turns, key=lambda t: t.at))


# --------------------------------------------------------------------------- Markdown


def conversation_markdown(conversation: Conversation) -> str:
    """The conversation for keeping or sharing: each question, the answer, and every quote verbatim (as a block
    quote, line for line) with its title, outlet, day, link and place in the article."""
    day = time.strftime("%Y-%m-%d", time.gmtime(conversation.created))
    lines = [f"# {_one_line(conversation.title) or 'Gespräch'}", "", f"_{day} · {len(conversation.turns)} Fragen_"]
    for number, turn in enumerate(conversation.turns, start=1):
        lines += ["", f"## {number}. {_one_line(turn.question)}"]
        if turn.searched and turn.searched != turn.question:
            lines += ["", f"_{phrase(turn.language, 'searched')}: {_one_line(turn.searched)}_"]
        lines += ["", str(turn.answer.get("answer", "")).strip()]
        quotes = turn.answer.get("quotes")
        if isinstance(quotes, list) and quotes:
            lines += ["", f"**{phrase(turn.language, 'sources')}**"]
            for index, quote in enumerate(quotes, start=1):
                if isinstance(quote, dict):
                    lines += ["", *_quote_lines(index, quote, turn.links)]
    return "\n".join(lines) + "\n"


def _quote_lines(number: int, quote: dict[str, object], links: dict[str, str]) -> list[str]:
    article_id = str(quote.get("article_id", ""))
    url = links.get(article_id, "")
    parts = [str(quote.get(name) or "") for name in ("title", "source", "published")]
    where = " · ".join(part for part in [*parts, f"<{url}>" if url else ""] if part)
    text = str(quote.get("text", ""))
    block = [f"> {line}" if line else ">" for line in text.split("\n")]
    return [f"[{number}] {where}", f"`{article_id}` [{quote.get('start')}:{quote.get('end')}]", "", *block]


def _one_line(text: str) -> str:
    return " ".join(text.split())
