"""One record (a JSON object, a CSV row) as an `Article`, its fields found by the field mapping."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.articles import Article
from assistant.dates import parse_published
from assistant.decoding import clean_text, normalize_newlines
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import make_article, one_line_url, short_title
from assistant.ingest.formats.fields import FieldMap, FieldsUsed

Record = Mapping[str, object]
"""A record's fields: JSON values, or the strings of a CSV row."""


def record_article(record: Record, *, place: str, path_id: str, fields: FieldMap, used: FieldsUsed) -> Article:
    """The record as an Article; id = its id, else its url, else where it is (``path#n``). A field whose value
    is null counts as absent, so ``"title": null`` falls through to ``header``."""
    chosen = fields.resolve(key for key, value in record.items() if value is not None)
    used.add(chosen)
    if "text" not in chosen:
        raise RefusedInputError(fields.missing_text())
    text = _record_text(record, chosen["text"])
    url = one_line_url(clean_text(_one_line(record, chosen.get("url"))))  # capped before it can become the id
    return make_article(
        id=_record_id(record, chosen.get("id")) or url or place,
        text=text,
        title=short_title(_one_line(record, chosen.get("title"))),
        source=_one_line(record, chosen.get("source")),
        url=url,
        published=parse_published(record.get(chosen["published"])) if "published" in chosen else None,
        path=path_id,
    )


def _record_text(record: Record, key: str) -> str:
    """The record's text, newlines normalised; a refusal when it is not a string or blank."""
    value = record[key]
    if not isinstance(value, str):
        raise RefusedInputError(f"field {key!r} is a JSON {type(value).__name__}, not a string")
    if not value.strip():
        raise RefusedInputError(f"field {key!r} is empty")
    return normalize_newlines(value)


def _record_id(record: Record, key: str | None) -> str:
    value = record.get(key) if key else None
    if value is None or isinstance(value, str):
        return (value or "").strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RefusedInputError(f"field {key!r} is a JSON {type(value).__name__}, not a string or an integer")


def _one_line(record: Record, key: str | None) -> str:
    value = record.get(key) if key else None
    return " ".join(value.split()) if isinstance(value, str) else ""
