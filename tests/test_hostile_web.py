"""Hostile web servers against the real fetcher, the real index and the real `assistant` command.

A redirect to an address no HTTP client can use, a server that trickles its headers or body one byte at a
time, a feed of thousands of entries, a feed that breaks off: each is refused with its reason (or bounded),
and the rest of the run goes on. Every case failed before the fix (issue 27).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import FetchError
from assistant.ingest.fetching import FetchPolicy, fetch
from tests.helpers import chat_client
from tests.hostile_site import STORY, HostileSite

REPO = Path(__file__).resolve().parents[1]
BAD_REDIRECTS = ("to-javascript", "to-http-javascript", "to-bad-port")


@pytest.fixture
def hostile() -> Iterator[HostileSite]:
    server = HostileSite()
    yield server
    server.close()


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`assistant ...` as its own process, the way a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
    )


REASONS = {
    "to-javascript": "only http and https URLs can be fetched",
    "to-http-javascript": "HTTP 404",  # http:javascript:alert(1) is a path on the same server
    "to-bad-port": "cannot use the address http://example.org:alert(1)/: Port could not be cast to integer value "
    "as 'alert(1)'",
}


@pytest.mark.parametrize("path", BAD_REDIRECTS)
def test_a_redirect_no_client_can_follow_is_a_refusal_with_its_reason(hostile: HostileSite, path: str) -> None:
    with pytest.raises(FetchError) as refused:
        fetch(f"{hostile.base}/{path}", FetchPolicy(allow_private=True))

    assert refused.value.reason == REASONS[path]


def test_bad_redirects_are_refused_and_the_good_page_of_the_run_is_indexed(
    assistant: Assistant, hostile: HostileSite
) -> None:
    urls = [f"{hostile.base}/{path}" for path in BAD_REDIRECTS] + [f"{hostile.base}/good.html"]

    report = assistant.index(urls, allow_private=True)

    assert [r.path for r in report.refused] == urls[:3]
    assert [r.reason for r in report.refused] == [REASONS[path] for path in BAD_REDIRECTS]
    assert report.added == [f"{hostile.base}/good.html"]


@pytest.mark.slow
def test_the_cli_refuses_a_javascript_redirect_and_a_malformed_feed_exits_0_and_indexes_the_rest(
    hostile: HostileSite, tmp_path: Path
) -> None:
    bad, good = f"{hostile.base}/to-javascript", f"{hostile.base}/good.html"
    malformed = f"{hostile.base}/malformed-feed.xml"

    result = cli("index", bad, good, malformed, "--json", "--index-dir", str(tmp_path / "index"))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1
    assert [r["path"] for r in report["refused"]] == [bad, malformed]
    assert report["refused"][0]["reason"] == "only http and https URLs can be fetched"
    assert report["refused"][1]["reason"].endswith(": nothing to index")  # not an empty success


@pytest.mark.parametrize("path", ["trickle-headers.html", "trickle-body.html"])
def test_a_server_trickling_one_byte_a_second_is_refused_at_the_deadline(hostile: HostileSite, path: str) -> None:
    hostile.trickle = 0.2  # every byte well within the read timeout
    began = time.monotonic()

    with pytest.raises(FetchError, match=r"no complete answer within 2 s \(ASSISTANT_FETCH_DEADLINE\)"):
        fetch(f"{hostile.base}/{path}", FetchPolicy(timeout=1.0, deadline=2.0, allow_private=True))

    assert time.monotonic() - began < 4


@pytest.mark.slow
def test_the_cli_refuses_a_trickling_server_at_the_deadline_and_goes_on(hostile: HostileSite, tmp_path: Path) -> None:
    slow, good = f"{hostile.base}/trickle-headers.html", f"{hostile.base}/good.html"
    began = time.monotonic()

    result = cli(
        "index", slow, good, "--json", "--index-dir", str(tmp_path / "index"),
        env={"ASSISTANT_FETCH_DEADLINE": "3"}, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1
    assert report["refused"] == [{"path": slow, "reason": "no complete answer within 3 s (ASSISTANT_FETCH_DEADLINE)"}]
    assert time.monotonic() - began < 60


def test_a_feed_is_read_at_most_n_entries_per_run_and_the_rest_on_the_next_poll(
    assistant: Assistant, hostile: HostileSite
) -> None:
    assistant.settings.fetch_max_entries = 4
    feed = f"{hostile.base}/feed-10.xml"

    first = assistant.index(feed, allow_private=True)
    assert len(first.added) == 4 and first.refused == []
    assert hostile.fetched("/story/") == 4

    second = assistant.index(feed, allow_private=True)
    assert len(second.added) == 4 and len(second.unchanged) == 4
    third = assistant.index(feed, allow_private=True)
    assert len(third.added) == 2 and len(third.unchanged) == 8
    assert hostile.fetched("/story/") == 10  # each entry's page fetched once
    assert assistant.status().articles == 10


def test_a_malformed_feed_is_refused_with_nothing_to_index(assistant: Assistant, hostile: HostileSite) -> None:
    feed = f"{hostile.base}/malformed-feed.xml"

    report = assistant.index(feed, allow_private=True)

    assert [r.path for r in report.refused] == [feed]
    assert "nothing to index" in report.refused[0].reason


@pytest.mark.slow
def test_a_slow_fetch_in_the_chat_does_not_hold_up_another_users_upload(hostile: HostileSite, tmp_path: Path) -> None:
    """The real `assistant serve`: one user adds the address of a server that trickles its answer; another
    user's upload is indexed meanwhile (the fetch waits on the network without holding the write slot), and
    the fetch is refused at the deadline."""
    from gradio_client import handle_file

    from tests.served import served

    article = tmp_path / "hafen.txt"
    article.write_text("Titel: Hafen\n\n" + STORY, encoding="utf-8")
    deadline = 16  # an upload held behind the fetch would wait until then: well beyond the 11 s allowed below
    settings = {"ASSISTANT_FETCH_ALLOW_PRIVATE": "true", "ASSISTANT_FETCH_DEADLINE": str(deadline)}
    with served(tmp_path / "index", env=settings) as url:
        fetching = chat_client(url).submit(f"{hostile.base}/trickle-headers.html", api_name="/add_urls")
        uploader = chat_client(url)
        asked = time.monotonic() + 60
        while not hostile.fetched("/trickle-headers.html") and time.monotonic() < asked:
            time.sleep(0.05)  # until the fetch is waiting on the trickle
        assert hostile.fetched("/trickle-headers.html"), "the chat never fetched the trickling page"
        began = time.monotonic()
        report, *_ = uploader.predict([handle_file(str(article))], api_name="/upload")
        waited = time.monotonic() - began

        assert "hafen.txt" in report and "abgelehnt" not in report
        assert waited < deadline - 5, f"the upload waited {waited:.0f} s behind the fetch"
        assert not fetching.done()
        fetched, *_ = fetching.result(timeout=60)
        assert f"no complete answer within {deadline} s (ASSISTANT_FETCH_DEADLINE)" in fetched


@pytest.mark.slow
def test_the_watcher_refuses_a_feeds_bad_entries_and_indexes_the_rest(hostile: HostileSite, tmp_path: Path) -> None:
    """`assistant watch --feed`: a feed whose entries redirect to javascript: or trickle is polled; the bad entries
    are logged as refused, the good one is indexed, and the watcher keeps running (before, it died)."""
    import signal

    feed = f"{hostile.base}/mixed-feed.xml"
    command = [sys.executable, "-m", "assistant.cli", "watch", "--feed", feed, "--every", "1h"]
    watcher = subprocess.Popen(  # SIGINT ends it (the shell may start background tests with SIGINT ignored)
        [*command, "--index-dir", str(tmp_path / "index")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "ASSISTANT_FETCH_DEADLINE": "3"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        assert watcher.stdout is not None
        while len(lines) < 3:
            line = watcher.stdout.readline()
            assert line, f"the watcher stopped: {lines}"
            lines.append(line.split(" ", 1)[1].strip())  # without the time
        assert lines == [
            f"added {hostile.base}/good.html",
            f"refused {hostile.base}/to-javascript: only http and https URLs can be fetched",
            f"refused {hostile.base}/trickle-body.html: no complete answer within 3 s (ASSISTANT_FETCH_DEADLINE)",
        ]
        time.sleep(1)
        assert watcher.poll() is None
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=30)
