"""JSON articles (.json: one object or a list of them; .jsonl: one object per line, streamed).

A record's fields are found by the field mapping (`fields`): ``article``/``header``/``date`` are read as
they are, like ``text``/``title``/``published``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from assistant.articles import Refusal
from assistant.decoding import decode_bytes, has_control_character
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import TOO_DEEP, Item, Loaded, collect, decode_or_refuse
from assistant.ingest.formats.fields import FieldMap, FieldsUsed
from assistant.ingest.formats.record_article import record_article
from assistant.ingest.record_files import ByteStream, bounded_lines, too_big_record


def load_json(data: bytes, path_id: str, fields: FieldMap | None = None, used: FieldsUsed | None = None) -> Loaded:
    """A .json file: one object (one article, id = the path unless it has id/url) or a list of objects."""
    fields, used = fields or FieldMap(), used or FieldsUsed()
    try:
        value = json.loads(decode_or_refuse(data))
    except json.JSONDecodeError as error:
        raise RefusedInputError(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    if isinstance(value, dict):
        return collect(_records([(None, value)], path_id, fields, used))
    if isinstance(value, list):
        if not value:
            raise RefusedInputError("the JSON list holds no records")
        return collect(_records(enumerate(value, start=1), path_id, fields, used))
    raise RefusedInputError("expected a JSON object or a list of objects")


def load_jsonl(data: bytes, path_id: str, fields: FieldMap | None = None, used: FieldsUsed | None = None) -> Loaded:
    """A .jsonl file given whole (UTF-16 ones, which cannot be cut into lines as bytes): see `stream_jsonl`."""
    fields, used = fields or FieldMap(), used or FieldsUsed()
    lines = enumerate(decode_or_refuse(data).split("\n"), start=1)
    return collect(item for number, line in lines for item in _line_items(number, line, path_id, fields, used))


def stream_jsonl(
    stream: ByteStream, path_id: str, *, fields: FieldMap, used: FieldsUsed, max_record_bytes: int
) -> Iterator[Item]:
    """A .jsonl file, one line at a time: a bad or too-big line is refused by its number, the rest load.

    Records are numbered by line (blank lines count), so ``path#n`` always points at line n."""
    blank = True
    for line in bounded_lines(stream, max_record_bytes):
        place = f"{path_id}#{line.number}"
        if line.data is None:
            blank = False
            yield Refusal(place, f"line {line.number}: {too_big_record(line.size, max_record_bytes)}")
            continue
        if not line.data.strip():
            continue
        try:
            text = _decoded(line.data)
        except ValueError as error:
            blank = False
            yield Refusal(place, f"line {line.number}: {error}")
            continue
        if text.strip():  # cleaning may leave nothing (a line of escape sequences)
            blank = False
            yield from _line_items(line.number, text, path_id, fields, used)
    if blank:
        raise RefusedInputError("file contains only whitespace")


def _decoded(data: bytes) -> str:
    """A line as text: plain UTF-8 as it is (its strings are cleaned as articles are made), anything else
    (another encoding, a byte-order mark, control characters) through `decode_bytes`, like a whole file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data)
    if text.startswith("\ufeff") or has_control_character(text.rstrip("\r\n")):
        return decode_bytes(data)
    return text


def _line_items(number: int, line: str, path_id: str, fields: FieldMap, used: FieldsUsed) -> Iterator[Item]:
    if not line.strip():
        return
    place = f"{path_id}#{number}"
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        yield Refusal(place, f"line {number}: invalid JSON: {error.msg} (column {error.colno})")
        return
    except RecursionError:
        yield Refusal(place, f"line {number}: {TOO_DEEP}")
        return
    yield from _records([(number, value)], path_id, fields, used)


def _records(
    records: Iterable[tuple[int | None, object]], path_id: str, fields: FieldMap, used: FieldsUsed
) -> Iterator[Item]:
    """Articles from (record number, value) pairs; a number of None means the file is one record."""
    for number, value in records:
        place = path_id if number is None else f"{path_id}#{number}"
        try:
            if not isinstance(value, dict):
                raise RefusedInputError(f"record is a JSON {type(value).__name__}, not an object")
            yield place, record_article(value, place=place, path_id=path_id, fields=fields, used=used)
        except RefusedInputError as refused:
            yield Refusal(place, str(refused))
