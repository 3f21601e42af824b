"""Stories for programs on a real `assistant serve --auth` process over hand-written articles: the JSON routes
return what the CLI's ``--json`` prints, refuse bad input as the rest of the API does, and the MCP tools of the
same name answer over ``/mcp`` with the ``mcp`` SDK's client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from assistant.embeddings.onnx_backend import OnnxEmbeddings
from tests.helpers import KeyedServer, keyed_server
from tests.stories_samples import ARTICLES

pytestmark = pytest.mark.slow

STORY_ROUTES = [("GET", "/api/stories"), ("GET", "/api/stories/x"), ("POST", "/api/compare"), ("GET", "/api/digest")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings) -> Iterator[KeyedServer]:
    """`assistant serve --auth` over an index of the story samples, with one API key."""
    with keyed_server(tmp_path_factory.mktemp("story-programs") / "index", ARTICLES, embeddings, "stories") as server:
        yield server


def fire_id(served: KeyedServer) -> str:
    stories = served.get("/api/stories").json()
    return next(story["id"] for story in stories if "fire-1" in story["article_ids"])


def test_the_story_routes_want_a_key(served: KeyedServer) -> None:
    for method, path in STORY_ROUTES:
        for headers in ({}, {"Authorization": "Bearer na-falsch"}):
            reply = httpx.request(method, served.url + path, headers=headers, json={}, timeout=30)
            assert reply.status_code == 401, (method, path, reply.text)


def test_stories_and_story_return_what_the_cli_prints(served: KeyedServer) -> None:
    listed = served.get("/api/stories")
    assert listed.status_code == 200, listed.text
    assert listed.json() == served.cli_json("stories")
    fire = fire_id(served)
    page = served.get(f"/api/stories/{fire}")
    assert page.status_code == 200, page.text
    assert page.json() == served.cli_json("story", fire)
    data = page.json()
    assert data["first_seen"] == "2024-03-10" and data["last_update"] == "2024-03-12"
    assert [o["source"] for o in data["outlets"]] == ["nordkurier.de", "suedkurier.de", "westkurier.de"]
    for quote in data["timeline"]:
        article = served.get(f"/api/articles/{quote['article_id']}").json()
        assert article["text"][quote["start"] : quote["end"]] == quote["text"]


def test_stories_are_filtered_by_window_and_outlet(served: KeyedServer) -> None:
    fire = fire_id(served)
    early = {story["id"] for story in served.get("/api/stories", until="10.3.2024").json()}
    assert early == {fire}
    outlet = served.get("/api/stories", source=["westkurier.de"], since="2024-03-12").json()
    assert {aid for story in outlet for aid in story["article_ids"]} >= {"fire-3", "weather-1"}
    assert all("strike-1" not in story["article_ids"] for story in outlet)
    assert served.get("/api/stories", source="gibt-es-nicht.de").json() == []


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/api/stories", {"since": "morgen"}, 400, "kein Datum"),
        ("/api/stories", {"since": "2024-03-12", "until": "2024-03-10"}, 400, "empty"),
        ("/api/stories", {"from": "2024-03-12"}, 400, "unknown parameter 'from'"),
        ("/api/stories/gibt-es-nicht", {}, 404, "no story with id"),
        ("/api/digest", {}, 400, "since"),
        ("/api/digest", {"since": "gestern abend"}, 400, "duration"),
        ("/api/digest", {"since": "2024-03-12", "until": "bald"}, 400, "until"),
    ],
)
def test_bad_queries_are_refused_with_a_message(
    served: KeyedServer, path: str, params: dict[str, str], status: int, message: str
) -> None:
    reply = served.get(path, **params)
    assert reply.status_code == status, reply.text
    assert message in reply.json()["error"]["message"]


def test_compare_finds_the_story_and_quotes_verbatim(served: KeyedServer) -> None:
    reply = served.post("/api/compare", {"question": "Brand im Lager Kara Tepe"})
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["story_id"] == fire_id(served) and len(data["outlets"]) >= 2
    assert data == served.cli_json("compare", "Brand im Lager Kara Tepe")
    quotes = [s["quote"] for s in data["shared"] + data["single"]] + [
        q for d in data["differences"] for q in (d["a"], d["b"])
    ]
    assert quotes
    for quote in quotes:
        article = served.get(f"/api/articles/{quote['article_id']}").json()
        assert article["text"][quote["start"] : quote["end"]] == quote["text"]
    asked = served.post("/api/ask", {"question": "Wie berichten die Medien über den Brand im Lager Kara Tepe?"})
    assert asked.status_code == 200, asked.text  # /api/ask answers it with the comparison, as the chat does
    told = asked.json()
    assert told["answer"].startswith("So berichten") and not told["abstained"]
    assert {(q["article_id"], q["start"]) for q in told["quotes"]} == {(q["article_id"], q["start"]) for q in quotes}
    for body, message in (({}, "question"), ({"question": "x", "k": 3}, "unknown"), ({"question": "  "}, "empty")):
        refused = served.post("/api/compare", body)
        assert refused.status_code == 400 and message in refused.json()["error"]["message"], refused.text


def test_digest_returns_what_the_cli_prints(served: KeyedServer) -> None:
    reply = served.get("/api/digest", since="2024-03-12", until="2024-03-12")
    assert reply.status_code == 200, reply.text
    assert reply.json() == served.cli_json("digest", "--since", "2024-03-12", "--until", "2024-03-12")
    new = {aid for story in reply.json() for aid in story["new_articles"]}
    assert "fire-3" in new and "fire-1" not in new
    arrived = served.get("/api/digest", arrived_since="0")  # every article arrived after 1970
    assert arrived.status_code == 200, arrived.text
    assert {aid for story in arrived.json() for aid in story["new_articles"]} == {a.id for a in ARTICLES}
    assert arrived.json() == served.cli_json("digest", "--arrived-since", "0")
    assert served.get("/api/digest", arrived_since=f"{time.time():.3f}").json() == []  # nothing indexed since
    for query, message in (({"since": "3d", "arrived_since": "0"}, "not both"), ({}, "arrived_since")):
        refused = served.get("/api/digest", **query)
        assert refused.status_code == 400 and message in refused.json()["error"]["message"], refused.text


def test_the_openapi_description_names_the_story_routes(served: KeyedServer) -> None:
    paths = served.get("/api/openapi.json").json()["paths"]
    assert {"/api/stories", "/api/stories/{story_id}", "/api/compare", "/api/digest"} <= set(paths)
    assert paths["/api/compare"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "question"
    ]


async def _mcp_stories(url: str, key: str) -> dict[str, object]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=120)
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        listed = await client.call_tool("stories", {"since": "2024-03-10"})
        stories = listed.structured_content["stories"]  # type: ignore[index]
        fire = next(story["id"] for story in stories if "fire-1" in story["article_ids"])
        page = await client.call_tool("story", {"story_id": fire})
        compared = await client.call_tool("compare", {"question": "Bahnstreik der GDL"})
        asked = await client.call_tool("ask", {"question": "Wie berichten die Medien über den Bahnstreik der GDL?"})
        digest = await client.call_tool("digest", {"since": "2024-03-12"})
        arrived = await client.call_tool("digest", {"arrived_since": "2020-01-01"})
        missing = await client.call_tool("story", {"story_id": "gibt-es-nicht"})
        bad_day = await client.call_tool("stories", {"since": "morgen"})
        return {
            "descriptions": {name: tools[name].description for name in ("stories", "story", "compare", "digest")},
            "read_only": all(tools[n].annotations.read_only_hint for n in ("stories", "story", "compare", "digest")),
            "page": page.structured_content,
            "compared": compared.structured_content,
            "asked": asked.structured_content,
            "digest": digest.structured_content,
            "arrived": arrived.structured_content,
            "missing": (missing.is_error, str(missing.content)),
            "bad_day": (bad_day.is_error, str(bad_day.content)),
        }


def test_mcp_tools_for_stories(served: KeyedServer) -> None:
    seen = asyncio.run(_mcp_stories(served.url, served.key))
    assert all(len(str(text)) > 200 for text in seen["descriptions"].values())  # type: ignore[union-attr]
    assert seen["read_only"]
    page = seen["page"]
    assert isinstance(page, dict) and page["first_seen"] == "2024-03-10" and page["timeline"]
    compared = seen["compared"]
    assert isinstance(compared, dict) and {"strike-1", "strike-2"} >= set(
        q["quote"]["article_id"] for q in compared["shared"] + compared["single"]
    )
    asked = seen["asked"]  # `ask` over MCP answers a comparison question with the comparison, as the chat does
    assert isinstance(asked, dict) and asked["answer"].startswith("So berichten") and not asked["abstained"]
    assert {q["article_id"] for q in asked["quotes"]} <= {"strike-1", "strike-2"} and asked["quotes"]
    digest = seen["digest"]
    assert isinstance(digest, dict) and any("fire-3" in s["new_articles"] for s in digest["stories"])
    arrived = seen["arrived"]  # indexed after 2020: every article, whatever its day
    assert isinstance(arrived, dict) and any("fire-1" in s["new_articles"] for s in arrived["stories"])
    missing_error, missing_text = seen["missing"]  # type: ignore[misc]
    assert missing_error and "no story with id" in missing_text
    bad_error, bad_text = seen["bad_day"]  # type: ignore[misc]
    assert bad_error and "kein Datum" in bad_text
