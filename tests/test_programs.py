"""The routes for programs on a real `assistant serve --auth` process (as behind a reverse proxy): the JSON API,
the OpenAI-compatible endpoint with the official ``openai`` client, and ``/mcp`` with the ``mcp`` SDK's client;
nothing answers without a key or a login, a removed key stops working on the running server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote as url_quote

import httpx
import pytest

from assistant.serve.api_routes import API_ROUTES, MAX_BODY_BYTES
from assistant.serve.conversation_routes import CONVERSATION_ROUTES
from assistant.serve.openai_routes import MODEL_ID, OPENAI_ROUTES
from assistant.serve.saved_routes import SAVED_ROUTES
from assistant.serve.users import Users
from tests.helpers import MCP_TOOLS, MEDIATE, mcp_over_http, serve_process
from tests.news_site import NewsSite

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TOPIC = "Worüber verhandeln Russland und die Ukraine?"
NAME, PASSWORD = "redaktion", "korrekt pferd batterie"


@dataclass
class Served:
    url: str
    index_dir: Path
    key: str

    def keys_cli(self, *args: str) -> str:
        """`assistant keys ...` against the running server's index directory; its standard output."""
        command = [sys.executable, "-m", "assistant.cli", "keys", *args, "--index-dir", str(self.index_dir)]
        done = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=REPO, timeout=120, check=True)
        return done.stdout

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "ASSISTANT_FETCH_ALLOW_PRIVATE": "true"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seed_index: Path) -> Iterator[Served]:
    """`assistant serve --auth` over a copy of the seed index, with one user and one key added by the CLI."""
    index_dir = tmp_path_factory.mktemp("programs") / "index"
    shutil.copytree(seed_index, index_dir)
    Users(index_dir / "users.json").add(NAME, PASSWORD)
    partial = Served("", index_dir, "")
    key = partial.keys_cli("add", "tests").splitlines()[-1]
    with serve_process(index_dir, "--auth", env={"ASSISTANT_FETCH_ALLOW_PRIVATE": "true"}) as server:
        yield Served(server.url, index_dir, key)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


# --------------------------------------------------------------------------- the gate


def test_no_route_for_programs_answers_without_a_key_or_a_login(served: Served) -> None:
    routes = [(route.method, route.path) for route in API_ROUTES + OPENAI_ROUTES + CONVERSATION_ROUTES + SAVED_ROUTES]
    routes += [("POST", "/mcp"), ("GET", "/mcp"), ("DELETE", "/mcp")]
    assert len(routes) >= 10
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer na-falsch"}, {"Authorization": f"Basic {served.key}"}):
            reply = httpx.request(method, served.url + concrete(path), headers=headers, json={}, timeout=30)
            assert reply.status_code == 401, (method, path, headers, reply.text)
            assert reply.headers["www-authenticate"].startswith("Bearer")
            assert reply.json()["error"]["type"] == "authentication_error"


def test_a_key_opens_the_routes_for_programs_not_the_chat(served: Served) -> None:
    assert httpx.get(served.url + "/api/status", headers=served.headers(), timeout=30).status_code == 200
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        assert httpx.get(served.url + path, headers=served.headers(), timeout=30).status_code == 401, path


def test_a_login_session_opens_the_routes_for_programs_too(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=60) as browser:
        login = browser.post("/login", data={"username": NAME, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert browser.get("/api/status").json()["articles"] >= 1


def test_a_removed_key_stops_working_on_the_running_server(served: Served) -> None:
    key = served.keys_cli("add", "kurzlebig").splitlines()[-1]
    assert httpx.get(served.url + "/api/status", headers=served.headers(key), timeout=30).status_code == 200
    served.keys_cli("remove", "kurzlebig")
    assert httpx.get(served.url + "/api/status", headers=served.headers(key), timeout=30).status_code == 401
    assert httpx.get(served.url + "/api/status", headers=served.headers(), timeout=30).status_code == 200


# --------------------------------------------------------------------------- the JSON API


def test_ask_answers_with_a_quote_that_stands_verbatim_in_the_article(served: Served) -> None:
    reply = httpx.post(
        served.url + "/api/ask", json={"question": MEDIATE, "k": 3}, headers=served.headers(), timeout=120
    )
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    shape = {"question", "answer", "abstained", "quotes", "passages"}  # `ask --json`'s shape
    assert set(answer) - shape <= {"short_answer"} and shape <= set(answer)
    assert not answer["abstained"] and "Katar" in answer["answer"]
    for quote in answer["quotes"]:
        path = "/api/articles/" + url_quote(quote["article_id"], safe="/")
        article = httpx.get(served.url + path, headers=served.headers(), timeout=30).json()
        assert article["text"][quote["start"] : quote["end"]] == quote["text"]
    status = httpx.get(served.url + "/api/status", headers=served.headers(), timeout=30).json()
    assert status["articles"] >= 1 and status["embedding_model"]


def test_search_returns_passages_with_where_they_stand(served: Served) -> None:
    reply = httpx.post(
        served.url + "/api/search", json={"question": TOPIC, "k": 2}, headers=served.headers(), timeout=120
    )
    passages = reply.json()["passages"]
    assert len(passages) == 2 and {"article_id", "start", "end", "source", "published", "url"} <= set(passages[0])


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"question": MEDIATE, "k": 0}, 400, "from 1 to"),
        ({"question": MEDIATE, "k": 2.5}, 400, "whole number"),
        ({"question": "Wer? " * 1000}, 400, "at most 2,000"),
        ({"question": "   "}, 400, "empty"),
        ({"question": MEDIATE, "sources": "Reuters"}, 400, "list of source names"),
        ({"question": MEDIATE, "since": "morgen"}, 400, "kein Datum"),
        ({"question": MEDIATE, "top_k": 3}, 400, "unknown field"),
        ({"frage": MEDIATE}, 400, "unknown field"),
        ([MEDIATE], 400, "JSON object"),
    ],
)
def test_ask_refuses_what_the_chat_refuses(served: Served, body: object, status: int, message: str) -> None:
    reply = httpx.post(served.url + "/api/ask", json=body, headers=served.headers(), timeout=60)
    assert reply.status_code == status, reply.text
    assert message in reply.json()["error"]["message"]


def test_malformed_and_oversized_bodies_are_refused_unread(served: Served) -> None:
    headers = {**served.headers(), "Content-Type": "application/json"}
    broken = httpx.post(served.url + "/api/ask", content=b"{kaputt", headers=headers, timeout=30)
    assert broken.status_code == 400 and "not JSON" in broken.json()["error"]["message"]
    huge = httpx.post(served.url + "/api/ask", content=b" " * (MAX_BODY_BYTES + 1), headers=headers, timeout=30)
    assert huge.status_code == 413
    missing = httpx.get(served.url + "/api/articles/gibt/es/nicht", headers=served.headers(), timeout=30)
    assert missing.status_code == 404 and "no article" in missing.json()["error"]["message"]


def test_the_openapi_description_names_every_route(served: Served) -> None:
    document = httpx.get(served.url + "/api/openapi.json", headers=served.headers(), timeout=30).json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/ask", "/api/articles/{article_id}", "/api/status", "/api/index", "/v1/chat/completions"} <= set(
        document["paths"]
    )


def test_index_fetches_feeds_with_a_key_and_takes_only_web_addresses(served: Served) -> None:
    site = NewsSite()
    try:
        reply = httpx.post(
            served.url + "/api/index", json={"urls": [f"{site.base}/feed.xml"]}, headers=served.headers(), timeout=300
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["added"] == 2 and len(reply.json()["article_ids"]) == 2
        for urls in (["/etc/passwd"], ["seeds"], "https://x.example/feed.xml"):
            refused = httpx.post(served.url + "/api/index", json={"urls": urls}, headers=served.headers(), timeout=30)
            assert refused.status_code == 400, urls
        answer = httpx.post(
            served.url + "/api/ask", json={"question": "Wo wurde ein Containerterminal eröffnet?"},
            headers=served.headers(), timeout=120,
        ).json()  # fmt: skip
        assert "Hamburg" in answer["answer"]
    finally:
        site.close()


# --------------------------------------------------------------------------- the OpenAI-compatible endpoint


def test_the_openai_client_gets_the_answer_with_quotes_and_sources(served: Served) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=served.url + "/v1", api_key=served.key)
    assert [model.id for model in client.models.list()] == [MODEL_ID]
    completion = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": MEDIATE}])
    text = completion.choices[0].message.content or ""
    answer = (completion.model_extra or {})["answer"]
    assert not answer["abstained"] and answer["quotes"]
    first = answer["quotes"][0]
    assert text.startswith(answer["answer"])
    assert f"[1] „{' '.join(first['text'].split())}“" in text and first["source"] in text and first["title"] in text


def test_the_openai_client_streams_the_same_answer(served: Served) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=served.url + "/v1", api_key=served.key)
    stream = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": MEDIATE}], stream=True
    )
    pieces, last = [], None
    for chunk in stream:
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert last is not None and last.choices[0].finish_reason == "stop"
    answer = (last.model_extra or {})["answer"]
    text = "".join(pieces)
    assert text.startswith(answer["answer"]) and "**Quellen**" in text and answer["quotes"][0]["source"] in text


def test_earlier_turns_make_a_follow_up_stand_on_its_own(served: Served) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=served.url + "/v1", api_key=served.key)
    messages = [
        {"role": "system", "content": "Antworte kurz."},
        {"role": "user", "content": TOPIC},
        {"role": "assistant", "content": "Über einen Stopp der Angriffe auf Energieanlagen. [1]"},
        {"role": "user", "content": "Und wer sollte vermitteln?"},
    ]
    completion = client.chat.completions.create(model=MODEL_ID, messages=messages)
    answer = (completion.model_extra or {})["answer"]
    assert answer["question"] != "Und wer sollte vermitteln?" and TOPIC in answer["searched"]
    assert "Katar" in (completion.choices[0].message.content or "")


def test_the_openai_client_is_refused_without_a_key_and_for_another_model(served: Served) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=served.url + "/v1", api_key="na-falsch").models.list()
    client = openai.OpenAI(base_url=served.url + "/v1", api_key=served.key)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": MEDIATE}])
    with pytest.raises(openai.BadRequestError, match="from 1 to"):
        client.chat.completions.create(
            model=MODEL_ID, messages=[{"role": "user", "content": MEDIATE}], extra_body={"k": 0}
        )


# --------------------------------------------------------------------------- MCP over HTTP


async def _mcp_session(
    url: str, key: str | None, statuses: list[int] | None = None
) -> tuple[list[str], dict[str, object], str]:
    async with mcp_over_http(url, key, statuses) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        asked = await client.call_tool("ask", {"question": MEDIATE, "k": 3})
        assert not asked.is_error and isinstance(asked.structured_content, dict)
        answer = asked.structured_content
        quote = answer["quotes"][0]
        article = await client.call_tool("article", {"article_id": quote["article_id"]})
        assert isinstance(article.structured_content, dict)
        text = str(article.structured_content["text"])
        return tools, answer, text


def test_mcp_over_http_answers_with_a_key(served: Served) -> None:
    tools, answer, text = asyncio.run(_mcp_session(served.url, served.key))
    assert set(tools) == MCP_TOOLS
    quote = answer["quotes"][0]  # type: ignore[index]
    assert text[quote["start"] : quote["end"]] == quote["text"] and not answer["abstained"]


def test_mcp_over_http_refuses_without_a_key(served: Served) -> None:
    statuses: list[int] = []
    with pytest.raises(BaseException, match="unhandled errors"):  # the client's task groups wrap the refusal
        asyncio.run(_mcp_session(served.url, None, statuses))
    assert statuses and set(statuses) == {401}  # every request refused (the opening one, the closing DELETE)


def test_mcp_behind_a_reverse_proxy_takes_the_proxys_host_header(served: Served) -> None:
    """With --auth every request carries a key or login, so the SDK's DNS-rebinding check (which would refuse a
    proxy's Host header) is off; without a key the proxy's request is still refused."""
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Host": "nachrichten.example.org", "Accept": "application/json, text/event-stream"}
    proxied = httpx.post(served.url + "/mcp", json=hello, headers={**headers, **served.headers()}, timeout=60)
    assert proxied.status_code == 200, proxied.text
    assert "index_urls" in proxied.text
    assert httpx.post(served.url + "/mcp", json=hello, headers=headers, timeout=60).status_code == 401


def test_conversations_last_per_caller_over_the_json_api(served: Served) -> None:
    """Start, ask, follow up in context, list, export as Markdown, delete; another key sees none of it."""
    api = httpx.Client(base_url=served.url, headers=served.headers(), timeout=120)
    started = api.post("/api/conversations", json={})
    assert started.status_code == 201, started.text
    talk = started.json()["id"]
    first = api.post(f"/api/conversations/{talk}/ask", json={"question": TOPIC}).json()
    follow_up = api.post(f"/api/conversations/{talk}/ask", json={"question": "Und wer sollte vermitteln?"}).json()
    assert TOPIC in follow_up["searched"] and "Katar" in follow_up["answer"] and not first["abstained"]
    assert api.get("/api/conversations").json()["conversations"][0]["id"] == talk
    kept = api.get(f"/api/conversations/{talk}").json()
    assert kept["title"] == TOPIC and [t["question"] for t in kept["turns"]] == [TOPIC, "Und wer sollte vermitteln?"]
    markdown = api.get(f"/api/conversations/{talk}/markdown")
    assert markdown.headers["content-type"].startswith("text/markdown")
    for quote in follow_up["quotes"]:
        assert f"> {quote['text'].splitlines()[0]}" in markdown.text and quote["source"] in markdown.text

    other = served.keys_cli("add", "jemand-anderes").splitlines()[-1]
    stranger = httpx.Client(base_url=served.url, headers=served.headers(other), timeout=60)
    assert stranger.get("/api/conversations").json() == {"conversations": []}
    assert stranger.get(f"/api/conversations/{talk}").status_code == 404
    assert stranger.delete(f"/api/conversations/{talk}").status_code == 404
    assert api.delete(f"/api/conversations/{talk}").json() == {"deleted": talk}
    assert api.get(f"/api/conversations/{talk}").status_code == 404
    assert api.get("/api/conversations/nicht-da").status_code == 404
