"""The archive as an OpenAI-compatible "model": ``GET /v1/models`` and ``POST /v1/chat/completions``.

Chat front ends (Open WebUI, LibreChat) and OpenAI client libraries send the whole conversation each time; its
last user message is the question, the earlier ones drive follow-up rewriting as in the chat
(`Assistant.chat`). The reply's text is Markdown a person reads: the answer, then each quote numbered as the
answer cites it, with its title, outlet, day and link. The structured answer (`assistant ask --json`'s shape,
plus the question as searched) rides along in the extra field ``answer`` (in the last chunk when streamed).

Options beyond OpenAI's go in the body too (``extra_body`` in the openai client): ``k``, ``sources``, ``since``,
``until``. Sampling settings (temperature, max_tokens, …) are accepted and ignored: answers are extractive.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from assistant.answering.conversation import ChatTurn, message_text
from assistant.answers import Answer, on_one_line
from assistant.errors import InvalidInputError
from assistant.phrases import phrase
from assistant.protocols import Message
from assistant.serve.api_routes import EXTRA_ROUTES, ApiError, ApiRoute, Schema, Service, json_body
from assistant.serve.operations import Operations, question_from

MODEL_ID = "nachrichten-assistent"
OWNER = "news-assistant"
OPTIONS = ("k", "sources", "since", "until")
MAX_MESSAGES = 200


def completion_text(answer: Answer, urls: Mapping[str, str]) -> str:
    """The answer for a person: its text, then the numbered quotes with title, outlet, day and link (or, when it
    abstained, the passages nearest to the question)."""
    lines = [answer.answer.strip()]
    if answer.notice and answer.notice not in answer.answer:
        lines += ["", f"⚠ {answer.notice}"]
    if answer.quotes:
        lines += ["", f"**{phrase(answer.language, 'sources')}**"]
        for number, quote in enumerate(answer.quotes, start=1):
            where = _where(quote.title, quote.source, quote.published, urls.get(quote.article_id, ""))
            # two spaces before a line break: a hard break in Markdown, nothing in plain text
            lines += [
                "",
                f"[{number}] „{on_one_line(quote.text)}“  \n— {where}"
                f"  \n({quote.article_id}, {quote.start}–{quote.end})",
            ]
    elif answer.abstained and answer.passages:
        lines += ["", f"**{phrase(answer.language, 'nearest')}**"]
        for number, passage in enumerate(answer.passages, start=1):
            where = _where(passage.title, passage.source, passage.published, passage.url)
            lines += ["", f"[{number}] {where}: {on_one_line(passage.text)[:200]}…"]
    return "\n".join(lines)


def structured(answer: Answer, searched: str) -> dict[str, object]:
    """`assistant ask --json`'s shape, plus the question as retrieval saw it (a follow-up made whole)."""
    return {**answer.to_dict(), "searched": searched}


def _where(title: str, source: str, published: str | None, url: str) -> str:
    return " · ".join(part for part in (title, source, published or "", url) if part)


def urls_of(operations: Operations, answer: Answer) -> dict[str, str]:
    """Each quoted article's link: from its passage, else from the stored article."""
    urls = {passage.article_id: passage.url for passage in answer.passages if passage.url}
    for quote in answer.quotes:
        if quote.article_id not in urls:
            try:
                urls[quote.article_id] = operations.article(quote.article_id).url
            except Exception:  # a vanished article keeps its quote, without a link
                urls[quote.article_id] = ""
    return urls


# --------------------------------------------------------------------------- the request


def conversation_of(messages: object) -> tuple[str, list[Message]]:
    """The question (the last message, from the user) and the conversation before it as plain messages;
    system messages are dropped (the archive answers, not a prompted model)."""
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        raise InvalidInputError('"messages" must be a non-empty list of {"role", "content"} objects')
    if len(messages) > MAX_MESSAGES:
        raise InvalidInputError(f"at most {MAX_MESSAGES} messages, got {len(messages)}")
    plain: list[Message] = []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidInputError('each message must be an object with "role" and "content"')
        if message["role"] in ("user", "assistant"):
            plain.append({"role": message["role"], "content": message_text(message)})
    if not plain or plain[-1]["role"] != "user":
        raise InvalidInputError("the last message must be the user's question")
    return plain[-1]["content"], plain[:-1]


def start_turn(operations: Operations, body: Mapping[str, object]) -> ChatTurn:
    """The chat turn a completion request asks for, checked like the chat's questions (this may rewrite a
    follow-up, so it runs in a worker thread)."""
    question, history = conversation_of(body.get("messages"))
    options = {name: body[name] for name in OPTIONS if name in body}
    checked = question_from({"question": question, **options}, operations.max_k)
    return operations.assistant.chat(checked.text, history, k=checked.k, search_filter=checked.search_filter)


def _check_model(body: Mapping[str, object]) -> None:
    model = body.get("model")
    if model is not None and model != MODEL_ID:
        raise ApiError(404, f"The model {str(model)[:80]!r} does not exist; this server has {MODEL_ID!r}.",
                       "model_not_found")  # fmt: skip


# --------------------------------------------------------------------------- handlers


async def models(service: Service, request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [_model_card()]})


async def model(service: Service, request: Request) -> Response:
    if request.path_params["model"] != MODEL_ID:
        raise ApiError(404, f"no model {request.path_params['model'][:80]!r}; this server has {MODEL_ID!r}",
                       "model_not_found")  # fmt: skip
    return JSONResponse(_model_card())


def _model_card() -> dict[str, object]:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": OWNER}


async def chat_completions(service: Service, request: Request) -> Response:
    body = await json_body(request)
    _check_model(body)
    operations = service.operations
    turn = await service.answer(lambda: start_turn(operations, body))
    ident, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    if body.get("stream") is True:
        return StreamingResponse(
            _stream(service, turn, ident, created),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = await service.answer(lambda: _final(turn))
    text = completion_text(answer, await service.answer(lambda: urls_of(operations, answer)))
    return JSONResponse(
        {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "answer": structured(answer, turn.searched),
        }
    )


def _final(turn: ChatTurn) -> Answer:
    for item in turn:
        if isinstance(item, Answer):
            return item
    raise RuntimeError("the answer stream ended without an answer")


async def _stream(service: Service, turn: ChatTurn, ident: str, created: int) -> AsyncIterator[str]:
    """Server-sent events as OpenAI streams them: the answer's text as it is written, then (after a checked
    answer that differs from what was streamed) the checked answer, the sources, and ``[DONE]``."""

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: object) -> str:
        data = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    items: Iterator[str | Answer] = iter(turn)
    streamed: list[str] = []
    answer: Answer | None = None
    async with service.questions:  # one question's share of the limit for the whole stream
        while answer is None:
            item = await anyio.to_thread.run_sync(next, items, None)
            if item is None:
                yield f"data: {json.dumps({'error': {'message': 'the answer stream ended early'}})}\n\n"
                return
            if isinstance(item, Answer):
                answer = item
            else:
                streamed.append(item)
                yield chunk({"content": item})
        urls = await anyio.to_thread.run_sync(urls_of, service.operations, answer)
    text = completion_text(answer, urls)
    said, final = "".join(streamed).strip(), answer.answer.strip()
    rest = text[len(final) :] if said == final else f"\n\n{_checked(answer, said)}{text}"
    yield chunk({"content": rest})
    yield chunk({}, "stop", answer=structured(answer, turn.searched))
    yield "data: [DONE]\n\n"


def _checked(answer: Answer, said: str) -> str:
    """Before a checked answer that replaces a streamed one: the chat's heading for it."""
    return f"{phrase(answer.language, 'checked_answer')}\n\n" if said else ""


# --------------------------------------------------------------------------- the table

_MESSAGES: Schema = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "model": {"type": "string", "enum": [MODEL_ID]},
        "messages": {
            "type": "array",
            "items": {"type": "object", "properties": {"role": {"type": "string"}, "content": {}}},
            "description": "the conversation; the last message is the user's question",
        },
        "stream": {"type": "boolean", "description": "server-sent events, ending with data: [DONE]"},
        "k": {"type": "integer", "minimum": 1},
        "sources": {"type": "array", "items": {"type": "string"}},
        "since": {"type": "string"},
        "until": {"type": "string"},
    },
}
_COMPLETION: Schema = {
    "type": "object",
    "description": "OpenAI's chat.completion, plus `answer`: the structured answer (ask --json shape + searched).",
    "properties": {
        "choices": {"type": "array", "items": {"type": "object"}},
        "answer": {"type": "object"},
    },
}

OPENAI_ROUTES: list[ApiRoute] = [
    ApiRoute("GET", "/v1/models", models, "The one model: the archive", tags=("openai",)),
    ApiRoute("GET", "/v1/models/{model}", model, "The archive's model card", tags=("openai",)),
    ApiRoute(
        "POST",
        "/v1/chat/completions",
        chat_completions,
        "Answer the conversation's last question (OpenAI-compatible)",
        "Text: the answer with numbered quotes and sources. Options k, sources, since, until in the body.",
        body=_MESSAGES,
        reply=_COMPLETION,
        tags=("openai",),
    ),
]
EXTRA_ROUTES.extend(OPENAI_ROUTES)
