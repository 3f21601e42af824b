"""HTML article pages: the main text (article > main > body) as paragraphs, metadata from the head."""

from __future__ import annotations

import re
from typing import TypedDict

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from assistant.dates import parse_published
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import Loaded, decode_or_refuse, first_line, make_article, short_title

_DROPPED_TAGS = (
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg",
    "iframe", "button", "select", "object", "embed", "canvas",
)  # fmt: skip
_BLOCK_TAGS = frozenset((
    "address", "article", "aside", "blockquote", "body", "br", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
))  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_PUBLISHED_META = (
    {"property": "article:published_time"},
    {"itemprop": "datePublished"},
    {"name": "date"},
    {"name": "pubdate"},
    {"name": "publish-date"},
)


def load_html(data: bytes, path_id: str) -> Loaded:
    """An HTML page: the main text (article > main > body) as paragraphs, plus the page's metadata."""
    declared = _META_CHARSET.search(data[:4096])
    html = decode_or_refuse(data, declared=declared[1].decode("ascii") if declared else None)
    soup = BeautifulSoup(html, "html.parser")
    metadata = _html_metadata(soup)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    text = "\n\n".join(_html_paragraphs(_main_element(soup)))
    if not text:
        raise RefusedInputError("no readable text in the HTML (after removing navigation, scripts and styles)")
    article = make_article(
        id=path_id,
        text=text,
        title=short_title(metadata["title"] or first_line(text)),
        source=metadata["source"],
        url=metadata["url"],
        published=metadata["published"],
        path=path_id,
    )
    return Loaded(items=[(path_id, article)])


class _HeadMetadata(TypedDict):
    title: str
    source: str
    url: str
    published: str | None


def _html_metadata(soup: BeautifulSoup) -> _HeadMetadata:
    """Title, source, url and published date from the head (read before navigation is dropped)."""
    h1 = soup.find("h1")
    title = _tag_text(soup.title) or _meta_content(soup, {"property": "og:title"}) or _tag_text(h1)
    canonical = soup.find("link", rel="canonical")
    url = canonical.get("href", "") if isinstance(canonical, Tag) else ""
    return _HeadMetadata(
        title=title,
        source=_meta_content(soup, {"property": "og:site_name"}),
        url=str(url).strip() or _meta_content(soup, {"property": "og:url"}),
        published=_html_published(soup),
    )


def _html_published(soup: BeautifulSoup) -> str | None:
    for attrs in _PUBLISHED_META:
        if published := parse_published(_meta_content(soup, attrs)):
            return published
    time = soup.find("time", attrs={"datetime": True})
    return parse_published(time.get("datetime")) if isinstance(time, Tag) else None


def _meta_content(soup: BeautifulSoup, attrs: dict[str, str]) -> str:
    tag = soup.find("meta", attrs=dict(attrs))
    return " ".join(str(tag.get("content", "")).split()) if isinstance(tag, Tag) else ""


def _tag_text(tag: object) -> str:
    return " ".join(tag.get_text(" ").split()) if isinstance(tag, Tag) else ""


def _main_element(soup: BeautifulSoup) -> Tag:
    """The element holding the article: the <article> with the most text, else <main>, else <body>."""
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=lambda tag: len(tag.get_text()))
    return soup.find("main") or soup.body or soup


def _html_paragraphs(root: Tag) -> list[str]:
    """Text of `root` cut into paragraphs at block-element boundaries, whitespace collapsed inside each.

    Iterative (no recursion), so deeply nested pages cannot hit Python's recursion limit.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    block: Tag | None = None
    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name in _BLOCK_TAGS:
                _flush(current, paragraphs)
            continue
        if not isinstance(node, NavigableString) or isinstance(node, PreformattedString):
            continue  # comments, doctype, CDATA
        enclosing = _enclosing_block(node)
        if enclosing is not block:
            _flush(current, paragraphs)
            block = enclosing
        current.append(str(node))
    _flush(current, paragraphs)
    return paragraphs


def _enclosing_block(node: NavigableString) -> Tag | None:
    return next((parent for parent in node.parents if parent.name in _BLOCK_TAGS), None)


def _flush(current: list[str], paragraphs: list[str]) -> None:
    text = " ".join("".join(current).split())
    if text:
        paragraphs.append(text)
    current.clear()
