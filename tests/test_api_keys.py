"""Keys for programs (hashed, 0600, re-read on change), the `assistant keys` command, the access decision with
keys, and the pieces of the routes for programs that need no server: the OpenAPI document, the reply text of
the OpenAI-compatible endpoint, the checks of a completion request, and who may index."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp_types import CallToolResult
from starlette.applications import Starlette

from assistant import Assistant, Settings
from assistant.answers import Answer, Passage, Quote
from assistant.errors import ExposureError, InvalidInputError
from assistant.serve.access import Caller, decide_access, is_api_path
from assistant.serve.api_keys import KEY_PREFIX, ApiKeys, KeysFileError, bearer_key, keys_path
from assistant.serve.api_routes import API_ROUTES, Service, openapi_document, starlette_routes
from assistant.serve.openai_routes import OPENAI_ROUTES, completion_text, conversation_of
from assistant.serve.operations import Operations, check_urls, question_from
from assistant.serve.users import Users

REPO = Path(__file__).resolve().parents[1]


def test_a_key_is_stored_only_as_its_hash_and_names_its_owner(tmp_path: Path) -> None:
    keys = ApiKeys(tmp_path / "keys.json")
    key = keys.add("open-webui")
    other = keys.add("librechat")
    text = (tmp_path / "keys.json").read_text()
    assert key.startswith(KEY_PREFIX) and len(key) > 40 and key != other
    assert key not in text and key[len(KEY_PREFIX) + 4 :] not in text
    assert keys.name_for(key) == "open-webui" and keys.name_for(other) == "librechat"
    for wrong in ("", key + "x", key[:-1], "na-" + "A" * 43, "x" * 10_000):
        assert keys.name_for(wrong) is None
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
    assert [entry.name for entry in keys.entries()] == ["librechat", "open-webui"]
    assert keys.entries()[1].hint == key[: len(KEY_PREFIX) + 4]


def test_a_removed_or_replaced_key_stops_working_for_a_reader_that_already_read_the_file(tmp_path: Path) -> None:
    server_side = ApiKeys(tmp_path / "keys.json")  # as a running server holds it
    cli_side = ApiKeys(tmp_path / "keys.json")
    first = cli_side.add("skript")
    assert server_side.name_for(first) == "skript"
    second = cli_side.add("skript")  # a new key for the same name replaces the old one
    assert server_side.name_for(first) is None and server_side.name_for(second) == "skript"
    cli_side.remove("skript")
    assert server_side.name_for(second) is None
    with pytest.raises(KeysFileError, match="no key named"):
        cli_side.remove("skript")
    with pytest.raises(KeysFileError, match="key name"):
        cli_side.add("zwei wörter")


def test_a_broken_keys_file_lets_no_key_in(tmp_path: Path) -> None:
    keys = ApiKeys(tmp_path / "keys.json")
    key = keys.add("skript")
    (tmp_path / "keys.json").write_text("{kaputt")
    assert keys.name_for(key) is None
    with pytest.raises(KeysFileError, match="cannot read"):
        keys.names()


def test_bearer_header() -> None:
    assert bearer_key("Bearer na-abc") == "na-abc"
    assert bearer_key("bearer   na-abc ") == "na-abc"
    for header in (None, "", "Basic dXNlcjpwdw==", "Bearer", "Bearer  "):
        assert bearer_key(header) is None


def test_keys_add_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    """The real command, as a user (or a setup script: ``KEY=$(assistant keys add ci | tail -1)``) runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def keys_cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant.cli", "keys", *args, "--index-dir", str(tmp_path)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)

    added = keys_cli("add", "ci")
    assert added.returncode == 0, added.stderr
    key = added.stdout.splitlines()[-1]
    assert added.stdout == key + "\n"  # stdout holds the key alone; the words go to stderr
    assert ApiKeys(tmp_path / "keys.json").name_for(key) == "ci"
    listed = keys_cli("list", "--json")
    assert [entry["name"] for entry in json.loads(listed.stdout)] == ["ci"] and key not in listed.stdout
    assert keys_cli("remove", "ci").returncode == 0
    assert ApiKeys(tmp_path / "keys.json").name_for(key) is None
    missing = keys_cli("remove", "ci")
    assert missing.returncode == 1 and "no key named 'ci'" in missing.stderr


def test_keys_live_beside_the_users_file(tmp_path: Path) -> None:
    assert keys_path(Settings(index_dir=tmp_path / "index")) == tmp_path / "index" / "keys.json"
    assert (
        keys_path(Settings(index_dir=tmp_path, users_file=tmp_path / "etc" / "u.json"))
        == tmp_path / "etc" / "keys.json"
    )


def test_a_network_address_starts_with_keys_alone_and_refuses_with_neither(tmp_path: Path) -> None:
    users, keys = Users(tmp_path / "users.json"), ApiKeys(tmp_path / "keys.json")
    with pytest.raises(ExposureError, match="keys add"):
        decide_access("0.0.0.0", users, keys=keys)
    key = keys.add("ci")
    access = decide_access("0.0.0.0", users, keys=keys)
    assert access.auth is not None and access.keys is not None and access.keys(key) == "ci"
    assert decide_access("127.0.0.1", users, keys=keys).auth is None  # loopback stays open
    assert decide_access("127.0.0.1", users, keys=keys).open_caller == Caller("local")
    open_network = decide_access("0.0.0.0", users, keys=keys, no_auth=True)
    assert open_network.open_caller == Caller("anonymous") and not open_network.open_caller.may_write


def test_program_paths() -> None:
    for path in ("/api/ask", "/api/articles/a/b", "/v1/chat/completions", "/mcp", "/mcp/"):
        assert is_api_path(path), path
    for path in ("/", "/config", "/gradio_api/api/ask", "/apix", "/v1", "/mcpx", "/login"):
        assert not is_api_path(path), path


# --------------------------------------------------------------------------- request checks


def test_a_question_body_is_checked_like_the_chats() -> None:
    checked = question_from({"question": "Wer?", "k": 3.0, "sources": ["FT"], "since": "1.3.2024"}, 20)
    assert (checked.text, checked.k) == ("Wer?", 3) and checked.search_filter is not None
    assert checked.search_filter.published_from == "2024-03-01"
    for body, message in (
        ({}, '"question" is required'),
        ({"question": 7}, '"question" is required'),
        ({"question": "Wer?", "top_k": 3}, "unknown field 'top_k'"),
        ({"question": "Wer?", "k": 21}, "from 1 to 20"),
        ({"question": "Wer?", "k": True}, "whole number"),
        ({"question": "Wer?", "sources": "FT"}, "list of source names"),
        ({"question": "Wer?", "since": "gestern"}, "kein Datum"),
        ({"question": "Wer?", "since": "2024-03-02", "until": "2024-03-01"}, "Zeitraum ist leer"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            question_from(body, 20)


def test_only_web_addresses_may_be_indexed_over_the_network() -> None:
    assert check_urls(["https://a.example/feed", "https://a.example/feed"], 3) == ["https://a.example/feed"]
    for urls, message in (
        ("https://a.example", "non-empty list"),
        ([], "non-empty list"),
        (["/etc/passwd"], "not an http"),
        (["file:///etc/passwd"], "not an http"),
        ([7], "not an http"),
        ([f"https://a.example/{n}" for n in range(4)], "at most 3"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            check_urls(urls, 3)


def test_a_completion_request_takes_the_last_user_message_and_the_turns_before() -> None:
    question, history = conversation_of(
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Worüber verhandeln Russland und die Ukraine?"},
            {"role": "assistant", "content": "Über Energieanlagen. [1]"},
            {"role": "user", "content": [{"type": "text", "text": "Und wer sollte vermitteln?"}]},
        ]
    )
    assert question == "Und wer sollte vermitteln?"
    assert [m["role"] for m in history] == ["user", "assistant"]
    for messages, message in (
        ([], "non-empty list"),
        ("Frage", "non-empty list"),
        ([{"role": "assistant", "content": "x"}], "last message"),
        ([{"content": "x"}], "role"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            conversation_of(messages)


def test_the_reply_text_numbers_each_quote_with_title_outlet_day_and_link() -> None:
    quote = Quote("Die Gespräche sollten\nin Doha beginnen.", "a/1", 10, 47, 0.9, "Gespräche", "FT", "2024-08-01")
    passage = Passage("a/1", "Gespräche", "…", 0, 80, 1.0, "FT", "2024-08-01", "https://ft.example/1")
    answer = Answer("Wer?", "Die Gespräche sollten in Doha beginnen. [1]", False, [quote], [passage])
    text = completion_text(answer, {"a/1": "https://ft.example/1"})
    assert text.startswith("Die Gespräche sollten in Doha beginnen. [1]\n\n**Quellen**")
    assert "[1] „Die Gespräche sollten in Doha beginnen.“" in text
    assert "— Gespräche · FT · 2024-08-01 · https://ft.example/1" in text and "(a/1, 10–47)" in text
    abstained = Answer("Wer?", "Dazu sagen die Artikel nichts.", True, [], [passage])
    assert "Passagen, die der Frage am nächsten kommen" in completion_text(abstained, {})


def test_the_openapi_document_describes_every_route_of_the_table() -> None:
    document = openapi_document(API_ROUTES + OPENAI_ROUTES)
    paths = document["paths"]
    assert isinstance(paths, dict)
    for route in API_ROUTES + OPENAI_ROUTES:
        assert route.method.lower() in paths[route.path.replace(":path}", "}")], route.path
    assert {"/api/ask", "/api/articles/{article_id}", "/api/status", "/api/index", "/v1/chat/completions"} <= set(paths)
    ask = paths["/api/ask"]["post"]
    assert ask["requestBody"]["content"]["application/json"]["schema"]["required"] == ["question"]
    json.dumps(document)  # plain JSON


# --------------------------------------------------------------------------- who may index


@pytest.mark.slow
async def test_without_a_login_on_a_network_address_nobody_may_index(indexed: Assistant) -> None:
    """``--no-auth`` on a network address opens questions, not writes; this machine's user may index."""
    for caller, expected in ((Caller("anonymous"), 403), (Caller("local"), 400)):
        service = Service(Operations(indexed), open_caller=caller)
        app = Starlette(routes=starlette_routes(service, API_ROUTES))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            refused = await client.post("/api/index", json={"urls": ["/etc/passwd"]})  # 400: a path, not a URL
            assert refused.status_code == expected, refused.text
            assert (await client.get("/api/status")).json()["articles"] == indexed.status().articles


@pytest.mark.slow
def test_an_open_server_answers_everyone_but_lets_only_this_machines_user_index(indexed: Assistant) -> None:
    """Served without a login: on a network address with --no-auth (`Caller("anonymous")`) the API and MCP
    answer questions and refuse to index; on loopback (`Caller("local")`) MCP keeps the SDK's DNS-rebinding
    check (a page in the local browser must not reach the tools through another host name)."""
    import asyncio

    from assistant.serve.chat_app import build_app, launch
    from assistant.serve.programs import program_routes
    from tests.ports import free_port

    app = build_app(indexed)
    programs = program_routes(indexed, open_caller=Caller("anonymous"))
    url = launch(app, "127.0.0.1", free_port(), block=False, programs=programs)
    try:
        assert httpx.get(url + "/api/status", timeout=30).json()["articles"] == indexed.status().articles
        refused = httpx.post(url + "/api/index", json={"urls": ["https://example.org/feed.xml"]}, timeout=30)
        assert refused.status_code == 403 and "login or an API key" in refused.json()["error"]["message"]
        result = asyncio.run(_mcp_call(url, "index_urls", {"urls": ["https://example.org/feed.xml"]}))
        assert result.is_error and "needs a login or an API key" in result.content[0].text
        hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        accept = {"Accept": "application/json, text/event-stream"}
        rebound = httpx.post(url + "/mcp", json=hello, headers={**accept, "Host": "evil.example:80"}, timeout=30)
        assert rebound.status_code in (403, 421), rebound.text
        assert httpx.post(url + "/mcp", json=hello, headers=accept, timeout=30).status_code == 200
    finally:
        app.close()


async def _mcp_call(url: str, tool: str, arguments: dict[str, object]) -> CallToolResult:
    from mcp import Client

    async with Client(url + "/mcp") as client:
        return await client.call_tool(tool, arguments)
