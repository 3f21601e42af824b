"""An overall deadline for one fetch, enforced on every socket read and write.

httpx's timeouts bound each read, so a server that sends its headers or body one byte per second is never
cut off. Here the network layer under httpx (an httpcore backend) gives every connect, read and write at most
the time left until the deadline, and refuses any once it has passed: no thread, no signal, the socket closes
with the request.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable

import httpcore
import httpx

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
"""What httpcore's backends take as a socket option (`socket.setsockopt` arguments)."""
SLACK = 0.05
"""Seconds a socket timeout may end early and still count as the deadline (poll rounds to milliseconds)."""


class DeadlinePassed(httpcore.ReadTimeout):
    """The fetch's overall deadline passed (a timeout to httpx, told apart by `FetchClock.passed`)."""


class FetchClock:
    """When one fetch (all its redirects) must be done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self, timeout: float | None) -> float:
        """`timeout` cut to the time left; `DeadlinePassed` when none is."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(f"no complete answer within {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.deadline - SLACK


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, clock: FetchClock) -> None:
        self.inner = inner
        self.clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.clock.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.clock.left(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self.inner.start_tls(ssl_context, server_hostname, self.clock.left(timeout)), self.clock)

    def get_extra_info(self, info: str) -> object:
        return self.inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def __init__(self, clock: FetchClock) -> None:
        self.clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(host, port, self.clock.left(timeout), local_address, socket_options)
        return _Stream(stream, self.clock)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport (request and response mapping, errors) over a network layer that keeps `clock`."""

    def __init__(self, clock: FetchClock) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_Backend(clock)
        )
