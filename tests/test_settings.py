"""Settings are checked when they are made: alone, against each other, and as one line at the CLI's start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.answering import prompts
from assistant.errors import AssistantError, ConfigurationError, PromptError
from assistant.settings import Settings
from tests.helpers import run_cli


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ASSISTANT_ variable and no .env of the developer's leaks into these checks."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_defaults_are_valid() -> None:
    settings = Settings()
    assert settings.chunk_target_chars <= settings.chunk_max_chars
    assert settings.top_k <= settings.max_top_k


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        (
            {"CHUNK_TARGET_CHARS": "900", "CHUNK_MAX_CHARS": "500"},
            ["CHUNK_TARGET_CHARS (900)", "CHUNK_MAX_CHARS (500)"],
        ),
        ({"TOP_K": "20", "MAX_TOP_K": "10"}, ["ASSISTANT_TOP_K (20)", "ASSISTANT_MAX_TOP_K (10)"]),
        ({"TOP_K": "0"}, ["ASSISTANT_TOP_K=0:"]),
        ({"TOP_K": "vier"}, ["ASSISTANT_TOP_K=vier:"]),
        ({"CHUNK_MAX_CHARS": "-5"}, ["ASSISTANT_CHUNK_MAX_CHARS=-5:"]),
        ({"ABSTAIN_THRESHOLD": "91"}, ["ASSISTANT_ABSTAIN_THRESHOLD=91:"]),
        ({"FETCH_TIMEOUT": "inf"}, ["ASSISTANT_FETCH_TIMEOUT=inf:"]),
        ({"LLM_TIMEOUT": "nan"}, ["ASSISTANT_LLM_TIMEOUT=nan:"]),
        ({"CHROMA_URL": "localhost:8000"}, ["ASSISTANT_CHROMA_URL", "http://host:port"]),
        ({"CHROMA_URL": "ftp://example.org"}, ["ASSISTANT_CHROMA_URL"]),
        ({"CHROMA_URL": "http://127.0.0.1:99999"}, ["ASSISTANT_CHROMA_URL", "invalid port"]),
        ({"LLM": "openai-compatible", "LLM_BASE_URL": "file:///etc/passwd"}, ["ASSISTANT_LLM_BASE_URL"]),
        ({"COLLECTION": "a"}, ["ASSISTANT_COLLECTION"]),
        ({"COLLECTION": "news..2024"}, ["ASSISTANT_COLLECTION"]),
        ({"EMBEDDING_MODEL": "  "}, ["ASSISTANT_EMBEDDING_MODEL"]),
        ({"LLM": "ollama"}, ["ASSISTANT_LLM=ollama needs ASSISTANT_LLM_MODEL"]),
        ({"LLM": "openai", "LLM_API_KEY": "sk-x"}, ["ASSISTANT_LLM=openai needs ASSISTANT_LLM_MODEL"]),
        ({"LLM": "openai-compatible"}, ["ASSISTANT_LLM=openai-compatible needs ASSISTANT_LLM_BASE_URL"]),
        ({"LLM": "gpt"}, ["ASSISTANT_LLM=gpt:"]),
        ({"EMBEDDING_PRECISION": "int4"}, ["ASSISTANT_EMBEDDING_PRECISION=int4:", "'int8' or 'float32'"]),
        ({"TOP_K": "4\nASSISTANT_X=1"}, ["ASSISTANT_TOP_K=4 ASSISTANT_X=1:"]),  # still one line
    ],
)
def test_unusable_values_are_one_configuration_error_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: list[str]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(f"ASSISTANT_{name}", value)
    with pytest.raises(ConfigurationError) as caught:
        Settings()
    message = str(caught.value)
    assert message.startswith("invalid settings: ") and "\n" not in message
    assert all(part in message for part in named), message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings(top_k=0, collection="x", fetch_max_redirects=99)
    assert all(name in str(caught.value) for name in ("TOP_K", "COLLECTION", "FETCH_MAX_REDIRECTS"))


def test_values_at_the_limits_are_accepted() -> None:
    settings = Settings(chunk_target_chars=800, chunk_max_chars=800, top_k=7, max_top_k=7, abstain_threshold=0.0)
    assert (settings.chunk_max_chars, settings.max_top_k, settings.abstain_threshold) == (800, 7, 0.0)
    assert Settings(llm="ollama", llm_model="llama3.2").llm_base_url is None  # ollama has a default address


def test_server_addresses_are_cleaned_and_a_blank_one_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(chroma_url=" https://chroma.example.org:8443/ ").chroma_url == "https://chroma.example.org:8443/"
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "")  # an empty line in .env or a deployment template
    assert Settings().chroma_url is None


def test_the_api_key_is_never_part_of_the_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings(llm_api_key=["sk-secret-0123456789"])
    assert "LLM_API_KEY" in str(caught.value) and "sk-secret" not in str(caught.value)


@pytest.mark.parametrize("command", ["index", "serve"])
def test_the_cli_prints_one_line_and_no_traceback(tmp_path: Path, command: str) -> None:
    """Before, target 900 above max 500 passed the settings and ended in chunk_text's traceback mid-index."""
    (tmp_path / "a.txt").write_text("Ein Satz über die Stadtwerke.\n", encoding="utf-8")
    arguments = [str(tmp_path / "a.txt")] if command == "index" else ["--port", "0"]
    result = run_cli(
        command,
        *arguments,
        "--index-dir",
        str(tmp_path / "index"),
        cwd=tmp_path,
        env={"ASSISTANT_CHUNK_TARGET_CHARS": "900", "ASSISTANT_CHUNK_MAX_CHARS": "500"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: invalid settings: ASSISTANT_CHUNK_TARGET_CHARS (900) must not exceed ASSISTANT_CHUNK_MAX_CHARS (500)"
    ]
    assert not (tmp_path / "index").exists()  # nothing was started before the settings were checked


def test_a_bad_prompt_file_is_a_configuration_error_of_the_one_tree(tmp_path: Path) -> None:
    (tmp_path / "answer.txt").write_text("System {question}\n=== user ===\n{passages}", encoding="utf-8")
    with pytest.raises(PromptError, match=r"lacks the variable\(s\) \{language\}") as caught:
        prompts.load_prompt("answer", tmp_path)
    assert isinstance(caught.value, ConfigurationError) and isinstance(caught.value, AssistantError)
