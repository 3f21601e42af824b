"""Read article files (.txt, .md, .html, .json, .jsonl) into `Article`s, refusing bad ones with a reason.

One bad file never stops a batch: every problem becomes a `Refusal` in the `LoadResult`. Article ids come
from where an article came from (its path, or an id/url inside the file), never from the order of loading,
so re-indexing the same files gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from assistant.articles import Article, LoadResult, Refusal
from assistant.decoding import clean_text, decode_bytes, has_control_character, has_lone_surrogate, normalize_newlines
from assistant.errors import InvalidArticleError, RefusedInputError
from assistant.files import SUPPORTED_SUFFIXES, article_id_for, expand, human_size, read_limited, safe_resolve

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "article_id_for",
    "decode_bytes",
    "human_size",
    "load_paths",
    "normalize_newlines",
    "parse_published",
    "split_front_matter",
]

DEFAULT_MAX_BYTES = 5_000_000
MAX_TITLE_CHARS = 200  # also for sources
MAX_URL_CHARS = 2000
_TOO_DEEP = "nested too deeply to read (JSON or YAML)"


@dataclass
class _Loaded:
    """What one file gave: articles with the place they came from (``path`` or ``path#n``), refusals."""

    items: list[tuple[str, Article]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


# --------------------------------------------------------------------------- paths and ids


def load_paths(paths: Iterable[Path], *, id_base: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadResult:
    """Load files and folders into articles; anything unusable becomes a refusal, never an exception.

    The same file named twice (or through a folder and explicitly) is loaded once; a second article with
    an id already loaded in this call is refused.
    """
    base = safe_resolve(Path(id_base))
    result = LoadResult()
    seen_files: set[Path] = set()
    first_place: dict[str, str] = {}
    for raw in paths:
        for entry in expand(Path(raw), base):
            if isinstance(entry, Refusal):
                result.refusals.append(entry)
                continue
            resolved = safe_resolve(entry)
            if resolved in seen_files:
                continue
            seen_files.add(resolved)
            loaded = _load_file(resolved, article_id_for(resolved, base), max_bytes)
            _add_unique(result, loaded, first_place)
    return result


def _add_unique(result: LoadResult, loaded: _Loaded, first_place: dict[str, str]) -> None:
    """Move a file's articles into the result, refusing ids already loaded in this call."""
    result.refusals.extend(loaded.refusals)
    for place, article in loaded.items:
        if article.id in first_place:
            reason = f"duplicate id {article.id!r} (already loaded from {first_place[article.id]})"
            result.refusals.append(Refusal(place, reason))
            continue
        first_place[article.id] = place
        result.articles.append(article)


# --------------------------------------------------------------------------- reading one file


def _load_file(path: Path, path_id: str, max_bytes: int) -> _Loaded:
    """Read one supported file, turning every problem with it into a refusal."""
    if has_control_character(path_id) or has_lone_surrogate(path_id):
        reason = "the file's name holds control characters or is not valid UTF-8: rename it"
        return _Loaded(refusals=[Refusal(path_id, reason)])
    try:
        data = read_limited(path, max_bytes)
        return _LOADERS[path.suffix.lower()](data, path_id)
    except RefusedInputError as refused:
        return _Loaded(refusals=[Refusal(path_id, str(refused))])
    except RecursionError:  # JSON or YAML nested thousands of levels deep
        return _Loaded(refusals=[Refusal(path_id, _TOO_DEEP)])


def _decode_or_refuse(data: bytes, *, declared: str | None = None) -> str:
    """Decoded, cleaned text that is not blank, or a refusal with the reason."""
    try:
        text = decode_bytes(data, declared=declared)
    except ValueError as error:
        raise RefusedInputError(str(error)) from None
    if not text.strip():
        raise RefusedInputError("file contains only whitespace")
    return text


# --------------------------------------------------------------------------- metadata helpers

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jänner", "january", "jan"),
            ("februar", "feber", "february", "feb", "febr"),
            ("märz", "maerz", "march", "mär", "mar"),
            ("april", "apr"),
            ("mai", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("dezember", "december", "dez", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def parse_published(value: Any) -> str | None:
    """An ISO ``YYYY-MM-DD`` date from a date, datetime or common date string; None if not a date.

    A datetime keeps the calendar date as written (no conversion to UTC), as the newsroom dated it.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return _date_from_match(text) or _date_from_rfc2822(text)


def _date_from_match(text: str) -> str | None:
    """Try ISO, German ``5.3.2024``, ``5. März 2024`` and ``March 5, 2024`` at the start of `text`."""
    if m := _ISO_DATE.match(text):
        return _iso(m[1], m[2], m[3])
    if m := _GERMAN_DATE.match(text):
        return _iso(m[3], m[2], m[1])
    if (m := _DAY_MONTH_YEAR.match(text)) and m[2].lower() in _MONTHS:
        return _iso(m[3], _MONTHS[m[2].lower()], m[1])
    if (m := _MONTH_DAY_YEAR.match(text)) and m[1].lower() in _MONTHS:
        return _iso(m[3], _MONTHS[m[1].lower()], m[2])
    return None


def _date_from_rfc2822(text: str) -> str | None:
    """RSS-style dates (``Tue, 05 Mar 2024 10:00:00 +0100``)."""
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _iso(year: str | int, month: str | int, day: str | int) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _short_title(text: str) -> str:
    """A one-line title: whitespace collapsed, at most MAX_TITLE_CHARS characters."""
    return " ".join(text.split())[:MAX_TITLE_CHARS].rstrip()


def _url(text: str) -> str:
    """A URL on one line; dropped when longer than any real one (it is copied into every chunk's metadata)."""
    url = " ".join(text.split())
    return url if len(url) <= MAX_URL_CHARS else ""


def _first_line(text: str) -> str:
    """The first non-empty line, stripped."""
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def _make_article(*, text: str, title: str = "", source: str = "", url: str = "", **fields: Any) -> Article:
    """An Article with cleaned text and metadata (JSON, YAML and HTML escapes can spell control characters
    and lone surrogates), or a refusal when it is unusable (e.g. an id that is only whitespace)."""
    try:
        return Article(
            text=clean_text(text),
            title=_short_title(clean_text(title)),
            source=_short_title(clean_text(source)),
            url=_url(clean_text(url)),
            **fields,
        )
    except InvalidArticleError as error:
        raise RefusedInputError(str(error)) from None


# --------------------------------------------------------------------------- .txt and .md

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_MD_HEADING = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (keys lower-cased) and the body after it, leading blank lines stripped.

    Values are read as plain strings (YAML's BaseLoader) so ``id: 0012`` stays "0012" and ``title: No``
    stays "No". A ``---`` block that is YAML but not a mapping is not front matter: the text stays whole.
    Raises ValueError for malformed YAML.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.load(match[1] or "", Loader=yaml.BaseLoader)  # BaseLoader builds no objects
    except yaml.YAMLError as error:
        raise ValueError(f"malformed YAML front matter: {_yaml_problem(error)}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return {}, text
    body = _LEADING_BLANK_LINES.sub("", text[match.end() :])
    return {str(key).lower(): value for key, value in meta.items()}, body


def _yaml_problem(error: yaml.YAMLError) -> str:
    """The YAML error in one line, with the line number inside the file (front matter starts at line 2)."""
    problem = getattr(error, "problem", None) or str(error).split("\n")[0]
    mark = getattr(error, "problem_mark", None)
    return f"{problem} (line {mark.line + 2})" if mark is not None else problem


def _meta_str(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _load_text(data: bytes, path_id: str) -> _Loaded:
    """A .txt file: optional front matter; title is the first non-empty line unless the front matter says."""
    return _load_plain(data, path_id, markdown=False)


def _load_markdown(data: bytes, path_id: str) -> _Loaded:
    """A .md file: optional front matter; title from it, else the first ``# heading``, else the first line."""
    return _load_plain(data, path_id, markdown=True)


def _load_plain(data: bytes, path_id: str, *, markdown: bool) -> _Loaded:
    text = _decode_or_refuse(data)
    try:
        meta, body = split_front_matter(text)
    except ValueError as error:
        raise RefusedInputError(str(error)) from None
    if not body.strip():
        raise RefusedInputError("no text after the front matter")
    title = _meta_str(meta, "title") or _fallback_title(body, markdown=markdown)
    article = _make_article(
        id=_meta_str(meta, "id") or path_id,
        text=body,
        title=_short_title(title),
        source=_meta_str(meta, "source"),
        url=_meta_str(meta, "url"),
        published=parse_published(meta.get("published") or meta.get("date")),
        path=path_id,
    )
    return _Loaded(items=[(path_id, article)])


def _fallback_title(body: str, *, markdown: bool) -> str:
    if markdown:
        if heading := _MD_HEADING.search(body):
            return heading[1]
        return _first_line(body).lstrip("#").strip()
    return _first_line(body)


# --------------------------------------------------------------------------- .html

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


def _load_html(data: bytes, path_id: str) -> _Loaded:
    """An HTML page: the main text (article > main > body) as paragraphs, plus the page's metadata."""
    declared = _META_CHARSET.search(data[:4096])
    html = _decode_or_refuse(data, declared=declared[1].decode("ascii") if declared else None)
    soup = BeautifulSoup(html, "html.parser")
    metadata = _html_metadata(soup)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    text = "\n\n".join(_html_paragraphs(_main_element(soup)))
    if not text:
        raise RefusedInputError("no readable text in the HTML (after removing navigation, scripts and styles)")
    title = metadata.pop("title") or _first_line(text)
    article = _make_article(id=path_id, text=text, title=_short_title(title), path=path_id, **metadata)
    return _Loaded(items=[(path_id, article)])


def _html_metadata(soup: BeautifulSoup) -> dict[str, Any]:
    """Title, source, url and published date from the head (read before navigation is dropped)."""
    h1 = soup.find("h1")
    title = _tag_text(soup.title) or _meta_content(soup, {"property": "og:title"}) or _tag_text(h1)
    canonical = soup.find("link", rel="canonical")
    url = canonical.get("href", "") if isinstance(canonical, Tag) else ""
    return {
        "title": title,
        "source": _meta_content(soup, {"property": "og:site_name"}),
        "url": str(url).strip() or _meta_content(soup, {"property": "og:url"}),
        "published": _html_published(soup),
    }


def _html_published(soup: BeautifulSoup) -> str | None:
    for attrs in _PUBLISHED_META:
        if published := parse_published(_meta_content(soup, attrs)):
            return published
    time = soup.find("time", attrs={"datetime": True})
    return parse_published(time.get("datetime")) if isinstance(time, Tag) else None


def _meta_content(soup: BeautifulSoup, attrs: dict[str, str]) -> str:
    tag = soup.find("meta", attrs=attrs)
    return " ".join(str(tag.get("content", "")).split()) if isinstance(tag, Tag) else ""


def _tag_text(tag: Any) -> str:
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


# --------------------------------------------------------------------------- .json and .jsonl

_TEXT_FIELDS = ("text", "content", "body")


def _load_json(data: bytes, path_id: str) -> _Loaded:
    """A .json file: one object (one article, id = the path unless it has id/url) or a list of objects."""
    try:
        value = json.loads(_decode_or_refuse(data))
    except json.JSONDecodeError as error:
        raise RefusedInputError(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    if isinstance(value, dict):
        return _records_to_loaded([(None, value)], path_id)
    if isinstance(value, list):
        if not value:
            raise RefusedInputError("the JSON list holds no records")
        return _records_to_loaded(list(enumerate(value, start=1)), path_id)
    raise RefusedInputError("expected a JSON object or a list of objects")


def _load_jsonl(data: bytes, path_id: str) -> _Loaded:
    """A .jsonl file: one object per line; a bad line is refused by its line number, the rest load.

    Records are numbered by line (blank lines count), so ``path#n`` always points at line n.
    """
    loaded = _Loaded()
    records: list[tuple[int | None, Any]] = []
    for number, line in enumerate(_decode_or_refuse(data).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            reason = f"line {number}: invalid JSON: {error.msg} (column {error.colno})"
            loaded.refusals.append(Refusal(f"{path_id}#{number}", reason))
        except RecursionError:
            loaded.refusals.append(Refusal(f"{path_id}#{number}", f"line {number}: {_TOO_DEEP}"))
    rest = _records_to_loaded(records, path_id)
    loaded.items.extend(rest.items)
    loaded.refusals.extend(rest.refusals)
    loaded.refusals.sort(key=lambda refusal: _record_number(refusal.path))
    return loaded


def _record_number(place: str) -> int:
    return int(place.rsplit("#", 1)[1]) if "#" in place else 0


def _records_to_loaded(records: list[tuple[int | None, Any]], path_id: str) -> _Loaded:
    """Articles from (record number, value) pairs; a number of None means the file is one record."""
    loaded = _Loaded()
    for number, value in records:
        place = path_id if number is None else f"{path_id}#{number}"
        try:
            loaded.items.append((place, _record_article(value, path_id, place)))
        except RefusedInputError as refused:
            loaded.refusals.append(Refusal(place, str(refused)))
    return loaded


def _record_article(record: Any, path_id: str, place: str) -> Article:
    """One JSON record as an Article; id = its id, else its url, else where it is (``path#n``)."""
    if not isinstance(record, dict):
        raise RefusedInputError(f"record is a JSON {type(record).__name__}, not an object")
    text = _record_text(record)
    url = _url(clean_text(_record_str(record, "url")))  # cleaned and capped before it can become the id
    return _make_article(
        id=_record_id(record) or url or place,
        text=text,
        title=_short_title(_record_str(record, "title")),
        source=_record_str(record, "source"),
        url=url,
        published=parse_published(record.get("published") or record.get("date")),
        path=path_id,
    )


def _record_text(record: dict[str, Any]) -> str:
    """The record's text (from 'text', 'content' or 'body'), newlines normalised."""
    key = next((key for key in _TEXT_FIELDS if record.get(key) is not None), None)
    if key is None:
        raise RefusedInputError("record has no text (expected a 'text', 'content' or 'body' field)")
    value = record[key]
    if not isinstance(value, str):
        raise RefusedInputError(f"field {key!r} is a JSON {type(value).__name__}, not a string")
    if not value.strip():
        raise RefusedInputError(f"field {key!r} is empty")
    return normalize_newlines(value)


def _record_id(record: dict[str, Any]) -> str:
    value = record.get("id")
    if value is None or isinstance(value, str):
        return (value or "").strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RefusedInputError(f"field 'id' is a JSON {type(value).__name__}, not a string or an integer")


def _record_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


_LOADERS = {
    ".txt": _load_text,
    ".md": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
}
