"""Follow-up questions: turn "Und wer sollte vermitteln?" into a question retrieval can answer on its own.

Retrieval sees one question at a time, so a follow-up that leans on the conversation ("Und wann?", "What did
they agree on?") finds nothing useful. `rewrite_followup` is deterministic (no language model): when a
question looks like a follow-up, the earlier questions it leans on are put in front of it. With a language model
configured, `generation.llm_rewrite` takes its place through the same signature (`protocols.Rewrite`).
`ChatTurn` is what `Assistant.chat` returns for one question of a conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.protocols import Message

if TYPE_CHECKING:
    from assistant.answers import Answer

MAX_CONTEXT_QUESTIONS = 2
"""At most this many earlier questions are put in front of a follow-up (the chain back to a standalone one)."""

_OPENERS = re.compile(
    r"^(und|aber|oder|sowie|auch|außerdem|ausserdem|zudem|dazu|darüber hinaus|was ist mit|wie ist es mit|"
    r"wie steht es mit|wie sieht es mit|and|but|or|also|what about|how about|and what|what else|"
    r"and who|and when|and why|and how)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")

_REFERRING = frozenset(
    """
    er sie es ihm ihn ihr ihnen ihre ihrer ihren ihrem ihres sein seine seiner seinen seinem seines
    dies diese dieser dieses diesen diesem das dort dorthin damit dabei dafür dagegen darauf daran darüber
    davon dazu deren dessen denen jene jener jenes derselbe dieselbe dasselbe
    he she it they them him her his hers its their theirs this that these those there
    """.split()
)
_FUNCTION_WORDS = frozenset(
    """
    und oder aber auch noch schon nur denn doch mal eigentlich genau wirklich bitte sonst außerdem ausserdem
    zudem dann also so wie was wer wen wem wessen wann wo woher wohin warum weshalb wieso welche welcher
    welches welchen welchem wozu womit wodurch worauf worüber wovon wofür seit bis ab mit ohne für gegen
    über unter um an auf aus bei nach von vor zu zum zur im in ins am beim vom der die den dem des ein eine
    einer einen einem eines kein keine keinen nicht nichts etwas mehr viel viele wenig ich du wir man mich
    mir uns euch ist sind war waren wird werden wurde wurden worden sein hat haben hatte hatten hätte
    kann können konnte konnten könnte sollte sollten soll sollen muss müssen musste will wollen wollte
    möchte gibt gab geht ging sagt sagte sagten gesagt meint meinte gemeint bedeutet bedeutete passiert
    passierte geschehen tun tut getan macht machte gemacht genau dazu sonst jetzt heute damals danach davor
    and or but also then so too as how what who whom whose when where why which with without for against
    about over under at on in into from by of to the a an no not nothing more much many little i you we
    me us is are was were be been being has have had do does did done can could should would will shall
    may might must say says said mean means meant happen happened happens else exactly really please now
    today then after before again any some still yet already immer
    """.split()
)


def rewrite_followup(question: str, history: Sequence[Mapping[str, object]]) -> str:
    """The question retrieval should see: `question` itself, or the earlier questions it follows up on + it.

    `history` is the conversation before `question`, as chat messages (``{"role", "content"}``); only the
    user's questions are read. A standalone question comes back unchanged.
    """
    earlier = [text for text in _user_questions(history) if text]
    if not earlier or not is_followup(question):
        return question
    context = _context_chain(earlier)
    return " ".join([*context, question.strip()])


def is_followup(question: str) -> bool:
    """Whether `question` leans on earlier ones: a follow-up opener, no content words, or a bare pronoun."""
    text = question.strip()
    if not text:
        return False
    if _OPENERS.match(text):
        return True
    words = [word.lower() for word in _WORD.findall(text)]
    content = [word for word in words if word not in _FUNCTION_WORDS and word not in _REFERRING]
    if not content:
        return True
    refers = any(word in _REFERRING for word in words)
    return refers and len(content) < 2


def _context_chain(earlier: list[str]) -> list[str]:
    """The latest earlier questions back to (and including) the last standalone one, oldest first."""
    chain: list[str] = []
    for text in reversed(earlier):
        chain.insert(0, text)
        if not is_followup(text) or len(chain) >= MAX_CONTEXT_QUESTIONS:
            break
    return chain


def _user_questions(history: Sequence[Mapping[str, object]]) -> list[str]:
    return [message_text(message).strip() for message in history if message.get("role") == "user"]


def message_text(message: Mapping[str, object]) -> str:
    """The text of a chat message, whether its content is a string or a list of parts (Gradio 6)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list | tuple):
        parts = [part.get("text", "") if isinstance(part, dict) else part for part in content]
        return " ".join(part for part in parts if isinstance(part, str))
    return ""


@dataclass
class ChatTurn:
    """One question of a conversation: the question as asked, as searched (a follow-up made to stand on its
    own), and the answer as it is written: iterating yields text pieces, then the final `Answer`."""

    question: str
    searched: str
    stream: Iterator[str | Answer]

    def __iter__(self) -> Iterator[str | Answer]:
        return self.stream

    @property
    def rewritten(self) -> bool:
        """Whether retrieval saw another question than the one asked (worth showing to the reader)."""
        return self.searched != self.question

    def messages(self, answer: Answer | None) -> list[Message]:
        """This turn as plain chat messages to append to the history (an answer that failed leaves its
        message empty: the question still counts for the follow-ups after it)."""
        reply = answer.answer if answer is not None else ""
        return [{"role": "user", "content": self.question}, {"role": "assistant", "content": reply}]
