"""Who may reach the chat: the decision `assistant serve` makes from the address, and the gate that holds it.

On a loopback address nothing changes (only this machine can connect). Any other address needs users to log
in (Gradio's own login, checked against the users file), or an explicit ``--no-auth`` with a warning.

Gradio's login protects the page's data and most of its routes, but (checked on Gradio 6.31) answers these
without one: ``/openapi.json`` (the whole API schema), ``/gradio_api/user``, ``/token``, ``/app_id``,
``/heartbeat/…``, ``/cancel``, ``/reset``, ``/stream/…``, ``/custom_component/…`` and the ``vibe-…`` routes.
`LoginGate` refuses every route except the login page and its static files without a session, and ends a
session whose user was removed or got a new password since (Gradio keeps its sessions until a restart).
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


def decide_access(host: str, users: Users, *, no_auth: bool = False, require_auth: bool = False) -> Access:
    """Login on every non-loopback address (or when asked), braked against guessing (`LoginThrottle`); refuse to
    start when nobody could log in."""
    if no_auth:
        if is_loopback(host):
            return Access(None)
        return Access(
            None,
            f"WARNING: serving on {host} without authentication (--no-auth): anyone who can reach this port can "
            "read every indexed article and upload files. Add users with `assistant users add NAME` instead.",
        )
    if is_loopback(host) and not require_auth:
        return Access(None)
    if not users.names():
        why = "--auth was given" if is_loopback(host) else f"{host} is reachable from other machines"
        raise ExposureError(
            f"refusing to serve without a login: {why} and no users are configured in {users.path}. "
            "Add one with `assistant users add NAME` (with the same --index-dir, or set ASSISTANT_USERS_FILE), "
            "or pass --no-auth to serve without authentication."
        )
    return Access(LoginThrottle(users.verify), sessions=users.fingerprint)


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


def gate_middleware(sessions: SessionCheck | None = None) -> list[Middleware]:
    """The FastAPI ``middleware`` argument that puts `LoginGate` in front of every Gradio route."""
    return [Middleware(LoginGate, sessions=sessions)]


class LoginGate:
    """ASGI middleware: without a Gradio session cookie only the login page and static files are served.

    With `sessions`, a session also ends when its user is removed or gets a new password: the gate remembers the
    password's fingerprint when it first sees the session (right after the login) and compares on every request;
    an ended session's token is dropped from Gradio's, so the page asks for a login again."""

    def __init__(self, app: ASGIApp, sessions: SessionCheck | None = None) -> None:
        self.app = app
        self.sessions = sessions
        self._fingerprints: dict[str, str] = {}  # session token -> its user's password fingerprint at first sight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        signed_in = self._signed_in(scope)  # first: it also ends a stale session before the page is served
        if signed_in or _public(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await JSONResponse({"detail": "Not authenticated: log in first."}, status_code=401)(scope, receive, send)

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


def _public(scope: Scope) -> bool:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _session_token(scope: Scope, cookie_id: str) -> str | None:
    cookies = HTTPConnection(scope).cookies
    return cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
