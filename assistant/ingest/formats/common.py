"""What every article format shares: the result of reading one file, decoding, and cleaned metadata."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.articles import Article, Refusal
from assistant.decoding import clean_text, decode_bytes
from assistant.errors import InvalidArticleError, RefusedInputError

MAX_TITLE_CHARS = 200  # also for sources
MAX_URL_CHARS = 2000
TOO_DEEP = "nested too deeply to read (JSON or YAML)"


@dataclass
class Loaded:
    """What one file gave: articles with the place they came from (``path`` or ``path#n``), refusals."""

    items: list[tuple[str, Article]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


Item = tuple[str, Article] | Refusal
"""What a record reader yields: an article with the place it came from (``path#n``), or a refused record."""


def collect(items: Iterable[Item]) -> Loaded:
    """A record reader's items as one `Loaded`."""
    loaded = Loaded()
    for item in items:
        if isinstance(item, Refusal):
            loaded.refusals.append(item)
        else:
            loaded.items.append(item)
    return loaded


def decode_or_refuse(data: bytes, *, declared: str | None = None) -> str:
    """Decoded, cleaned text that is not blank, or a refusal with the reason."""
    try:
        text = decode_bytes(data, declared=declared)
    except ValueError as error:
        raise RefusedInputError(str(error)) from None
    if not text.strip():
        raise RefusedInputError("file contains only whitespace")
    return text


def short_title(text: str) -> str:
    """A one-line title: whitespace collapsed, at most MAX_TITLE_CHARS characters."""
    return " ".join(text.split())[:MAX_TITLE_CHARS].rstrip()


def one_line_url(text: str) -> str:
    """A URL on one line; dropped when longer than any real one (it is copied into every chunk's metadata)."""
    url = " ".join(text.split())
    return url if len(url) <= MAX_URL_CHARS else ""


def first_line(text: str) -> str:
    """The first non-empty line, stripped."""
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def make_article(
    *,
    id: str,
    text: str,
    title: str = "",
    source: str = "",
    url: str = "",
    published: str | None = None,
    path: str = "",
) -> Article:
    """An Article with cleaned text and metadata (JSON, YAML and HTML escapes can spell control characters
    and lone surrogates), or a refusal when it is unusable (e.g. an id that is only whitespace)."""
    try:
        return Article(
            text=clean_text(text),
            title=short_title(clean_text(title)),
            source=short_title(clean_text(source)),
            url=one_line_url(clean_text(url)),
            id=id,
            published=published,
            path=path,
        )
    except InvalidArticleError as error:
        raise RefusedInputError(str(error)) from None
