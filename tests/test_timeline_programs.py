"""Timelines for programs on a real `assistant serve --auth` process over hand-written dated articles: the JSON
route returns what `assistant timeline --json` prints, refuses bad input with a message, and the MCP tool of the
same name answers over ``/mcp`` with the ``mcp`` SDK's client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from assistant.embeddings.onnx_backend import OnnxEmbeddings
from tests.helpers import KeyedServer, keyed_server
from tests.timeline_samples import BRIDGE, QUESTION

pytestmark = pytest.mark.slow

NOW = "2024-03-20"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings) -> Iterator[KeyedServer]:
    """`assistant serve --auth` over an index of the bridge story, with one API key."""
    with keyed_server(tmp_path_factory.mktemp("timeline-programs") / "index", BRIDGE, embeddings, "timeline") as server:
        yield server


def _first_day(entry: dict[str, object]) -> str:
    day = entry["day"]
    return day if isinstance(day, str) else str(day["start"])  # type: ignore[index]


def test_the_timeline_route_wants_a_key(served: KeyedServer) -> None:
    for headers in ({}, {"Authorization": "Bearer na-falsch"}):
        reply = httpx.post(served.url + "/api/timeline", headers=headers, json={"question": QUESTION}, timeout=30)
        assert reply.status_code == 401, reply.text


def test_the_timeline_route_returns_what_the_cli_prints(served: KeyedServer) -> None:
    reply = served.post("/api/timeline", {"question": QUESTION, "as_of": NOW})
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data == served.cli_json("timeline", QUESTION, "--as-of", NOW)
    assert data["question"] == QUESTION
    days = [_first_day(entry) for entry in data["entries"]]
    assert days == sorted(days) and "2024-03-06" in days  # "am Mittwoch" before Thursday 7 March
    sperrung = next(entry for entry in data["entries"] if entry["day"] == "2024-03-06")
    outlets = {sperrung["quotes"][0]["source"], *sperrung["also_in"]}
    assert outlets == {"bote.de", "kurier.de"}
    for entry in data["entries"]:
        for quote in entry["quotes"]:
            article = served.get(f"/api/articles/{quote['article_id']}").json()
            assert article["text"][quote["start"] : quote["end"]] == quote["text"]


def test_the_timeline_route_takes_the_cli_options(served: KeyedServer) -> None:
    one = served.post("/api/timeline", {"question": QUESTION, "max_entries": 1}).json()
    assert len(one["entries"]) == 1
    only = served.post("/api/timeline", {"question": QUESTION, "sources": ["zeitung.de"]}).json()
    assert only == served.cli_json("timeline", QUESTION, "--source", "zeitung.de")
    assert only["entries"] and {q["source"] for e in only["entries"] for q in e["quotes"]} == {"zeitung.de"}
    late = served.post("/api/timeline", {"question": QUESTION, "since": "2024-03-10", "until": "2024-04-30"}).json()
    assert late["entries"] and all(_first_day(entry) >= "2024-03-10" for entry in late["entries"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "question"),
        ({"question": 3}, "question"),
        ({"question": "  "}, "empty"),
        ({"question": QUESTION, "k": 3}, "unknown parameter 'k'"),
        ({"question": QUESTION, "since": "morgen"}, "kein Datum"),
        ({"question": QUESTION, "as_of": "bald"}, "kein Datum"),
        ({"question": QUESTION, "since": "2024-04-01", "until": "2024-03-01"}, "leer"),
        ({"question": QUESTION, "max_entries": 0}, "max_entries"),
        ({"question": QUESTION, "max_entries": "zwölf"}, "max_entries"),
        ({"question": QUESTION, "max_entries": True}, "max_entries"),
        ({"question": QUESTION, "sources": "bote.de"}, "source"),
    ],
)
def test_bad_timeline_requests_are_refused_with_a_message(served: KeyedServer, body: object, message: str) -> None:
    reply = served.post("/api/timeline", body)
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["error"]["message"]


def test_the_openapi_description_names_the_timeline_route(served: KeyedServer) -> None:
    paths = served.get("/api/openapi.json").json()["paths"]
    body = paths["/api/timeline"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["question"] and "max_entries" in body["properties"]


async def _mcp_timeline(url: str, key: str) -> dict[str, object]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=120)
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        found = await client.call_tool("timeline", {"question": QUESTION, "as_of": NOW, "max_entries": 3})
        bad = await client.call_tool("timeline", {"question": QUESTION, "since": "morgen"})
        return {
            "description": tools["timeline"].description,
            "read_only": tools["timeline"].annotations.read_only_hint,  # type: ignore[union-attr]
            "found": found.structured_content,
            "bad": (bad.is_error, str(bad.content)),
        }


def test_the_mcp_timeline_tool(served: KeyedServer) -> None:
    seen = asyncio.run(_mcp_timeline(served.url, served.key))
    assert len(str(seen["description"])) > 300 and seen["read_only"]
    found = seen["found"]
    cli = served.cli_json("timeline", QUESTION, "--as-of", NOW, "--max-entries", "3")
    assert isinstance(found, dict) and found == cli and 1 <= len(found["entries"]) <= 3
    bad_error, bad_text = seen["bad"]  # type: ignore[misc]
    assert bad_error and "kein Datum" in bad_text
