"""A free port of 127.0.0.1 for a server a test or bench starts (one home for the tests and the benches)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now: the OS picks it for a probe socket, which is closed again at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
