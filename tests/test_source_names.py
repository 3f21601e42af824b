"""Source names are checked like questions wherever they enter: Python's `SearchFilter`, `assistant ask --source`
and the chat's `/ask`. A lone surrogate or a control character is refused with `InvalidInputError` and its
message (it reached Chroma before, as "Invalid where clause")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.answering.retrieval import SearchFilter
from assistant.errors import InvalidInputError
from tests.served import REPO, served

BAD_NAMES = ["\ud800", "Reu\x00ters", "Tag\x1bblatt"]
REFUSAL = "a source name must be printable text"


@pytest.mark.parametrize("name", BAD_NAMES)
def test_python_refuses_a_source_with_a_lone_surrogate_or_a_control_character(indexed: Assistant, name: str) -> None:
    with pytest.raises(InvalidInputError, match=REFUSAL):
        indexed.ask("Wer sollte die Gespräche vermitteln?", search_filter=SearchFilter(sources=(name,)))


def test_source_names_are_cleaned_like_questions() -> None:
    decomposed = "Su\u0308ddeutsche"  # ü as u + combining diaeresis: stored text is NFC

    assert SearchFilter(sources=(f"  {decomposed} ", "", "Reuters")).sources == ("Süddeutsche", "Reuters")


@pytest.mark.slow
def test_the_cli_refuses_a_source_that_is_not_text(indexed: Assistant) -> None:
    command = [sys.executable, "-m", "assistant.cli", "ask", "Wer vermittelt?", "--index-dir", str(indexed.index_dir)]
    for name in (b"\xff", b"Reu\x1bters"):  # a byte that is no UTF-8 arrives as a lone surrogate
        result = subprocess.run([*command, "--source", os.fsdecode(name)], capture_output=True, cwd=REPO, timeout=600)

        assert result.returncode == 1
        stderr = result.stderr.decode("utf-8", "replace")
        assert stderr.startswith(f"error: {REFUSAL}"), stderr
        assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, seed_index: Path) -> Iterator[str]:
    """The real `assistant serve` over the seeds."""
    root = tmp_path_factory.mktemp("sources")
    shutil.copytree(seed_index, root / "index")
    with served(root / "index") as url:
        yield url


def ask_raw(url: str, question: str, k: int, sources: object) -> str:
    """`/ask` as any HTTP client may call it: JSON with escapes (a lone surrogate is valid JSON, not valid UTF-8,
    so gradio_client cannot send it); the event stream's text comes back."""
    import httpx

    config = httpx.get(f"{url}/config", timeout=60).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
    session = uuid.uuid4().hex
    call = {"data": [question, k, sources, None, None], "fn_index": fn_index, "session_hash": session}
    body = json.dumps(call, ensure_ascii=True)
    headers = {"Content-Type": "application/json"}
    httpx.post(f"{url}/gradio_api/queue/join", content=body, headers=headers, timeout=60).raise_for_status()
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=120) as events:
        return "".join(line for line in events.iter_lines() if line.startswith("data:") and "process_completed" in line)


@pytest.mark.slow
@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_chat_api_refuses_a_source_with_its_message(chat: str, name: str) -> None:
    refused = ask_raw(chat, "Wer sollte die Gespräche vermitteln?", 3, [name])

    assert '"success":false' in refused and REFUSAL in refused
    assert "went wrong" not in refused
    answered = ask_raw(chat, "Wer sollte die Gespräche vermitteln?", 3, [])
    assert '"quotes"' in answered
