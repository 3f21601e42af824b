"""Articles from the web: a feed URL (RSS 0.9x/1.0/2.0, Atom) or an article page URL becomes `Article`s.

The field's libraries do the parsing: `feedparser` reads feeds (always from bytes we fetched, never from a
URL, so every request goes through `fetching`), `trafilatura` finds a page's main text and metadata
(title, date, site name, canonical URL) and leaves navigation, teasers, cookie banners and comments behind.
What was fetched is remembered in `WebState` (validators for conditional requests, which page became which
article), so a feed polled again fetches only what is new or changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeGuard
from urllib.parse import parse_qsl, urlencode, urlsplit

from assistant.articles import Article, Refusal
from assistant.dates import parse_published
from assistant.decoding import clean_text, decode_bytes, normalize_newlines
from assistant.errors import FetchError, InvalidArticleError
from assistant.ingest.fetch_cache import Seen, WebState
from assistant.ingest.fetching import Fetched, FetchPolicy, fetch

_FEED_TYPES = ("rss", "atom", "xml", "rdf")
_TRACKING = ("utm_", "wt_", "at_")


def is_url(item: object) -> TypeGuard[str]:
    """Whether a command-line item is a web address (everything else is a path)."""
    return isinstance(item, str) and item.lower().startswith(("http://", "https://"))


@dataclass
class WebResult:
    """What reading some URLs gave: new or changed articles, ids known to be unchanged, refusals."""

    articles: list[Article] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    seen: dict[str, Seen] = field(default_factory=dict)
    """What to remember once the articles are indexed (never before: a killed run must fetch them again)."""


@dataclass(frozen=True)
class _Entry:
    """What a feed says of one item: it fills what the page lacks."""

    link: str
    guid: str
    title: str
    published: str | None
    updated: str
    feed_title: str


class WebReader:
    """Turns URLs into articles within a `FetchPolicy`, remembering what it fetched in a `WebState`."""

    def __init__(
        self,
        policy: FetchPolicy,
        state: WebState,
        *,
        indexed: Callable[[str], bool],
        refetch: bool = False,
        max_entries: int = 100,
    ) -> None:
        self.policy = policy
        self.state = state
        self.indexed = indexed  # whether an article id is (still) in the index
        self.refetch = refetch
        self.max_entries = max_entries  # entry pages fetched per feed and run; the rest at the next poll

    def _known(self, url: str) -> Seen | None:
        """What was fetched from `url` before, if the article it became is still indexed."""
        known = None if self.refetch else self.state.get(url)
        if known and known.article_id and not self.indexed(known.article_id):
            return None
        return known

    def read(self, urls: Iterable[str], progress: Callable[[str], None] | None = None) -> WebResult:
        """Every URL (page or feed); one bad URL or entry is a refusal, never the end of the batch."""
        result = WebResult()
        for url in urls:
            if progress:
                progress(url)
            try:
                self._read_one(url, result)
            except FetchError as error:
                result.refusals.append(Refusal(url, error.reason))
            except InvalidArticleError as error:
                result.refusals.append(Refusal(url, str(error)))
        return result

    def _read_one(self, url: str, result: WebResult) -> None:
        known = self._known(url)
        fetched = fetch(url, self.policy, **_validators(known))
        if fetched.not_modified:
            if known and known.article_id:
                result.unchanged.append(known.article_id)
            return
        if _looks_like_feed(fetched):
            refused = len(result.refusals)
            complete = self._read_feed(url, fetched, result)
            complete = complete and len(result.refusals) == refused  # else no validators: the next poll goes on
            result.seen[url] = Seen(fetched.etag, fetched.last_modified, None, None) if complete else Seen(*[None] * 4)
            return
        article = self._article(url, fetched, entry=None)
        result.seen[url] = Seen(fetched.etag, fetched.last_modified, article.id, None)
        result.articles.append(article)

    def _read_feed(self, url: str, fetched: Fetched, result: WebResult) -> bool:
        """The feed's entries into `result`; False when entries were left for the next poll (`max_entries`)."""
        import feedparser

        parsed = feedparser.parse(fetched.body, response_headers={"content-location": fetched.url})
        if not parsed.get("version") and not parsed.entries:
            raise FetchError(url, "neither an HTML page nor an RSS/Atom feed")
        if not parsed.entries and parsed.get("bozo"):
            problem = _one_line(str(parsed.get("bozo_exception") or "cannot be read"))
            raise FetchError(url, f"a malformed feed ({problem}): nothing to index")
        feed_title = _clean(parsed.feed.get("title", ""))
        fetched_entries = 0
        for raw in parsed.entries:
            entry = _entry_of(raw, feed_title)
            if not entry.link:
                result.refusals.append(Refusal(f"{url}#{entry.guid or entry.title}", "feed entry without a link"))
                continue
            if self._unchanged(entry, result):
                continue
            if fetched_entries >= self.max_entries:
                return False  # the rest at the next poll: a feed of thousands is not read in one sitting
            fetched_entries += 1
            try:
                self._read_entry(entry, result)
            except (FetchError, InvalidArticleError) as error:
                reason = error.reason if isinstance(error, FetchError) else str(error)
                result.refusals.append(Refusal(entry.link, reason))
        return True

    def _unchanged(self, entry: _Entry, result: WebResult) -> bool:
        """Whether the entry is indexed and the feed says it did not change (nothing to fetch)."""
        known = self._known(entry.link)
        if known and known.article_id and known.entry_updated == entry.updated:
            result.unchanged.append(known.article_id)
            return True
        return False

    def _read_entry(self, entry: _Entry, result: WebResult) -> None:
        known = self._known(entry.link)
        fetched = fetch(entry.link, self.policy, **_validators(known))
        if fetched.not_modified and known and known.article_id:
            result.unchanged.append(known.article_id)
            result.seen[entry.link] = Seen(known.etag, known.modified, known.article_id, entry.updated)
            return
        article = self._article(entry.link, fetched, entry)
        result.seen[entry.link] = Seen(fetched.etag, fetched.last_modified, article.id, entry.updated)
        result.articles.append(article)

    def _article(self, url: str, fetched: Fetched, entry: _Entry | None) -> Article:
        if not _is_html(fetched):
            raise FetchError(url, f"not an HTML page ({fetched.content_type or 'no content type'})")
        return article_from_html(fetched.body, fetched.url, entry=entry, declared=_charset(fetched.content_type))


def _validators(known: Seen | None) -> dict[str, str | None]:
    return {"etag": known.etag, "last_modified": known.modified} if known else {}


def article_from_html(body: bytes, url: str, *, entry: _Entry | None = None, declared: str | None = None) -> Article:
    """The page's main text and metadata as an `Article` whose id is its canonical URL."""
    import trafilatura
    from trafilatura.settings import Document

    try:
        html = decode_bytes(body, declared=declared)
    except ValueError as error:
        raise FetchError(url, f"cannot read the page: {error}") from None
    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if not isinstance(found, Document):  # None: nothing found (a dict only when asked for with as_dict)
        raise FetchError(url, "no main text found on the page")
    text = _main_text(found.text or "", found.title or "")
    if len(text) < 80:
        raise FetchError(url, "no main text found on the page")
    title = _clean(found.title or "") or (entry.title if entry else "")
    article_id = _canonical(found.url, url) or (entry.guid if entry and is_url(entry.guid) else "") or _tidy(url)
    return Article(
        id=article_id,
        text=text,
        title=title,
        source=_clean(found.sitename or "") or (entry.feed_title if entry else "") or urlsplit(url).hostname or "",
        url=article_id,
        published=parse_published(found.date) or (entry.published if entry else None),
    )


def _main_text(text: str, title: str) -> str:
    """Paragraphs separated by blank lines (the chunker's paragraph mark), without a repeated headline."""
    lines = [" ".join(line.split()) for line in normalize_newlines(text or "").split("\n")]
    lines = [line for line in lines if line]
    if lines and title and lines[0] == " ".join(title.split()):
        lines = lines[1:]
    return clean_text("\n\n".join(lines))  # entities in the page can spell control characters


def _canonical(found: str | None, fetched_url: str) -> str:
    """The page's canonical URL when it is on the same site (a page cannot claim another site's article id)."""
    if not found or not is_url(found):
        return ""
    same = _site(found) == _site(fetched_url)
    return _tidy(found) if same else ""


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _tidy(url: str) -> str:
    """Without fragment and tracking parameters: the same story reached twice is one article."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]
    return parts._replace(query=urlencode(query), fragment="").geturl()


def _entry_of(raw: dict[str, object], feed_title: str) -> _Entry:
    """The entry's fields, read as stored (`dict.get` skips feedparser's deprecated key aliases)."""
    stamp = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    return _Entry(
        link=str(dict.get(raw, "link") or "").strip(),
        guid=str(dict.get(raw, "id") or "").strip(),
        title=_clean(str(dict.get(raw, "title") or "")),
        published=time.strftime("%Y-%m-%d", stamp) if isinstance(stamp, time.struct_time) else None,
        updated=str(dict.get(raw, "updated") or dict.get(raw, "published") or ""),
        feed_title=feed_title,
    )


def _looks_like_feed(fetched: Fetched) -> bool:
    kind = fetched.content_type.lower()
    if any(word in kind for word in _FEED_TYPES):
        return True
    head = fetched.body[:500].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf"))


def _is_html(fetched: Fetched) -> bool:
    kind = fetched.content_type.lower()
    return "html" in kind or (not kind and b"<html" in fetched.body[:2000].lower())


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _clean(text: str) -> str:
    return " ".join(clean_text(text).split())
