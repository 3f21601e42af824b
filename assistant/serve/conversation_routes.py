"""The JSON API's conversation routes: list, start, read, continue, delete and export a user's conversations.

Whose conversations: the caller's, as the gate noted it (a login's name, ``key:NAME`` for an API key, ``local``
on a server without login). The routes join the route table's OpenAPI description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from assistant.serve.access import Caller
from assistant.serve.api_routes import EXTRA_ROUTES, ApiError, ApiRoute, Schema, Service, json_body
from assistant.serve.conversations import LOCAL_USER, Conversations
from assistant.serve.operations import question_from


def user_of(caller: Caller) -> str:
    if caller.kind == "user" and caller.name:
        return caller.name
    if caller.kind == "key":
        return f"key:{caller.name}"
    return LOCAL_USER


def _conversations(service: Service, request: Request) -> Conversations:
    operations = service.operations
    return Conversations(operations.assistant, operations.user_store(), user_of(service.caller(request)))


async def listing(service: Service, request: Request) -> Response:
    conversations = _conversations(service, request)
    found = await service.answer(conversations.recent)
    return JSONResponse({"conversations": [conversation.summary() for conversation in found]})


async def start(service: Service, request: Request) -> Response:
    body = await json_body(request)
    if set(body) - {"title"}:
        raise ApiError(400, 'send {"title": "…"} or {}')
    conversations = _conversations(service, request)
    started = await service.answer(lambda: conversations.start(body.get("title", "")))
    return JSONResponse(started.to_dict(), status_code=201)


async def read(service: Service, request: Request) -> Response:
    conversations = _conversations(service, request)
    found = await service.answer(lambda: conversations.get(request.path_params["conversation_id"]))
    return JSONResponse(found.to_dict())


async def ask(service: Service, request: Request) -> Response:
    body = await json_body(request)
    question = question_from(body, service.operations.max_k)
    conversations = _conversations(service, request)
    conversation_id = request.path_params["conversation_id"]
    turn, answer = await service.answer(
        lambda: conversations.ask(conversation_id, question.text, k=question.k, search_filter=question.search_filter)
    )
    return JSONResponse({**answer.to_dict(), "searched": turn.searched, "conversation_id": conversation_id})


async def delete(service: Service, request: Request) -> Response:
    conversations = _conversations(service, request)
    conversation_id = request.path_params["conversation_id"]
    await service.answer(lambda: conversations.delete(conversation_id))
    return JSONResponse({"deleted": conversation_id})


async def markdown(service: Service, request: Request) -> Response:
    conversations = _conversations(service, request)
    text = await service.answer(lambda: conversations.markdown(request.path_params["conversation_id"]))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


_ID: tuple[Schema, ...] = ({"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}},)
_SUMMARY: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "created": {"type": "number"},
        "updated": {"type": "number"},
        "turns": {"description": "a count in listings, the turns themselves when read"},
    },
}
_TAGS = ("conversations",)
ONE = "/api/conversations/{conversation_id}"

CONVERSATION_ROUTES: list[ApiRoute] = [
    ApiRoute("GET", "/api/conversations", listing, "The caller's conversations, latest first", tags=_TAGS,
             reply={"type": "object", "properties": {"conversations": {"type": "array", "items": _SUMMARY}}}),
    ApiRoute("POST", "/api/conversations", start, "Start a conversation", tags=_TAGS,
             body={"type": "object", "properties": {"title": {"type": "string"}}}, reply=_SUMMARY),
    ApiRoute("GET", ONE, read, "A conversation with every turn", tags=_TAGS, parameters=_ID, reply=_SUMMARY),
    ApiRoute("POST", ONE + "/ask", ask, "Ask the next question of a conversation",
             "A follow-up is read with the turns before it; the answer (ask --json shape + searched) is kept.",
             tags=_TAGS, parameters=_ID,
             body={"type": "object", "required": ["question"], "properties": {"question": {"type": "string"}}}),
    ApiRoute("DELETE", ONE, delete, "Delete a conversation", tags=_TAGS, parameters=_ID),
    ApiRoute("GET", ONE + "/markdown", markdown, "The conversation as Markdown with every quote, source and link",
             tags=_TAGS, parameters=_ID, reply={"type": "string"}),
]  # fmt: skip
EXTRA_ROUTES.extend(CONVERSATION_ROUTES)
