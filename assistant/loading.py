"""Read article files (.txt, .md, .html, .json, .jsonl) into `Article`s, refusing bad ones with a reason.

One bad file never stops a batch: every problem becomes a `Refusal` in the `LoadResult`. Article ids come
from where an article came from (its path, or an id/url inside the file), never from the order of loading,
so re-indexing the same files gives the same ids.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from assistant.articles import Article, LoadResult, Refusal
from assistant.errors import InvalidArticleError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
DEFAULT_MAX_BYTES = 20_000_000
MAX_TITLE_CHARS = 200
MAX_CONTROL_SHARE = 0.05  # above this share of control characters a "text" is really binary data


class _Refused(Exception):
    """Raised inside a loader to refuse the whole file with a reason (caught in `_load_file`)."""


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
    base = Path(id_base).resolve()
    result = LoadResult()
    seen_files: set[Path] = set()
    first_place: dict[str, str] = {}
    for raw in paths:
        for entry in _expand(Path(raw), base):
            if isinstance(entry, Refusal):
                result.refusals.append(entry)
                continue
            resolved = entry.resolve()
            if resolved in seen_files:
                continue
            seen_files.add(resolved)
            loaded = _load_file(resolved, article_id_for(resolved, base), max_bytes)
            _add_unique(result, loaded, first_place)
    return result


def article_id_for(path: Path, id_base: Path) -> str:
    """The id (and `Article.path`) of a file: relative to `id_base` when inside it, else absolute (POSIX)."""
    resolved = Path(path).resolve()
    try:
        relative = resolved.relative_to(Path(id_base).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
    return relative if relative != "." else resolved.as_posix()


def _expand(path: Path, base: Path) -> Iterator[Path | Refusal]:
    """The files a user-given path stands for, or a refusal saying why it stands for none."""
    if path.is_dir():
        yield from _walk(path)
    elif path.is_file():
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path
        else:
            supported = ", ".join(SUPPORTED_SUFFIXES)
            reason = f"unsupported file type {path.suffix or '(no suffix)'!r}; supported: {supported}"
            yield Refusal(article_id_for(path, base), reason)
    elif path.exists():
        yield Refusal(article_id_for(path, base), "not a regular file or folder")
    else:
        yield Refusal(article_id_for(path, base), "no such file or folder")


def _walk(folder: Path) -> list[Path]:
    """Supported files under `folder`, sorted by relative path; hidden files and folders are skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(root, name))
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


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
    try:
        data = _read_bytes(path, max_bytes)
        return _LOADERS[path.suffix.lower()](data, path_id)
    except _Refused as refused:
        return _Loaded(refusals=[Refusal(path_id, str(refused))])
    except OSError as error:
        return _Loaded(refusals=[Refusal(path_id, f"cannot read the file: {error.strerror or error}")])


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; the size is checked before reading so a huge file is never loaded."""
    size = path.stat().st_size
    if size == 0:
        raise _Refused("file is empty")
    if size > max_bytes:
        raise _Refused(_too_big(size, max_bytes))
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the stat
        raise _Refused(_too_big(len(data), max_bytes))
    if not data:
        raise _Refused("file is empty")
    return data


def _too_big(size: int, limit: int) -> str:
    """The too-big reason in human units, with exact bytes when rounding would hide the difference."""
    shown, limit_shown = human_size(size), human_size(limit)
    if shown == limit_shown:
        shown, limit_shown = f"{shown} ({size:,} bytes)", f"{limit_shown} ({limit:,} bytes)"
    return f"file is {shown}, above the {limit_shown} limit (ASSISTANT_MAX_FILE_BYTES)"


def human_size(size: int) -> str:
    """Bytes in decimal units (20_000_000 -> '20.0 MB'), the way file managers show them."""
    for unit, factor in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


# --------------------------------------------------------------------------- decoding


def decode_bytes(data: bytes, *, declared: str | None = None) -> str:
    """Decode a file's bytes to the text that is stored: BOM removed, newlines normalised to ``\\n``.

    Order: byte-order mark; a `declared` charset (HTML meta) if it decodes; strict UTF-8; Windows-1252
    (which covers Latin-1 German text, with its „“ quotes and dashes). charset-normalizer is asked only
    when Windows-1252 gives mojibake of a non-Latin script or junk, because it misreads short German text.
    Raises ValueError with a reason for binary or undecodable data.
    """
    text = _decode_with_bom(data)
    if text is None:
        if b"\x00" in data:
            raise ValueError("binary data (contains NUL bytes), not text")
        text = _decode_without_bom(data, declared)
    _check_looks_like_text(text)
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_with_bom(data: bytes) -> str | None:
    """Text decoded by its byte-order mark (which is dropped), or None when there is no BOM."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise ValueError(f"undecodable: has a {encoding} byte-order mark but {error}") from None
    return None


def _decode_without_bom(data: bytes, declared: str | None) -> str:
    """Try the declared charset, UTF-8, Windows-1252 (Latin-1 for its five undefined bytes), then
    charset-normalizer for what Windows-1252 turns into mojibake."""
    for encoding in (_known_codec(declared), "utf-8"):
        if encoding and (text := _try_decode(data, encoding)) is not None:
            return text
    text = data.decode("cp1252", errors=_LATIN1_FOR_UNDEFINED)
    plausible = _control_share(text) <= MAX_CONTROL_SHARE
    if plausible and not _looks_like_mojibake(text):
        return text
    detected = _detect(data)
    if detected is not None:
        return detected
    if plausible:
        return text
    raise ValueError("undecodable: not UTF-8, Windows-1252/Latin-1 or another recognisable encoding")


def _latin1_for_undefined(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) as Latin-1 does."""
    return bytes(error.object[error.start : error.end]).decode("latin-1"), error.end


_LATIN1_FOR_UNDEFINED = "assistant-latin1-for-undefined"
codecs.register_error(_LATIN1_FOR_UNDEFINED, _latin1_for_undefined)


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):  # LookupError: a declared non-text codec like "base64"
        return None


def _known_codec(name: str | None) -> str | None:
    """A Python codec for a declared charset; Latin-1/ASCII mean Windows-1252, as browsers read them."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _looks_like_mojibake(text: str) -> bool:
    """True when most letters are non-ASCII: Cyrillic or Greek read as Windows-1252, not German."""
    letters = _LETTER.findall(text[:100_000])
    if len(letters) < 20:
        return False
    return sum(not c.isascii() for c in letters) / len(letters) > 0.5


def _detect(data: bytes) -> str | None:
    """charset-normalizer's guess if it recognised a language in it (it 'decodes' any junk), else None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None and best.coherence > 0 else None


def _check_looks_like_text(text: str) -> None:
    """Refuse decoded 'text' that is mostly control characters (a renamed image or archive)."""
    if "\x00" in text:
        raise ValueError("binary data (contains NUL characters), not text")
    share = _control_share(text)
    if share > MAX_CONTROL_SHARE:
        raise ValueError(f"binary data ({share:.0%} control characters), not text")


def _control_share(text: str) -> float:
    """Share of control characters other than tab, newline, carriage return and form feed."""
    return sum(1 for _ in _CONTROL.finditer(text)) / len(text) if text else 0.0


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LETTER = re.compile(r"[^\W\d_]")


def _decode_or_refuse(data: bytes, *, declared: str | None = None) -> str:
    """Decoded text that is not blank, or a refusal with the reason."""
    try:
        text = decode_bytes(data, declared=declared)
    except ValueError as error:
        raise _Refused(str(error)) from None
    if not text.strip():
        raise _Refused("file contains only whitespace")
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


def _first_line(text: str) -> str:
    """The first non-empty line, stripped."""
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def _make_article(**fields: Any) -> Article:
    """An Article, or a refusal when it is unusable (e.g. an id that is only whitespace)."""
    try:
        return Article(**fields)
    except InvalidArticleError as error:
        raise _Refused(str(error)) from None


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
        raise _Refused(str(error)) from None
    if not body.strip():
        raise _Refused("no text after the front matter")
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
        raise _Refused("no readable text in the HTML (after removing navigation, scripts and styles)")
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
        raise _Refused(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    if isinstance(value, dict):
        return _records_to_loaded([(None, value)], path_id)
    if isinstance(value, list):
        if not value:
            raise _Refused("the JSON list holds no records")
        return _records_to_loaded(list(enumerate(value, start=1)), path_id)
    raise _Refused("expected a JSON object or a list of objects")


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
        except _Refused as refused:
            loaded.refusals.append(Refusal(place, str(refused)))
    return loaded


def _record_article(record: Any, path_id: str, place: str) -> Article:
    """One JSON record as an Article; id = its id, else its url, else where it is (``path#n``)."""
    if not isinstance(record, dict):
        raise _Refused(f"record is a JSON {type(record).__name__}, not an object")
    text = _record_text(record)
    url = _record_str(record, "url")
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
        raise _Refused("record has no text (expected a 'text', 'content' or 'body' field)")
    value = record[key]
    if not isinstance(value, str):
        raise _Refused(f"field {key!r} is a JSON {type(value).__name__}, not a string")
    if not value.strip():
        raise _Refused(f"field {key!r} is empty")
    return normalize_newlines(value)


def _record_id(record: dict[str, Any]) -> str:
    value = record.get("id")
    if value is None or isinstance(value, str):
        return (value or "").strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Refused(f"field 'id' is a JSON {type(value).__name__}, not a string or an integer")


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
