"""Plain-text articles (.txt, .md): optional YAML front matter for metadata, the title from the text."""

from __future__ import annotations

import re

import yaml

from assistant.dates import parse_published
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import Loaded, decode_or_refuse, first_line, make_article, short_title

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_MD_HEADING = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
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
    if not isinstance(error, yaml.MarkedYAMLError):  # the parser's errors are marked; a reader's may not be
        return str(error).split("\n")[0]
    problem = error.problem or str(error).split("\n")[0]
    mark = error.problem_mark
    return f"{problem} (line {mark.line + 2})" if mark is not None else problem


def _meta_str(meta: dict[str, object], key: str) -> str:
    value = meta.get(key)
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def load_text(data: bytes, path_id: str) -> Loaded:
    """A .txt file: optional front matter; title is the first non-empty line unless the front matter says."""
    return _load_plain(data, path_id, markdown=False)


def load_markdown(data: bytes, path_id: str) -> Loaded:
    """A .md file: optional front matter; title from it, else the first ``# heading``, else the first line."""
    return _load_plain(data, path_id, markdown=True)


def _load_plain(data: bytes, path_id: str, *, markdown: bool) -> Loaded:
    text = decode_or_refuse(data)
    try:
        meta, body = split_front_matter(text)
    except ValueError as error:
        raise RefusedInputError(str(error)) from None
    if not body.strip():
        raise RefusedInputError("no text after the front matter")
    title = _meta_str(meta, "title") or _fallback_title(body, markdown=markdown)
    article = make_article(
        id=_meta_str(meta, "id") or path_id,
        text=body,
        title=short_title(title),
        source=_meta_str(meta, "source"),
        url=_meta_str(meta, "url"),
        published=parse_published(meta.get("published") or meta.get("date")),
        path=path_id,
    )
    return Loaded(items=[(path_id, article)])


def _fallback_title(body: str, *, markdown: bool) -> str:
    if markdown:
        if heading := _MD_HEADING.search(body):
            return heading[1]
        return first_line(body).lstrip("#").strip()
    return first_line(body)
