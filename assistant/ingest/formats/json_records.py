"""JSON articles (.json: one object or a list of them; .jsonl: one object per line)."""

from __future__ import annotations

import json
from typing import Any

from assistant.articles import Article, Refusal
from assistant.dates import parse_published
from assistant.decoding import clean_text, normalize_newlines
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import TOO_DEEP, Loaded, decode_or_refuse, make_article, one_line_url, short_title

_TEXT_FIELDS = ("text", "content", "body")


def load_json(data: bytes, path_id: str) -> Loaded:
    """A .json file: one object (one article, id = the path unless it has id/url) or a list of objects."""
    try:
        value = json.loads(decode_or_refuse(data))
    except json.JSONDecodeError as error:
        raise RefusedInputError(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    if isinstance(value, dict):
        return _records_to_loaded([(None, value)], path_id)
    if isinstance(value, list):
        if not value:
            raise RefusedInputError("the JSON list holds no records")
        return _records_to_loaded(list(enumerate(value, start=1)), path_id)
    raise RefusedInputError("expected a JSON object or a list of objects")


def load_jsonl(data: bytes, path_id: str) -> Loaded:
    """A .jsonl file: one object per line; a bad line is refused by its line number, the rest load.

    Records are numbered by line (blank lines count), so ``path#n`` always points at line n.
    """
    loaded = Loaded()
    records: list[tuple[int | None, Any]] = []
    for number, line in enumerate(decode_or_refuse(data).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            reason = f"line {number}: invalid JSON: {error.msg} (column {error.colno})"
            loaded.refusals.append(Refusal(f"{path_id}#{number}", reason))
        except RecursionError:
            loaded.refusals.append(Refusal(f"{path_id}#{number}", f"line {number}: {TOO_DEEP}"))
    rest = _records_to_loaded(records, path_id)
    loaded.items.extend(rest.items)
    loaded.refusals.extend(rest.refusals)
    loaded.refusals.sort(key=lambda refusal: _record_number(refusal.path))
    return loaded


def _record_number(place: str) -> int:
    return int(place.rsplit("#", 1)[1]) if "#" in place else 0


def _records_to_loaded(records: list[tuple[int | None, Any]], path_id: str) -> Loaded:
    """Articles from (record number, value) pairs; a number of None means the file is one record."""
    loaded = Loaded()
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
    url = one_line_url(clean_text(_record_str(record, "url")))  # cleaned and capped before it can become the id
    return make_article(
        id=_record_id(record) or url or place,
        text=text,
        title=short_title(_record_str(record, "title")),
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
