"""`assistant serve` as its own process under the names older tests use; the one home is `tests.helpers`
(`start_serve`, `stop_serve`, `serve_process`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import REPO, serve_process, start_serve, stop_serve

__all__ = ["REPO", "served", "start", "stop"]


def start(
    index_dir: Path, *args: str, host: str = "127.0.0.1", env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start the chat on a free port of `host`; returns the process and its URL once it says it is ready."""
    server = start_serve(index_dir, *args, host=host, env=env)
    return server.process, server.url


@contextmanager
def served(index_dir: Path, *args: str, host: str = "127.0.0.1", env: dict[str, str] | None = None) -> Iterator[str]:
    """The chat's URL while it runs (stopped with SIGTERM, see `stop_serve`)."""
    with serve_process(index_dir, *args, host=host, env=env) as server:
        yield server.url


stop = stop_serve
