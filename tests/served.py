"""`assistant serve` as its own process, the way a user starts the chat, for tests that need the real command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port

REPO = Path(__file__).resolve().parents[1]


def start(
    index_dir: Path, *args: str, host: str = "127.0.0.1", env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start the chat on a free port of `host`; returns the process and its URL once it says it is ready."""
    port = free_port()
    log = (index_dir.parent / f"serve-{port}.log").open("w")  # a file, not a pipe: a full pipe would stall it
    command = [sys.executable, "-m", "assistant.cli", "serve", "--host", host, "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--index-dir", str(index_dir), *args],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=30)
        raise AssertionError(f"the chat did not start: {Path(log.name).read_text()}")
    return process, line.split(" auf ", 1)[1].split()[0]


@contextmanager
def served(index_dir: Path, *args: str, host: str = "127.0.0.1", env: dict[str, str] | None = None) -> Iterator[str]:
    """The chat's URL while it runs; stopped as Ctrl+C stops it."""
    process, url = start(index_dir, *args, host=host, env=env)
    try:
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
