"""Everything `assistant serve` offers programs, assembled for the chat's server: the JSON API, the
OpenAI-compatible routes and ``/mcp``, as routes and the lifespan they need (Gradio's FastAPI app takes both
at creation, so they sit behind the same gate as the page)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from assistant.core import Assistant
from assistant.serve.access import Caller
from assistant.serve.api_routes import API_ROUTES, Service, starlette_routes
from assistant.serve.conversation_routes import CONVERSATION_ROUTES
from assistant.serve.mcp_server import HttpMcp, build_mcp
from assistant.serve.openai_routes import OPENAI_ROUTES
from assistant.serve.operations import Operations
from assistant.serve.saved_routes import SAVED_ROUTES


@dataclass
class ProgramRoutes:
    """The routes for programs and the lifespan that runs MCP's sessions, ready for Gradio's ``app_kwargs``."""

    routes: list[BaseRoute]
    mcp: HttpMcp

    @contextlib.asynccontextmanager
    async def lifespan(self, app: ASGIApp) -> AsyncIterator[None]:
        async with self.mcp.lifespan():
            yield


def program_routes(
    assistant: Assistant,
    *,
    host: str = "127.0.0.1",
    open_caller: Caller | None = None,
    gated: bool = False,
    concurrency: int = 4,
) -> ProgramRoutes:
    """The JSON API, ``/v1`` and ``/mcp`` over `assistant`; `open_caller` is who a request is when the server
    has no login (`Access.open_caller`: this machine's user on loopback); `gated`: every request passes the
    login gate (`access.LoginGate`)."""
    operations = Operations(assistant)
    caller = open_caller or Caller("local")
    service = Service(operations, open_caller=caller, questions=concurrency)
    mcp = HttpMcp(build_mcp(operations, caller), host, gated=gated)
    routes: list[BaseRoute] = [
        *starlette_routes(service, API_ROUTES + OPENAI_ROUTES + CONVERSATION_ROUTES + SAVED_ROUTES),
        *mcp.routes,
    ]
    return ProgramRoutes(routes, mcp)
