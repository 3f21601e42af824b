"""Who may reach the chat: the decision `assistant serve` makes from the address, and the gate that holds it.

On a loopback address nothing changes (only this machine can connect). Any other address needs users to log
in (Gradio's own login, checked against the users file), or an explicit ``--no-auth`` with a warning.

Gradio's login protects the page's data and most of its routes, but (checked on Gradio 6.31) answers these
without one: ``/openapi.json`` (the whole API schema), ``/gradio_api/user``, ``/token``, ``/app_id``,
``/heartbeat/…``, ``/cancel``, ``/reset``, ``/stream/…``, ``/custom_component/…`` and the ``vibe-…`` routes.
`LoginGate` refuses every route except the login page and its static files without a session, and ends a
session whose user was removed or got a new password since (Gradio keeps its sessions until a restart).

The routes for programs (`API_PREFIXES`: the JSON API, the OpenAI-compatible endpoint, MCP) pass the same gate
with a login's session or an API key (``Authorization: Bearer KEY``, `api_keys`); the gate notes who called
(`Caller`) in the request's state, where the routes read it (writes need a name, `may_write`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.errors import ExposureError
from assistant.serve.api_keys import ApiKeys, bearer_key
from assistant.serve.login_brake import LoginThrottle, Verdict
from assistant.serve.users import Users

Auth = Callable[[str, str], bool]
"""``(name, password) -> allowed``, the form Gradio's ``launch(auth=...)`` takes."""
SessionCheck = Callable[[str], str | None]
"""``name -> fingerprint`` of the user's current password (None: no such user); a session lasts while it stays the
same (`Users.fingerprint`)."""

PUBLIC_PATHS = frozenset(
    {"/", "/login", "/login/", "/logout", "/favicon.ico", "/robots.txt", "/manifest.json", "/theme.css"}
    | {"/gradio_api/theme.css", "/gradio_api/startup-events"}
)
"""The login page and what it needs (Gradio serves the page's components only after a login), and the startup
hook `launch` itself calls once (later calls only answer ``false``)."""
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")
"""The compiled frontend (the same for every Gradio app, no data)."""


API_PREFIXES = ("/api/", "/v1/", "/mcp/")
"""Routes for programs: a key opens them too (Gradio's own API stays under ``/gradio_api/``)."""
API_PATHS = frozenset({"/mcp"})
KeyCheck = Callable[[str], str | None]
"""``key -> name`` of an API key (None: no such key), `ApiKeys.name_for`."""


@dataclass(frozen=True)
class Caller:
    """Who sent a request the gate let through: a logged-in user, a program with a key, or the local user of a
    server without login (``local``: only this machine can reach it)."""

    kind: str  # "user" | "key" | "local" | "anonymous" (--no-auth on a network address)
    name: str = ""

    @property
    def may_write(self) -> bool:
        """Indexing needs someone who answers for it: a login, a key, or this machine's own user."""
        return self.kind in ("user", "key", "local")


def is_api_path(path: str) -> bool:
    return path in API_PATHS or path.startswith(API_PREFIXES)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@dataclass(frozen=True)
class Access:
    """How the chat is served: with a login check (`auth`) or open, and a warning to print if any."""

    auth: Auth | None
    warning: str | None = None
    sessions: SessionCheck | None = None  # with `auth`: ends sessions of removed users and changed passwords
    keys: KeyCheck | None = None  # with `auth`: API keys open the routes for programs
    open_caller: Caller = Caller("local")  # without `auth`: who every request is (may it index?)


def decide_access(
    host: str, users: Users, *, no_auth: bool = False, require_auth: bool = False, keys: ApiKeys | None = None
) -> Access:
    """Login (or an API key) on every non-loopback address (or when asked), braked against guessing
    (`LoginThrottle`); refuse to start when nobody could log in and no program has a key."""
    if no_auth:
        if is_loopback(host):
            return Access(None)
        return Access(
            None,
            f"WARNING: serving on {host} without authentication (--no-auth): anyone who can reach this port can "
            "read every indexed article and upload files in the chat (the JSON API, OpenAI and MCP routes answer "
            "questions but index nothing). Add users with `assistant users add NAME` instead.",
            open_caller=Caller("anonymous"),
        )
    if is_loopback(host) and not require_auth:
        return Access(None)
    key_check = keys.name_for if keys is not None else None
    if not users.names() and not (keys is not None and keys.names()):
        why = "--auth was given" if is_loopback(host) else f"{host} is reachable from other machines"
        raise ExposureError(
            f"refusing to serve without a login: {why} and no users are configured in {users.path}. "
            "Add one with `assistant users add NAME` (with the same --index-dir, or set ASSISTANT_USERS_FILE), "
            "or pass --no-auth to serve without authentication (programs alone: `assistant keys add NAME`)."
        )
    return Access(LoginThrottle(users.verify), sessions=users.fingerprint, keys=key_check)


def off_the_event_loop(auth: Auth) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio calls a plain auth function inside its event loop, where 0.1 s of scrypt per login attempt would
    stall every other request; this one checks in a worker thread. An attempt the brake (`LoginThrottle`) refused
    unchecked is answered 429 with why (the name must wait), not Gradio's "Incorrect credentials"."""

    if not isinstance(auth, LoginThrottle):

        async def plain(name: str, password: str) -> bool:
            return await anyio.to_thread.run_sync(auth, name, password)

        return plain
    brake = auth

    async def braked(name: str, password: str) -> bool:
        verdict = await anyio.to_thread.run_sync(brake.check, name, password)
        if verdict in (Verdict.WAIT, Verdict.BUSY):
            raise HTTPException(status_code=429, detail=brake.refusal(name, verdict))
        return verdict is Verdict.ALLOWED

    return braked


def gate_middleware(sessions: SessionCheck | None = None, keys: KeyCheck | None = None) -> list[Middleware]:
    """The FastAPI ``middleware`` argument that puts `LoginGate` in front of every route."""
    return [Middleware(LoginGate, sessions=sessions, keys=keys)]


class LoginGate:
    """ASGI middleware: without a Gradio session cookie only the login page and static files are served.

    With `sessions`, a session also ends when its user is removed or gets a new password: the gate remembers the
    password's fingerprint when it first sees the session (right after the login) and compares on every request;
    an ended session's token is dropped from Gradio's, so the page asks for a login again."""

    def __init__(self, app: ASGIApp, sessions: SessionCheck | None = None, keys: KeyCheck | None = None) -> None:
        self.app = app
        self.sessions = sessions
        self.keys = keys
        self._fingerprints: dict[str, str] = {}  # session token -> its user's password fingerprint at first sight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if is_api_path(_path(scope)):
            await self._program_route(scope, receive, send)
            return
        signed_in = self._signed_in(scope)  # first: it also ends a stale session before the page is served
        if signed_in or _public(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await JSONResponse({"detail": "Not authenticated: log in first."}, status_code=401)(scope, receive, send)

    async def _program_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A route for programs: a valid key or a live login session, noted as the request's `Caller`."""
        caller = self._caller(scope)
        if caller is None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if caller is None:
            headers = {"WWW-Authenticate": 'Bearer realm="assistant"'}
            refusal = {"error": {"message": "Not authenticated: send Authorization: Bearer KEY (or log in).",
                                 "type": "authentication_error", "code": 401}}  # fmt: skip
            await JSONResponse(refusal, status_code=401, headers=headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    def _caller(self, scope: Scope) -> Caller | None:
        key = bearer_key(HTTPConnection(scope).headers.get("authorization"))
        if key is not None and self.keys is not None:
            name = self.keys(key)
            if name is not None:
                return Caller("key", name)
        if self._signed_in(scope):
            from gradio.routes import App

            app = scope.get("app")
            token = _session_token(scope, app.cookie_id) if isinstance(app, App) else None
            user = app.tokens.get(token, "") if isinstance(app, App) and token else ""
            return Caller("user", str(user)) if user else Caller("local")
        return None

    def _signed_in(self, scope: Scope) -> bool:
        """A live session Gradio's login handed out (its token cookie), or no login configured at all."""
        from gradio.routes import App

        app = scope.get("app")
        if not isinstance(app, App):
            return False
        if app.auth is None and app.auth_dependency is None:
            return True
        token = _session_token(scope, app.cookie_id)
        if token is None or token not in app.tokens:
            if token is not None:
                self._fingerprints.pop(token, None)  # logged out
            return False
        if self.sessions is None:
            return True
        current = self.sessions(app.tokens[token])
        if current is not None and self._fingerprints.setdefault(token, current) == current:
            return True
        app.tokens.pop(token, None)  # removed, or a new password since the login: this session is over
        self._fingerprints.pop(token, None)
        return False


def caller_of(scope: Scope, open_caller: Caller) -> Caller:
    """Who sent this request: as the gate noted it, or (no gate: a server without login) `open_caller`."""
    state = scope.get("state")
    caller = state.get("caller") if isinstance(state, dict) else None
    return caller if isinstance(caller, Caller) else open_caller


def _path(scope: Scope) -> str:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _public(scope: Scope) -> bool:
    path = _path(scope)
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _session_token(scope: Scope, cookie_id: str) -> str | None:
    cookies = HTTPConnection(scope).cookies
    return cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
