"""A hostile web server on 127.0.0.1 for the fetching tests: odd redirects, servers that trickle, huge feeds.

Beside `news_site.NewsSite` (a well-behaved site), this one does what a careless or malicious server does:
redirects to addresses no HTTP client can use, sends its headers or body one byte at a time, lists thousands
of entries in one feed, or serves a feed that breaks off. It logs every path it was asked for.
"""

from __future__ import annotations

import contextlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.news_site import page

STORY = (
    "Im Hamburger Hafen ist am Mittwoch ein neuer Containerterminal in Betrieb gegangen. Er soll jährlich bis zu "
    "zwei Millionen Standardcontainer umschlagen. Der Bau dauerte vier Jahre und kostete rund 800 Millionen Euro."
)


def story_page(number: int) -> str:
    """A page of its own for feed entry `number` (each a distinct article)."""
    return (
        f"<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Meldung {number}</title></head>"
        f"<body><main><article><h1>Meldung {number}</h1><p>Meldung Nummer {number}. {STORY}</p>"
        f"<p>Weitere Einzelheiten zur Meldung {number} folgen im Laufe des Tages.</p></article></main></body></html>"
    )


def big_feed(base: str, entries: int) -> str:
    items = "".join(
        f"<item><title>Meldung {n}</title><link>{base}/story/{n}.html</link><guid>{base}/story/{n}.html</guid>"
        "<pubDate>Tue, 18 Mar 2025 08:00:00 +0100</pubDate></item>"
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Viele Meldungen</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    )


MALFORMED_FEED = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Kaputt</ti'
"""A feed cut off before its first entry: a feed by its start, but nothing in it can be read."""


class HostileSite:
    """The server and the log of the paths it was asked for; `trickle` is the pause between trickled bytes."""

    def __init__(self, trickle: float = 1.0) -> None:
        self.trickle = trickle
        self.log: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fetched(self, prefix: str) -> int:
        return sum(1 for path in self.log if path.startswith(prefix))

    def close(self) -> None:
        self._stop.set()  # trickling handlers end at their next byte
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    site._answer(self)

        return Handler

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        self.log.append(path)
        redirects = {
            "/to-javascript": "javascript:alert(1)",
            "/to-http-javascript": "http:javascript:alert(1)",
            "/to-bad-port": "http://example.org:alert(1)/",
        }
        if path in redirects:
            return self._send(request, 302, b"", {"Location": redirects[path]})
        if path == "/good.html":
            return self._send(request, 200, page("energie").encode(), {"Content-Type": "text/html; charset=utf-8"})
        if match := re.fullmatch(r"/story/(\d+)\.html", path):
            body = story_page(int(match[1])).encode()
            return self._send(request, 200, body, {"Content-Type": "text/html; charset=utf-8"})
        if match := re.fullmatch(r"/feed-(\d+)\.xml", path):
            body = big_feed(self.base, int(match[1])).encode()
            return self._send(request, 200, body, {"Content-Type": "application/rss+xml"})
        if path == "/mixed-feed.xml":
            items = "".join(
                f"<item><title>{name}</title><link>{self.base}/{name}</link></item>"
                for name in ("to-javascript", "trickle-body.html", "good.html")
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gemischt</title>{items}</channel></rss>'
            return self._send(request, 200, body.encode(), {"Content-Type": "application/rss+xml"})
        if path == "/malformed-feed.xml":
            return self._send(request, 200, MALFORMED_FEED.encode(), {"Content-Type": "application/rss+xml"})
        if path == "/trickle-headers.html":
            return self._trickle(request, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 100_000)
        if path == "/trickle-body.html":
            body = page("hafen").encode()
            request.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
            )
            return self._trickle(request, body)
        self._send(request, 404, b"not here", {})

    def _trickle(self, request: BaseHTTPRequestHandler, data: bytes) -> None:
        """Write `data` one byte per `trickle` seconds (each byte keeps a per-read timeout from firing)."""
        request.close_connection = True
        for byte in data:
            if self._stop.wait(self.trickle):
                return
            request.wfile.write(bytes([byte]))
            request.wfile.flush()

    def _send(self, request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
