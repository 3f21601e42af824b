"""Generated answers from a chat model (optional): an LCEL chain prompt → chat model → text, then verification.

The model writes prose with verbatim quotes and citation markers; `assistant.answering.verification` keeps only the
quotes found in the passage they cite. The extractive answerer stays in charge of the floor: when the model is
unreachable, too slow, or returns nothing usable, the user gets the extractive answer with a notice; when none
of the model's quotes holds, its answer is marked unsupported and the extractive quotes stand beside it.
Nothing here ever shows or logs the API key.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answering.asking import as_question
from assistant.answering.conversation import message_text, rewrite_followup
from assistant.answering.prompts import load_prompt
from assistant.answering.verification import strip_markers, verify
from assistant.answers import Answer, Passage, as_stream
from assistant.errors import ConfigurationError, ModelOutputError
from assistant.language import guess_language
from assistant.phrases import names_in, phrase
from assistant.protocols import Answerer, Message, Rewrite
from assistant.question import Question
from assistant.settings import Settings

log = logging.getLogger(__name__)

ABSTAIN_TOKEN = "NOT_IN_ARTICLES"
"""What the answer prompt asks the model to reply when the passages do not answer the question."""

# --------------------------------------------------------------------------- the chat model


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The LangChain chat model the settings ask for, with the timeout and no retry loops (never hang).

    `Settings` already refused a model without its name or server URL; only the API key, which may also come
    from OPENAI_API_KEY, is checked here."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if settings.llm == "ollama":
        return _ollama(settings, key)
    if settings.llm in ("openai-compatible", "openai"):
        return _openai(settings, key)
    raise ConfigurationError(f"ASSISTANT_LLM={settings.llm!r} is not a language model")


def _ollama(settings: Settings, key: str | None) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return ChatOllama(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        temperature=0,
        client_kwargs={"timeout": settings.llm_timeout, "headers": headers},
    )


def _openai(settings: Settings, key: str | None) -> BaseChatModel:
    """OpenAI's API, or any server that speaks its chat-completions protocol (llama.cpp, vLLM, LM Studio)."""
    from langchain_openai import ChatOpenAI

    if settings.llm == "openai" and not (key or os.environ.get("OPENAI_API_KEY")):
        raise ConfigurationError("ASSISTANT_LLM=openai needs ASSISTANT_LLM_API_KEY")
    return ChatOpenAI(
        model=settings.llm_model or "default",
        base_url=settings.llm_base_url,
        api_key=key or ("unused" if settings.llm == "openai-compatible" else None),
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
    )


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """Strings that must never reach a log line or a message."""
    return (settings.llm_api_key.get_secret_value(),) if settings.llm_api_key else ()


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- answers


class GenerativeAnswerer:
    """An `Answerer` whose answers a chat model writes from the passages, with every quote verified."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        fallback: Answerer,
        *,
        prompt: ChatPromptTemplate | None = None,
        timeout: float = 60.0,
        secrets: Sequence[str] = (),
    ) -> None:
        self.chat_model = chat_model
        self.fallback = fallback
        self.timeout = timeout
        self._secrets = tuple(secrets)
        self.chain: Runnable = (
            RunnableLambda(_prompt_inputs) | (prompt or load_prompt("answer")) | chat_model | StrOutputParser()
        )

    def __repr__(self) -> str:  # the chat model's repr is safe (SecretStr), but say less anyway
        return f"GenerativeAnswerer(model={type(self.chat_model).__name__}, timeout={self.timeout})"

    def answer(self, question: Question | str, query_vector: np.ndarray, passages: list[Passage]) -> Answer:
        """Ask the model in one call; a failure of the model gives the extractive answer with a notice."""
        question = as_question(question)
        if not passages:
            return self.fallback.answer(question, query_vector, passages)
        try:
            text = self.chain.invoke(_chain_inputs(question, passages))
        except Exception as error:  # connection, timeout, protocol garbage: the model's side, never the user's
            return self._unavailable(question, query_vector, passages, error)
        return self._checked(question, text, query_vector, passages)

    def stream(
        self, question: Question | str, query_vector: np.ndarray, passages: list[Passage]
    ) -> Iterator[str | Answer]:
        """The model's text as it arrives, then the verified `Answer` (always last, always exactly one)."""
        question = as_question(question)
        if not passages:
            yield from as_stream(self.fallback.answer(question, query_vector, passages))
            return
        received: list[str] = []
        try:
            yield from self._pieces(question, passages, received)
        except Exception as error:  # the model's side (see `answer`); a bug in checking its text is not
            yield self._unavailable(question, query_vector, passages, error)
            return
        yield self._checked(question, "".join(received), query_vector, passages)

    def _pieces(self, question: Question, passages: list[Passage], received: list[str]) -> Iterator[str]:
        """The model's non-empty pieces as they arrive (also kept in `received`), within the timeout."""
        deadline = time.monotonic() + self.timeout
        for piece in self.chain.stream(_chain_inputs(question, passages)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the model took longer than {self.timeout:g} s")
            if piece:
                received.append(piece)
                yield piece

    def _checked(self, question: Question, text: str, query_vector: np.ndarray, passages: list[Passage]) -> Answer:
        """`finish`, where only an unusable reply falls back: an error in verification itself stays an error."""
        try:
            return self.finish(question, text, query_vector, passages)
        except ModelOutputError as error:
            return self._unavailable(question, query_vector, passages, error)

    def finish(self, question: Question, text: str, query_vector: np.ndarray, passages: list[Passage]) -> Answer:
        """The model's complete text → an `Answer` with only verified quotes (or marked unsupported)."""
        language = question.language
        text = (text or "").strip()
        if not text:
            raise ModelOutputError("the model returned an empty answer")
        if text.strip(" .`*\"'") == ABSTAIN_TOKEN:
            declined = phrase(language, "not_in_articles")
            return Answer(question.text, declined, True, [], passages, language, generated=True)
        checked = verify(text.replace(ABSTAIN_TOKEN, "").strip(), passages, removed=phrase(language, "quote_removed"))
        if not checked.quotes:
            return self._unsupported(question, strip_markers(checked.text), checked.dropped, query_vector, passages)
        notice = phrase(language, "quotes_dropped", n=checked.dropped) if checked.dropped else ""
        return Answer(
            question.text,
            checked.text,
            False,
            checked.quotes,
            passages,
            language,
            generated=True,
            verified_quotes=len(checked.quotes),
            dropped_quotes=checked.dropped,
            notice=notice,
        )

    def _unsupported(
        self, question: Question, text: str, dropped: int, query_vector: np.ndarray, passages: list[Passage]
    ) -> Answer:
        """No quote held: the model's text, visibly marked, beside the extractive quotes."""
        extractive = self.fallback.answer(question, query_vector, passages)
        language = question.language
        return dataclasses.replace(
            extractive,
            answer=f"{phrase(language, 'unsupported')} {text}",
            abstained=False,
            generated=True,
            verified_quotes=0,
            dropped_quotes=dropped,
            notice=phrase(language, "unsupported_notice"),
        )

    def _unavailable(
        self, question: Question, query_vector: np.ndarray, passages: list[Passage], error: Exception
    ) -> Answer:
        log.warning("language model failed, answering extractively: %s", self._describe(error))
        extractive = self.fallback.answer(question, query_vector, passages)
        notice = phrase(question.language, "model_unavailable")
        return dataclasses.replace(extractive, answer=f"⚠ {notice}\n\n{extractive.answer}", notice=notice)

    def _describe(self, error: BaseException) -> str:
        return redact(f"{type(error).__name__}: {error}", self._secrets)[:500]


def _prompt_inputs(data: dict[str, Any]) -> dict[str, str]:
    """The prompt's variables: passages numbered [1]..[n] with their source, the question, its language."""
    question: str = data["question"]
    passages: list[Passage] = data["passages"]
    return {
        "question": question,
        "passages": "\n\n".join(_passage_block(n, p) for n, p in enumerate(passages, start=1)),
        "language": names_in("en")[data.get("asked") or guess_language(question)],
    }


def _chain_inputs(question: Question, passages: list[Passage]) -> dict[str, object]:
    """What the chain is invoked with: the question's text and its language as read once, and the passages."""
    return {"question": question.text, "asked": question.language, "passages": passages}


def _passage_block(number: int, passage: Passage) -> str:
    about = ", ".join(part for part in (passage.title, passage.source, passage.published or "") if part)
    return f"[{number}] ({about})\n{passage.text}" if about else f"[{number}]\n{passage.text}"


# --------------------------------------------------------------------------- follow-up questions

MAX_HISTORY_MESSAGES = 6
MAX_REWRITE_CHARS = 400


def llm_rewrite(chat_model: BaseChatModel, *, prompt: ChatPromptTemplate | None = None) -> Rewrite:
    """A `(question, history) -> question` rewriter that asks the model, and falls back to the
    deterministic `rewrite_followup` on any error or an unusable reply."""
    chain = RunnableLambda(_rewrite_inputs) | (prompt or load_prompt("rewrite")) | chat_model | StrOutputParser()

    def rewrite(question: str, history: Sequence[Message]) -> str:
        if not any(message.get("role") == "user" for message in history):
            return question
        try:
            reply = chain.invoke({"question": question, "history": history})
        except Exception as error:
            log.warning("follow-up rewrite by the model failed (%s); using the simple rewrite", type(error).__name__)
            return rewrite_followup(question, history)
        line = next((line.strip().strip("„“”\"'") for line in reply.splitlines() if line.strip()), "")
        if not line or len(line) > MAX_REWRITE_CHARS:
            return rewrite_followup(question, history)
        return line

    return rewrite


def _rewrite_inputs(data: dict[str, Any]) -> dict[str, str]:
    lines = []
    for message in list(data["history"])[-MAX_HISTORY_MESSAGES:]:
        who = "User" if message.get("role") == "user" else "Assistant"
        lines.append(f"{who}: {message_text(message).strip()[:500]}")
    return {"question": data["question"], "history": "\n".join(lines)}
