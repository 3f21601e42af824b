"""`assistant serve --host ::1`: the chat on the IPv6 loopback, like 127.0.0.1 (no login), reached at its
bracketed URL. Before, the unbracketed address crashed Gradio ("Invalid port: ':1:7870'")."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import chat_client
from tests.served import REPO, served

pytestmark = pytest.mark.slow


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no IPv6 loopback")
@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_the_chat_serves_the_ipv6_loopback_without_a_login(tmp_path: Path, seed_index: Path, host: str) -> None:
    shutil.copytree(seed_index, tmp_path / "index")
    with served(tmp_path / "index", host=host) as url:
        assert url.startswith("http://[::1]:")
        client = chat_client(url)
        assert client.predict(api_name="/status")["articles"] > 0
        answer = client.predict("Wer sollte die Gespräche vermitteln?", api_name="/ask")
        assert answer["quotes"]


def test_an_address_this_machine_does_not_have_is_one_clear_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "assistant.cli", "serve", "--host", "2001:db8::1", "--no-auth", "--port", "7999"]
    result = subprocess.run(
        [*command, "--index-dir", str(tmp_path / "index")], capture_output=True, text=True, cwd=REPO, timeout=600
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: cannot serve the chat on [2001:db8::1]:7999: " in result.stderr
