"""The JSON API's route table: every route for programs in one list, its OpenAPI description made from it.

`assistant serve` mounts these routes on the chat's own server, behind the chat's gate (`access.LoginGate`: a
login or an API key wherever the chat needs a login). A route is an `ApiRoute`: method, path, a handler, and
the JSON schemas of what it takes and returns (the OpenAPI document at ``/api/openapi.json`` is built from those,
so it cannot drift from the table). To add one (``/api/timeline``, …): write a handler
``async (Service, Request) -> Response`` and append an `ApiRoute` to `API_ROUTES`.

Handlers run the assistant in worker threads, at most `Service.questions` at once (the chat's limit, shared by
every route that answers) and one write at a time; every failure is a JSON error with a status, never a trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assistant.errors import (
    ArticleNotFoundError,
    AssistantError,
    IndexNotFoundError,
    InvalidInputError,
    StoreUnavailableError,
)
from assistant.serve.access import Caller, caller_of
from assistant.serve.operations import Operations, article_dict, check_fields, passage_dict

log = logging.getLogger(__name__)

Schema = dict[str, object]
"""A JSON schema (OpenAPI 3.1 uses JSON Schema as it is)."""
Handler = Callable[["Service", Request], Awaitable[Response]]
T = TypeVar("T")

MAX_BODY_BYTES = 1_000_000
"""A request body larger than this is refused before it is parsed (a question is at most a few kB)."""
VERSION = "1"


@dataclass(frozen=True)
class ApiRoute:
    """One route for programs: what it does and takes, for the server and for the OpenAPI document."""

    method: str
    path: str
    handler: Handler
    summary: str
    description: str = ""
    body: Schema | None = None
    reply: Schema = field(default_factory=dict)
    parameters: tuple[Schema, ...] = ()
    tags: tuple[str, ...] = ("archive",)


class Service:
    """What the handlers share: the operations, who an open server's callers are, and the concurrency limits."""

    def __init__(self, operations: Operations, *, open_caller: Caller, questions: int = 4) -> None:
        self.operations = operations
        self.open_caller = open_caller
        self.questions = anyio.CapacityLimiter(questions)
        self.writes = anyio.CapacityLimiter(1)

    async def answer(self, work: Callable[[], T]) -> T:
        """Run a question's work in a worker thread, within the questions' limit."""
        return await anyio.to_thread.run_sync(work, limiter=self.questions)

    async def write(self, work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=self.writes)

    def caller(self, request: Request) -> Caller:
        return caller_of(request.scope, self.open_caller)


# --------------------------------------------------------------------------- HTTP plumbing


class ApiError(Exception):
    """A refusal with its HTTP status (raised by handlers, turned into a JSON error by `starlette_routes`)."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


def error_response(status: int, message: str, kind: str) -> JSONResponse:
    """``{"error": {"message", "type", "code"}}``: the shape OpenAI clients read, used by every route."""
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def status_of(error: AssistantError) -> tuple[int, str]:
    """The HTTP status of a library error: the caller's mistake (4xx) or the server's state (5xx)."""
    if isinstance(error, ArticleNotFoundError | KeyError):  # an article, a conversation: not found
        return 404, "not_found_error"
    if isinstance(error, InvalidInputError):
        return 400, "invalid_request_error"
    if isinstance(error, IndexNotFoundError):
        return 409, "index_empty"
    if isinstance(error, StoreUnavailableError):
        return 503, "store_unavailable"
    return 422, "assistant_error"


async def json_body(request: Request) -> Mapping[str, object]:
    """The request's JSON object, read up to `MAX_BODY_BYTES` (a larger body is refused unread)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is larger than {MAX_BODY_BYTES:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"the request body is larger than {MAX_BODY_BYTES:,} bytes")
    try:
        value = json.loads(bytes(body) or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"the request body is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return value


def _endpoint(service: Service, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(service, request)
        except ApiError as error:
            return error_response(error.status, str(error), error.kind)
        except AssistantError as error:
            status, kind = status_of(error)
            return error_response(status, str(error), kind)
        except Exception as error:  # a program gets a JSON error, the log gets the trace
            log.exception("%s %s failed", request.method, request.url.path)
            return error_response(500, f"internal error: {type(error).__name__}", "server_error")

    return endpoint


def starlette_routes(service: Service, table: list[ApiRoute]) -> list[Route]:
    return [
        Route(route.path, _endpoint(service, route.handler), methods=[route.method], name=route.path) for route in table
    ]


# --------------------------------------------------------------------------- the JSON API's handlers


async def ask(service: Service, request: Request) -> Response:
    body = await json_body(request)
    answer = await service.answer(lambda: service.operations.ask(body))
    return JSONResponse(answer.to_dict())


async def search(service: Service, request: Request) -> Response:
    body = await json_body(request)
    passages = await service.answer(lambda: service.operations.search(body))
    return JSONResponse({"passages": [passage_dict(passage) for passage in passages]})


async def article(service: Service, request: Request) -> Response:
    article_id = request.path_params["article_id"]
    found = await service.answer(lambda: service.operations.article(article_id))
    return JSONResponse(article_dict(found))


async def status(service: Service, request: Request) -> Response:
    return JSONResponse(await service.answer(service.operations.status))


async def index(service: Service, request: Request) -> Response:
    caller = service.caller(request)
    if not caller.may_write:
        raise ApiError(403, "indexing needs a login or an API key (this server runs with --no-auth)", "forbidden")
    body = await json_body(request)
    unknown = sorted(set(body) - {"urls"})
    if unknown:
        raise ApiError(400, f'unknown field {unknown[0]!r}: send {{"urls": ["https://…"]}}')
    report = await service.write(lambda: service.operations.index_urls(body.get("urls")))
    return JSONResponse(report)


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's parameters (each once; `source` may repeat and is read on its own), unknown ones refused."""
    check_fields(list(request.query_params), allowed)
    return dict(request.query_params)


async def stories(service: Service, request: Request) -> Response:
    query = _query(request, ("since", "until", "source"))
    sources = request.query_params.getlist("source")
    found = await service.answer(
        lambda: service.operations.stories(query.get("since"), query.get("until"), sources or None)
    )
    return JSONResponse(found)


async def story(service: Service, request: Request) -> Response:
    _query(request, ())
    story_id = request.path_params["story_id"]
    return JSONResponse(await service.answer(lambda: service.operations.story(story_id)))


async def compare(service: Service, request: Request) -> Response:
    body = await json_body(request)
    return JSONResponse(await service.answer(lambda: service.operations.compare(body)))


async def digest(service: Service, request: Request) -> Response:
    query = _query(request, ("since", "until", "arrived_since"))
    found = await service.answer(
        lambda: service.operations.digest(query.get("since"), query.get("until"), query.get("arrived_since"))
    )
    return JSONResponse(found)


async def timeline(service: Service, request: Request) -> Response:
    body = await json_body(request)
    return JSONResponse(await service.answer(lambda: service.operations.timeline(body)))


async def openapi(service: Service, request: Request) -> Response:
    return JSONResponse(openapi_document(API_ROUTES + EXTRA_ROUTES))


# --------------------------------------------------------------------------- schemas

_QUOTE: Schema = {
    "type": "object",
    "description": "A verbatim excerpt: the stored article's text[start:end] is exactly `text`.",
    "properties": {
        "text": {"type": "string"},
        "article_id": {"type": "string"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "published": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "score": {"type": "number"},
    },
}
_PASSAGE: Schema = {
    "type": "object",
    "properties": {
        "article_id": {"type": "string"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "score": {"type": "number"},
        "also_in": {"type": "array", "items": {"type": "string"}, "description": "outlets with the same story"},
    },
}
QUESTION: Schema = {
    "type": "object",
    "required": ["question"],
    "additionalProperties": False,
    "properties": {
        "question": {"type": "string", "description": "in German or English; at most ASSISTANT_MAX_QUESTION_CHARS"},
        "k": {"type": "integer", "minimum": 1, "description": "passages to retrieve (default 4, at most max_top_k)"},
        "sources": {"type": "array", "items": {"type": "string"}, "description": "only these outlets"},
        "since": {"type": "string", "description": "published on or after this day (2024-03-01 or 1.3.2024)"},
        "until": {"type": "string", "description": "published on or before this day"},
    },
}
ANSWER: Schema = {
    "type": "object",
    "description": "The shape of `assistant ask --json`.",
    "properties": {
        "question": {"type": "string"},
        "answer": {"type": "string"},
        "abstained": {"type": "boolean", "description": "true: the articles do not answer the question"},
        "quotes": {"type": "array", "items": _QUOTE},
        "passages": {"type": "array", "items": _PASSAGE},
    },
}
ARTICLE: Schema = {
    "type": "object",
    "properties": {
        name: {"type": ["string", "null"] if name == "published" else "string"}
        for name in ("id", "text", "title", "source", "url", "published", "path")
    },
}
STATUS: Schema = {
    "type": "object",
    "properties": {
        "articles": {"type": "integer"},
        "chunks": {"type": "integer"},
        "embedding_model": {"type": ["string", "null"]},
        "last_changed": {"type": ["number", "null"], "description": "Unix time of the last change"},
    },
}
INDEX_REQUEST: Schema = {
    "type": "object",
    "required": ["urls"],
    "additionalProperties": False,
    "properties": {"urls": {"type": "array", "items": {"type": "string", "format": "uri"}, "minItems": 1}},
}
INDEX_REPORT: Schema = {
    "type": "object",
    "properties": {
        **{name: {"type": "integer"} for name in ("added", "updated", "unchanged", "deleted")},
        "refused": {"type": "array", "items": {"type": "object"}},
        "article_ids": {"type": "array", "items": {"type": "string"}},
    },
}

_OUTLET: Schema = {
    "type": "object",
    "properties": {
        "source": {"type": "string"},
        "articles": {"type": "integer"},
        "first_report": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    },
}
_SUMMARY_PROPERTIES: Schema = {
    "id": {"type": "string", "description": "stable; an id a story had before a merge still finds it"},
    "title": {"type": "string"},
    "first_seen": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    "last_update": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    "articles": {"type": "integer"},
    "outlets": {"type": "array", "items": _OUTLET},
    "article_ids": {"type": "array", "items": {"type": "string"}},
}
STORY_SUMMARY: Schema = {
    "type": "object",
    "description": "A story: articles of several outlets about one event (the shape of `assistant stories --json`).",
    "properties": _SUMMARY_PROPERTIES,
}
_DATED_QUOTE: Schema = {
    "type": "object",
    "description": "A dated verbatim sentence: the article's text[start:end] is exactly `text`.",
    "properties": {
        "date": {"type": "string"},
        "text": {"type": "string"},
        "article_id": {"type": "string"},
        "source": {"type": "string"},
        "start": {"type": "integer"},
        "end": {"type": "integer"},
    },
}
STORY_PAGE: Schema = {
    "type": "object",
    "description": "One story in full (the shape of `assistant story ID --json`).",
    "properties": {
        **_SUMMARY_PROPERTIES,
        "article_list": {"type": "array", "items": {"type": "object"}},
        "per_day": {
            "type": "array",
            "description": "articles per day per outlet",
            "items": {
                "type": "object",
                "properties": {
                    "date": {"type": "string"},
                    "source": {"type": "string"},
                    "articles": {"type": "integer"},
                },
            },
        },
        "timeline": {"type": "array", "items": _DATED_QUOTE},
    },
}
COMPARE_REQUEST: Schema = {
    "type": "object",
    "required": ["question"],
    "additionalProperties": False,
    "properties": {"question": {"type": "string", "description": "what the story is about, German or English"}},
}
COMPARISON: Schema = {
    "type": "object",
    "description": "The shape of `assistant compare --json`; `story_id` is null when no story matches.",
    "properties": {
        "question": {"type": "string"},
        "story_id": {"type": ["string", "null"]},
        "title": {"type": "string"},
        "outlets": {"type": "array", "items": {"type": "string"}},
        "shared": {"type": "array", "items": {"type": "object"}, "description": "told by several outlets"},
        "single": {"type": "array", "items": {"type": "object"}, "description": "told by one outlet only"},
        "differences": {"type": "array", "items": {"type": "object"}, "description": "other numbers or names"},
    },
}
DIGEST: Schema = {
    "type": "array",
    "description": "The shape of `assistant digest --json`: per story with new articles, its new sentences.",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "new_articles": {"type": "array", "items": {"type": "string"}},
            "sentences": {"type": "array", "items": {"type": "object"}},
            "repeats_left_out": {"type": "integer"},
            "more": {"type": "integer"},
        },
    },
}


TIMELINE_REQUEST: Schema = {
    "type": "object",
    "required": ["question"],
    "additionalProperties": False,
    "properties": {
        "question": {"type": "string", "description": 'a development question, e.g. "Wie hat sich … entwickelt?"'},
        "since": {"type": "string", "description": "only events on or after this day (2024-03-01 or 1.3.2024)"},
        "until": {"type": "string", "description": "only events on or before this day"},
        "sources": {"type": "array", "items": {"type": "string"}, "description": "only these outlets"},
        "as_of": {"type": "string", "description": 'the day taken as "now" for the question\'s time words'},
        "max_entries": {"type": "integer", "minimum": 1, "maximum": 100, "description": "default 12"},
    },
}
_SPAN: Schema = {
    "type": "object",
    "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
    "description": "a week or a month the sentence speaks about (YYYY-MM-DD each)",
}
TIMELINE: Schema = {
    "type": "object",
    "description": "The shape of `assistant timeline --json`: entries in time order, one per event.",
    "properties": {
        "question": {"type": "string"},
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "day": {"oneOf": [{"type": "string", "description": "YYYY-MM-DD"}, _SPAN]},
                    "quotes": {"type": "array", "items": _QUOTE},
                    "also_in": {"type": "array", "items": {"type": "string"}, "description": "other outlets"},
                },
            },
        },
    },
}


def _day_parameter(name: str, description: str, *, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": {"type": "string"}}


API_ROUTES: list[ApiRoute] = [
    ApiRoute(
        "POST",
        "/api/ask",
        ask,
        "Answer a question from the indexed articles",
        "Extractive answer with verbatim quotes (article id and character offsets) or an abstention.",
        body=QUESTION,
        reply=ANSWER,
    ),
    ApiRoute(
        "POST",
        "/api/search",
        search,
        "The passages a question retrieves",
        "Hybrid retrieval only (no answer): each passage with its article, offsets, outlet, day and link.",
        body=QUESTION,
        reply={"type": "object", "properties": {"passages": {"type": "array", "items": _PASSAGE}}},
    ),
    ApiRoute(
        "GET",
        "/api/articles/{article_id:path}",
        article,
        "A stored article",
        "The full text that quote offsets point into, with title, outlet, link and day. Ids may contain '/'.",
        reply=ARTICLE,
        parameters=({"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}},),
    ),
    ApiRoute("GET", "/api/status", status, "What the index holds", reply=STATUS),
    ApiRoute(
        "POST",
        "/api/index",
        index,
        "Fetch and index article pages or RSS/Atom feeds",
        "Needs a login or an API key. Non-public addresses are refused unless ASSISTANT_FETCH_ALLOW_PRIVATE.",
        body=INDEX_REQUEST,
        reply=INDEX_REPORT,
    ),
    ApiRoute(
        "GET",
        "/api/stories",
        stories,
        "The stories of the archive, latest update first",
        "Articles about one event from several outlets, grouped at indexing time. Filter by publication window "
        "(since/until: 2024-03-01 or 1.3.2024) and outlet (source, repeatable).",
        reply={"type": "array", "items": STORY_SUMMARY},
        parameters=(
            _day_parameter("since", "only stories with an article published on or after this day"),
            _day_parameter("until", "only stories with an article published on or before this day"),
            {
                "name": "source",
                "in": "query",
                "description": "only stories this outlet reported (repeatable)",
                "schema": {"type": "array", "items": {"type": "string"}},
                "style": "form",
                "explode": True,
            },
        ),
        tags=("stories",),
    ),
    ApiRoute(
        "GET",
        "/api/stories/{story_id}",
        story,
        "One story: outlets, articles per day, dated quotes",
        "Headline, first seen, last update, outlets with counts and first report, articles per day per outlet, "
        "and the timeline as dated verbatim quotes. An unknown id is a 404.",
        reply=STORY_PAGE,
        parameters=({"name": "story_id", "in": "path", "required": True, "schema": {"type": "string"}},),
        tags=("stories",),
    ),
    ApiRoute(
        "POST",
        "/api/compare",
        compare,
        "How outlets report what a question is about",
        "The story the question's passages belong to, its sentences aligned across outlets: told by several, "
        "by one only, or with other numbers or names. Every sentence is a verbatim quote with offsets.",
        body=COMPARE_REQUEST,
        reply=COMPARISON,
        tags=("stories",),
    ),
    ApiRoute(
        "GET",
        "/api/digest",
        digest,
        "What is new in a publication window",
        "Per story with new articles, the sentences that do not repeat what was reported before the window; an "
        "update (another number or name) carries the earlier quote.",
        reply=DIGEST,
        parameters=(
            _day_parameter(
                "since",
                "a day (2024-03-01, 1.3.2024) or a duration back from today (3d, 2w, 36h); this or arrived_since",
            ),
            _day_parameter("until", "last publication day of the window (default: open)"),
            _day_parameter(
                "arrived_since",
                "instead of a window: what was indexed after this time (2024-03-01T12:00, a day, 36h, Unix "
                "seconds), whatever day it was published",
            ),
        ),
        tags=("stories",),
    ),
    ApiRoute(
        "POST",
        "/api/timeline",
        timeline,
        "How a story developed, as a timeline",
        "Entries in time order, each the day (or span) an event happened and a verbatim sentence that tells it, "
        "with the other outlets that reported it. Without since/until the timeline spans the whole archive.",
        body=TIMELINE_REQUEST,
        reply=TIMELINE,
        tags=("timeline",),
    ),
    ApiRoute("GET", "/api/openapi.json", openapi, "This description", tags=("meta",)),
]
"""The JSON API. Other issues append their routes here (``/api/timeline``, …)."""
EXTRA_ROUTES: list[ApiRoute] = []
"""Routes of other modules described in the same document (the OpenAI-compatible ones add themselves)."""


COMPONENTS: dict[str, object] = {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "assistant keys add"}},
    "schemas": {
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "code": {"type": "integer"},
                    },
                }
            },
        }
    },
}
"""The bearer key and the error shape every route answers with."""


def openapi_document(table: list[ApiRoute]) -> dict[str, object]:
    """OpenAPI 3.1 for `table`: paths, bodies, replies, errors, and the bearer key."""
    paths: dict[str, dict[str, object]] = {}
    refusal = _json({"$ref": "#/components/schemas/Error"})
    error = {"description": "refused: `error.message` says why", "content": refusal}
    for route in table:
        path = route.path.replace(":path}", "}")
        operation: dict[str, object] = {
            "summary": route.summary,
            "description": route.description,
            "tags": list(route.tags),
            "operationId": route.method.lower() + path.replace("/", "_").replace("{", "").replace("}", ""),
            "responses": {"200": {"description": "OK", "content": _json(route.reply)}, "4XX": error, "5XX": error},
        }
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": _json(route.body)}
        if route.parameters:
            operation["parameters"] = list(route.parameters)
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nachrichten-Assistent API",
            "version": VERSION,
            "description": "Questions about the indexed news articles, answered with verbatim, located quotes.",
        },
        "paths": paths,
        "components": COMPONENTS,
        "security": [{"bearer": []}, {}],
    }


def _json(schema: Schema) -> dict[str, object]:
    return {"application/json": {"schema": schema}}
