"""The JSON API's saved-question routes: list, save, remove, and the digest of what arrived since the last look.

Whose saved questions: the caller's, as the gate noted it (`conversation_routes.user_of`: a login's name,
``key:NAME`` for an API key, ``local`` on a server without login). The routes join the OpenAPI description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from assistant.serve.api_routes import EXTRA_ROUTES, ApiError, ApiRoute, Schema, Service, json_body
from assistant.serve.conversation_routes import user_of
from assistant.serve.saved_questions import SavedQuestions


def _saved(service: Service, request: Request) -> SavedQuestions:
    operations = service.operations
    return SavedQuestions(operations.assistant, operations.user_store(), user_of(service.caller(request)))


async def listing(service: Service, request: Request) -> Response:
    saved = _saved(service, request)
    found = await service.answer(saved.list)
    return JSONResponse({"saved": [question.to_dict() for question in found]})


async def save(service: Service, request: Request) -> Response:
    body = await json_body(request)
    if set(body) != {"question"}:
        raise ApiError(400, 'send {"question": "…"}')
    saved = _saved(service, request)
    question = await service.answer(lambda: saved.save(body["question"]))
    return JSONResponse(question.to_dict(), status_code=201)


async def remove(service: Service, request: Request) -> Response:
    saved = _saved(service, request)
    saved_id = request.path_params["saved_id"]
    await service.answer(lambda: saved.remove(saved_id))
    return JSONResponse({"removed": saved_id})


async def digest(service: Service, request: Request) -> Response:
    saved = _saved(service, request)
    look = await service.answer(lambda: saved.digest(request.path_params["saved_id"]))
    return JSONResponse(look.to_dict())


_ID: tuple[Schema, ...] = ({"name": "saved_id", "in": "path", "required": True, "schema": {"type": "string"}},)
_QUESTION: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "question": {"type": "string"},
        "saved": {"type": "number"},
        "last_looked": {"type": ["number", "null"]},
    },
}
_TAGS = ("saved questions",)
ONE = "/api/saved/{saved_id}"

SAVED_ROUTES: list[ApiRoute] = [
    ApiRoute("GET", "/api/saved", listing, "The caller's saved questions", tags=_TAGS,
             reply={"type": "object", "properties": {"saved": {"type": "array", "items": _QUESTION}}}),
    ApiRoute("POST", "/api/saved", save, "Save a question", tags=_TAGS,
             body={"type": "object", "required": ["question"], "properties": {"question": {"type": "string"}}},
             reply=_QUESTION),
    ApiRoute("DELETE", ONE, remove, "Remove a saved question", tags=_TAGS, parameters=_ID),
    ApiRoute("GET", ONE + "/digest", digest, "What arrived about a saved question since the caller last looked",
             "The stories the question finds with articles indexed since the last look (all at the first look), "
             "their sentences that do not repeat what was there before; the look is kept (`assistant saved "
             "digest ID --json`).", tags=_TAGS, parameters=_ID),
]  # fmt: skip
EXTRA_ROUTES.extend(SAVED_ROUTES)
