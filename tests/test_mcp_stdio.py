"""`assistant mcp`: the archive's tools over stdio, driven by the official ``mcp`` SDK's client, as a desktop
assistant or an IDE starts it (a real subprocess over a copy of the seed index)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.helpers import MCP_TOOLS, MEDIATE, mcp_over_stdio

pytestmark = pytest.mark.slow


async def _session(index_dir: Path) -> dict[str, object]:
    seen: dict[str, object] = {}
    async with mcp_over_stdio(index_dir) as client:
        listed = (await client.list_tools()).tools
        seen["tools"] = {tool.name: tool for tool in listed}
        seen["status"] = (await client.call_tool("status", {})).structured_content
        seen["ask"] = (await client.call_tool("ask", {"question": MEDIATE})).structured_content
        quote = seen["ask"]["quotes"][0]  # type: ignore[index]
        seen["article"] = (await client.call_tool("article", {"article_id": quote["article_id"]})).structured_content
        seen["search"] = (await client.call_tool("search", {"query": MEDIATE, "k": 2})).structured_content
        seen["unknown"] = await client.call_tool("article", {"article_id": "gibt/es/nicht"})
        seen["bad_k"] = await client.call_tool("ask", {"question": MEDIATE, "k": 500})
        seen["path"] = await client.call_tool("index_urls", {"urls": ["/etc/passwd"]})
        seen["abstain"] = (
            await client.call_tool("ask", {"question": "Wie hoch ist der Mount Everest?"})
        ).structured_content
    return seen


def test_mcp_on_stdio_answers_with_verified_quotes_and_says_what_is_wrong(tmp_path: Path, seed_index: Path) -> None:
    shutil.copytree(seed_index, tmp_path / "index")
    seen = asyncio.run(_session(tmp_path / "index"))

    tools = seen["tools"]
    assert isinstance(tools, dict) and set(tools) == MCP_TOOLS
    for tool in tools.values():  # written for a model that never saw the project
        assert len(tool.description or "") > 150, tool.name
    assert tools["ask"].input_schema["required"] == ["question"]
    assert tools["ask"].annotations.read_only_hint and not tools["index_urls"].annotations.read_only_hint

    status, answer, article = seen["status"], seen["ask"], seen["article"]
    assert isinstance(status, dict) and status["articles"] >= 1
    assert isinstance(answer, dict) and not answer["abstained"] and "Katar" in answer["answer"]
    assert isinstance(article, dict)
    for quote in answer["quotes"]:
        assert article["text"][quote["start"] : quote["end"]] == quote["text"]
    search = seen["search"]
    assert isinstance(search, dict) and len(search["passages"]) == 2

    for name, message in (("unknown", "no article"), ("bad_k", "from 1 to"), ("path", "not an http")):
        result = seen[name]
        assert result.is_error and message in result.content[0].text, name  # type: ignore[union-attr]
    abstained = seen["abstain"]
    assert isinstance(abstained, dict) and abstained["abstained"] and abstained["quotes"] == []
