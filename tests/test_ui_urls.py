"""Adding articles by address in the chat: pages and feeds from a local news site, through the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant import Assistant, Settings
from assistant.serve.chat_app import ChatApp, build_app, launch, url_list, word_pieces
from tests.news_site import NewsSite
from tests.ports import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    server = NewsSite()
    yield server
    server.close()


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[tuple[str, Assistant]]:
    """A chat whose operator allowed private addresses (the test site is on 127.0.0.1)."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("urls") / "index", fetch_allow_private=True)
    assistant = Assistant(settings, embeddings=embeddings)
    app = build_app(assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield url, assistant
    app.close()
    assistant.close()


def test_a_feed_and_a_page_added_in_the_chat_are_answered(allowed: tuple[str, Assistant], site: NewsSite) -> None:
    url, assistant = allowed
    client = Client(url, verbose=False)

    report, status, _sources, box = client.predict(
        f"{site.base}/feed.xml\n{site.base}/gletscher.html  ftp://example.org/x", api_name="/add_urls"
    )

    assert box == ""
    assert "2 added" in report and "Alpengletscher schmelzen schneller" in report
    assert "ftp://example.org/x" in report and "not an http:// or https:// address" in report
    assert ">3<" in status.replace(" ", "")  # three articles in the index
    answer = client.predict("Wer sollte die Gespräche vermitteln?", api_name="/ask")
    assert "Katars" in answer["quotes"][0]["text"]
    assert answer["quotes"][0]["published"] == "2025-03-18"
    for quote in answer["quotes"]:
        assert assistant.article(quote["article_id"]).text[quote["start"] : quote["end"]] == quote["text"]


def test_by_default_the_chat_refuses_to_fetch_private_addresses(
    tmp_path: Path, embeddings: Any, site: NewsSite
) -> None:
    assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings)
    chat = ChatApp(assistant, uploads_dir=None, pieces=word_pieces)
    before = len(site.log)

    report, *_ = chat.add_urls(f"{site.base}/energie.html")

    assert "abgelehnt" in report and "non-public address (127.0.0.1); refused" in report
    assert len(site.log) == before  # nothing was requested
    assert assistant.status().articles == 0


def test_url_lists_are_split_checked_and_limited() -> None:
    wanted, refused = url_list("https://a.example/1 https://a.example/1\nhttps://b.example/2 x https://c.example", 2)

    assert wanted == ["https://a.example/1", "https://b.example/2"]
    assert [(o.name, o.detail) for o in refused] == [
        ("x", "not an http:// or https:// address"),
        ("https://c.example", "more than 2 addresses at once"),
    ]
