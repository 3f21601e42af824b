"""A small German news site on 127.0.0.1 for the fetching tests: feeds, pages with boilerplate, failures.

Pages carry what real ones do around the article (navigation, cookie banner, teasers, comments, related
links), so the tests can check that none of it reaches the stored text. The server answers conditional
requests (ETag / Last-Modified) and logs every request, so tests can count what was fetched.
"""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOILERPLATE_WORDS = ("Cookies", "Impressum", "Kommentar von", "Mehr zum Thema", "Newsletter")

STORIES = {
    "energie": (
        "Gespräche über Energieanlagen",
        "2025-03-18",
        [
            "Russland und die Ukraine wollen über eine Pause der Angriffe auf Energieanlagen sprechen. Die "
            "Gespräche sollten unter Vermittlung Katars beginnen, hieß es am Dienstag aus Kiew.",
            "Selenskyj sagte, die Ukraine sei zu einem Waffenstillstand bereit, wenn Russland sich ebenfalls "
            "daran halte. Der Kreml äußerte sich zunächst zurückhaltend.",
            "Beobachter in Brüssel werten die Ankündigung als ersten Schritt zu weiteren Verhandlungen über die "
            "Sicherheit der Stromversorgung im kommenden Winter.",
        ],
    ),
    "hafen": (
        "Neuer Containerterminal in Hamburg eröffnet",
        "2025-04-02",
        [
            "Im Hamburger Hafen ist am Mittwoch ein neuer Containerterminal in Betrieb gegangen. Er soll "
            "jährlich bis zu zwei Millionen Standardcontainer umschlagen.",
            "Der Bau dauerte vier Jahre und kostete nach Angaben der Betreibergesellschaft rund 800 Millionen "
            "Euro. Umweltverbände kritisieren die Elbvertiefung, die dafür nötig war.",
        ],
    ),
    "gletscher": (
        "Alpengletscher schmelzen schneller",
        "2025-05-11",
        [
            "Die Gletscher in den Alpen haben im vergangenen Sommer so viel Eis verloren wie nie seit Beginn "
            "der Messungen. Forschende der Universität Innsbruck sprechen von einem dramatischen Rückgang.",
            "Besonders betroffen ist der Hintereisferner in den Ötztaler Alpen, der mehr als drei Meter an "
            "Dicke eingebüßt hat.",
        ],
    ),
}


def page(slug: str) -> str:
    title, day, paragraphs = STORIES[slug]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title} | Tagblatt</title>
<link rel="canonical" href="/{slug}.html"><meta property="og:site_name" content="Tagblatt">
<meta name="author" content="Anna Muster"><meta property="article:published_time" content="{day}T08:00:00+01:00">
</head><body><nav><a href="/">Startseite</a> <a href="/politik">Politik</a> <a href="/wirtschaft">Wirtschaft</a></nav>
<div class="cookie-banner">Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Akzeptieren?</div>
<div class="teaser"><a href="/x">Newsletter abonnieren und nichts verpassen</a></div>
<main><article><h1>{title}</h1><p class="byline">Von Anna Muster</p>{body}</article></main>
<aside class="related"><h3>Mehr zum Thema</h3><ul><li><a href="/y">Andere Nachricht des Tages</a></li></ul></aside>
<section class="comments"><h3>Kommentare</h3><p>Kommentar von Hans: Das glaube ich alles nicht!</p></section>
<footer><a href="/impressum">Impressum</a> <a href="/datenschutz">Datenschutz</a></footer></body></html>"""


def rss(base: str, slugs: list[str]) -> str:
    items = "".join(
        f"<item><title>{STORIES.get(s, ('Fehlt',))[0]}</title><link>{base}/{s}.html</link><guid>{base}/{s}.html</guid>"
        f"<pubDate>Tue, 18 Mar 2025 08:00:00 +0100</pubDate></item>"
        for s in slugs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Tagblatt – Alle Nachrichten'
        f"</title><link>{base}/</link><description>Nachrichten</description>{items}</channel></rss>"
    )


def atom(base: str, slugs: list[str]) -> str:
    entries = "".join(
        f'<entry><title>{STORIES[s][0]}</title><link href="{base}/{s}.html"/><id>{base}/{s}.html</id>'
        f"<updated>2025-03-18T08:00:00Z</updated></entry>"
        for s in slugs
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Tagblatt Atom'
        f"</title><id>{base}/atom</id><updated>2025-03-18T08:00:00Z</updated>{entries}</feed>"
    )


class NewsSite:
    """The site's state: which stories the feed lists, and every request it answered (path, status)."""

    def __init__(self) -> None:
        self.feed_slugs = ["energie", "hafen"]
        self.log: list[tuple[str, int]] = []
        self.version = 1
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fetched(self, suffix: str) -> int:
        """How many 200 answers were sent for paths ending in `suffix`."""
        return sum(1 for path, status in self.log if path.endswith(suffix) and status == 200)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site._answer(self)

        return Handler

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if path == "/slow.html":
            time.sleep(3)
        routes = {
            "/feed.xml": ("application/rss+xml", lambda: rss(self.base, self.feed_slugs)),
            "/atom.xml": ("application/atom+xml", lambda: atom(self.base, self.feed_slugs)),
            "/bad-feed.xml": ("application/rss+xml", lambda: rss(self.base, ["energie", "missing"])),
            "/huge.html": ("text/html", lambda: "<html><body><p>" + "Wort " * 400_000 + "</p></body></html>"),
            "/data.json": ("application/json", lambda: '{"a": 1}'),
            "/empty.html": ("text/html", lambda: "<html><body><nav>Startseite</nav></body></html>"),
        }
        routes.update({f"/{slug}.html": ("text/html; charset=utf-8", lambda s=slug: page(s)) for slug in STORIES})
        if path == "/to-file":
            return self._send(request, path, 302, headers={"Location": "file:///etc/passwd"})
        if path == "/moved":
            return self._send(request, path, 301, headers={"Location": "/energie.html"})
        if path == "/loop":
            return self._send(request, path, 302, headers={"Location": "/loop"})
        if path not in routes:
            return self._send(request, path, 404, b"not here")
        kind, body_of = routes[path]
        body = body_of().encode("utf-8")
        etag = f'"{path}-{self.version}-{hash(body) & 0xFFFF}"'
        if request.headers.get("If-None-Match") == etag:
            return self._send(request, path, 304, headers={"ETag": etag})
        headers = {"Content-Type": kind, "ETag": etag, "Last-Modified": formatdate(usegmt=True)}
        self._send(request, path, 200, body, headers)

    def _send(
        self, request: BaseHTTPRequestHandler, path: str, status: int, body: bytes = b"", headers: dict | None = None
    ) -> None:
        self.log.append((path, status))
        try:
            request.send_response(status)
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
