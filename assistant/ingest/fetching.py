"""Polite, bounded HTTP fetching: the only way the assistant reaches the network.

A server that fetches URLs for its users is an attack surface, so every request here is bounded
(time per read, time for the whole fetch, size, redirects), only ``http``/``https`` are spoken, and each
hop's host is resolved once, checked (public addresses only, unless the caller allows private ones) and then
connected to by that very address, so a DNS answer that changes between the check and the connection cannot
reach the host's network. An address the HTTP client cannot use (a redirect to ``javascript:``, a port that
is not a number) is a `FetchError` with its reason like every other refusal.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from assistant.errors import FetchError
from assistant.ingest.deadline import DeadlineTransport, FetchClock

USER_AGENT = "news-assistant/0.1 (+https://github.com/; fetches articles a user asked for)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """The bounds of one fetch: time per read and for the whole fetch (`deadline`, redirects included), size,
    redirects, and whether non-public addresses may be reached."""

    timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    allow_private: bool = False


@dataclass(frozen=True)
class Fetched:
    """A response: the final URL after redirects, and the body (empty when the server said "not modified")."""

    url: str
    status: int
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # where a redirect points

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """GET `url` within `policy`; conditional when a validator is given. Raises `FetchError` with the reason."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    clock = FetchClock(policy.deadline)
    for _ in range(policy.max_redirects + 1):
        response = _request_once(current, headers, policy, clock)
        if response.status not in _REDIRECTS:
            return response
        current = _next_hop(current, response.location or "")
    raise FetchError(url, f"more than {policy.max_redirects} redirects")


def _next_hop(current: str, location: str) -> str:
    """Where a redirect leads; an address that cannot even be read is refused (naming it)."""
    try:
        return urljoin(current, location)
    except ValueError as error:
        raise FetchError(current, f"cannot use the address {location[:200]} it redirects to: {error}") from None


def _request_once(url: str, headers: dict[str, str], policy: FetchPolicy, clock: FetchClock) -> Fetched:
    """One hop: check the URL and its resolved address, connect to that address, read at most max_bytes."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # e.g. a port that is not a number
        raise FetchError(url, f"cannot use the address {url[:200]}: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(url, "only http and https URLs can be fetched")
    address = resolve_checked(url, parts.hostname, port or (443 if parts.scheme == "https" else 80), policy)
    pinned = parts._replace(netloc=_netloc(address, port)).geturl()
    host_header = parts.netloc.rsplit("@", 1)[-1]
    try:
        with httpx.Client(timeout=policy.timeout, trust_env=False) as client, DeadlineTransport(clock) as transport:
            request = client.build_request(
                "GET", pinned, headers={**headers, "Host": host_header}, extensions={"sni_hostname": parts.hostname}
            )
            response = transport.handle_request(request)  # not `client.send`: it parses any Location, even bad ones
            try:
                return _read(url, response, policy)
            finally:
                response.close()
    except httpx.TimeoutException:
        if clock.passed:
            reason = f"no complete answer within {policy.deadline:g} s (ASSISTANT_FETCH_DEADLINE)"
            raise FetchError(url, reason) from None
        raise FetchError(url, f"timeout after {policy.timeout:g} s") from None
    except httpx.HTTPError as error:
        raise FetchError(url, f"cannot connect: {_one_line(error)}") from None
    except (httpx.InvalidURL, ValueError) as error:  # an address httpx cannot use: not an HTTPError
        raise FetchError(url, f"cannot use the address {url[:200]}: {_one_line(error)}") from None


def _read(url: str, response: httpx.Response, policy: FetchPolicy) -> Fetched:
    if response.status_code in _REDIRECTS:
        location = response.headers.get("location")
        if not location:
            raise FetchError(url, f"HTTP {response.status_code} without a Location header")
        return Fetched(url, response.status_code, "", b"", location=location)
    if response.status_code == 304:
        return Fetched(url, 304, "", b"", response.headers.get("etag"), response.headers.get("last-modified"))
    if response.status_code != 200:
        raise FetchError(url, f"HTTP {response.status_code}")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(url, f"too large ({int(declared):,} bytes, the limit is {policy.max_bytes:,})")
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > policy.max_bytes:
            raise FetchError(url, f"too large (more than {policy.max_bytes:,} bytes)")
    return Fetched(
        url,
        200,
        response.headers.get("content-type", ""),
        bytes(body),
        response.headers.get("etag"),
        response.headers.get("last-modified"),
    )


def resolve_checked(url: str, host: str, port: int, policy: FetchPolicy) -> str:
    """The address to connect to: the host's first resolved address, refused if any answer is not public."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(url, f"cannot resolve {host}: {error}") from None
    addresses = [ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0]) for answer in answers]
    if not policy.allow_private:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise FetchError(url, f"{host} resolves to a non-public address ({address}); refused")
    return str(addresses[0])


def _netloc(address: str, port: int | None) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}" if port else host


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__
