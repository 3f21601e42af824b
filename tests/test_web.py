"""Articles from URLs: feeds and pages from a real local HTTP server, into a real index with the real model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant import Assistant
from assistant.errors import FetchError
from assistant.ingest.fetching import FetchPolicy, fetch, resolve_checked
from tests.helpers import run_cli
from tests.news_site import BOILERPLATE_WORDS, STORIES, NewsSite


@pytest.fixture
def site() -> Iterator[NewsSite]:
    server = NewsSite()
    yield server
    server.close()


def test_a_feed_indexes_every_entry_with_main_text_and_metadata(assistant: Assistant, site: NewsSite) -> None:
    report = assistant.index(f"{site.base}/feed.xml", allow_private=True)

    assert report.to_dict() == {"added": 2, "updated": 0, "unchanged": 0, "deleted": 0, "refused": []}
    article = assistant.article(f"{site.base}/energie.html")
    assert article.title == "Gespräche über Energieanlagen"
    assert article.source == "Tagblatt"
    assert article.published == "2025-03-18"
    assert article.url == article.id
    assert "unter Vermittlung Katars" in article.text
    assert not [word for word in BOILERPLATE_WORDS if word in article.text]
    answer = assistant.ask("Wer sollte die Gespräche vermitteln?")
    assert "Katars" in answer.quotes[0].text
    assert answer.quotes[0].published == "2025-03-18"


def test_polling_a_feed_again_fetches_only_what_is_new(assistant: Assistant, site: NewsSite) -> None:
    feed = f"{site.base}/feed.xml"
    assistant.index(feed, allow_private=True)
    pages_before = site.fetched(".html")

    again = assistant.index(feed, allow_private=True)

    assert again.to_dict()["added"] == 0 and again.chunks_embedded == 0
    assert site.fetched(".html") == pages_before  # a 304 for the feed, no page asked for
    assert site.log[-1] == ("/feed.xml", 304)

    site.feed_slugs.append("gletscher")
    third = assistant.index(feed, allow_private=True)
    assert third.added == [f"{site.base}/gletscher.html"]
    assert sorted(third.unchanged) == [f"{site.base}/energie.html", f"{site.base}/hafen.html"]
    assert site.fetched("gletscher.html") == 1 and site.fetched("energie.html") == 1


@pytest.mark.slow  # fetches and embeds a feed, two pages and the seeds
def test_atom_feeds_pages_and_paths_mix_in_one_call(assistant: Assistant, site: NewsSite, seeds) -> None:
    report = assistant.index([f"{site.base}/atom.xml", f"{site.base}/gletscher.html", seeds], allow_private=True)

    assert report.to_dict()["added"] == 4
    assert assistant.status().articles == 4


def test_a_page_reached_twice_is_one_article(assistant: Assistant, site: NewsSite) -> None:
    report = assistant.index(
        [f"{site.base}/energie.html", f"{site.base}/energie.html?utm_source=feed", f"{site.base}/moved"],
        allow_private=True,
    )

    assert report.added == [f"{site.base}/energie.html"]
    assert [r.reason for r in report.refused] == [f"duplicate id {site.base + '/energie.html'!r} in this batch"] * 2


def test_every_bad_url_is_refused_with_its_reason_and_the_rest_indexed(assistant: Assistant, site: NewsSite) -> None:
    assistant.settings.fetch_timeout = 1.0
    assistant.settings.fetch_max_bytes = 1_000_000
    urls = ["gone.html", "slow.html", "huge.html", "data.json", "empty.html", "to-file", "loop", "bad-feed.xml"]

    report = assistant.index([f"{site.base}/{name}" for name in urls], allow_private=True)

    reasons = {r.path.removeprefix(site.base + "/"): r.reason for r in report.refused}
    assert reasons == {
        "gone.html": "HTTP 404",
        "slow.html": "timeout after 1 s",
        "huge.html": "too large (2,000,033 bytes, the limit is 1,000,000)",
        "data.json": "not an HTML page (application/json)",
        "empty.html": "no main text found on the page",
        "to-file": "only http and https URLs can be fetched",
        "loop": "more than 5 redirects",
        "missing.html": "HTTP 404",
    }
    assert report.added == [f"{site.base}/energie.html"]  # the feed's good entry


def test_the_chat_setting_refuses_private_addresses(assistant: Assistant, site: NewsSite) -> None:
    report = assistant.index(f"{site.base}/energie.html")  # allow_private defaults to the setting: False

    assert report.added == []
    assert "non-public address (127.0.0.1); refused" in report.refused[0].reason
    assert site.log == []  # refused before any connection


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fd00::1", "0.0.0.0"]
)
def test_non_public_addresses_are_refused(host: str) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        resolve_checked(f"http://{host}/", host, 80, FetchPolicy())


def test_only_http_and_https() -> None:
    for url in ["file:///etc/passwd", "ftp://example.org/x", "gopher://x", "http:///nohost"]:
        with pytest.raises(FetchError, match="only http and https"):
            fetch(url, FetchPolicy())


def test_a_feed_run_killed_before_indexing_fetches_again(assistant: Assistant, site: NewsSite) -> None:
    """Fetch state is remembered only after the articles were indexed: nothing is lost to a crash."""
    from assistant.indexing.database import SharedFile
    from assistant.ingest.fetch_cache import WebState
    from assistant.ingest.fetching import FetchPolicy as Policy
    from assistant.ingest.web import WebReader

    state = WebState(SharedFile(assistant.index_dir / "web.sqlite3"))
    WebReader(Policy(allow_private=True), state, indexed=lambda _: False).read([f"{site.base}/feed.xml"])
    state.close()  # read, never indexed: as if killed here

    report = assistant.index(f"{site.base}/feed.xml", allow_private=True)

    assert sorted(report.added) == sorted(f"{site.base}/{s}.html" for s in ("energie", "hafen"))
    assert set(STORIES) >= {"energie", "hafen"}


@pytest.mark.slow
def test_the_cli_indexes_a_feed_and_says_what_it_refused(site: NewsSite, tmp_path) -> None:
    import json

    result = run_cli("index", f"{site.base}/bad-feed.xml", "--json", "--index-dir", str(tmp_path / "index"))
    assert json.loads(result.stdout) == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "refused": [{"path": f"{site.base}/missing.html", "reason": "HTTP 404"}],
    }
