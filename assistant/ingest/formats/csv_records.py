"""CSV and TSV articles, streamed: a header row names the fields (found by the field mapping), the delimiter
is sniffed; 10kGNAD's header-less ``label;text`` rows (quote character ``'``) are recognised as such.

This is the one reader of the 10kGNAD format (`assistant.evaluation` reads its distractors through it).
Records are numbered by the line they start on, so ``path#n`` points at line n (a quoted field may span lines).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from assistant.articles import Refusal
from assistant.decoding import decode_bytes
from assistant.errors import RefusedInputError
from assistant.ingest.formats.common import Item, Loaded, collect, decode_or_refuse
from assistant.ingest.formats.fields import FIELD_ALIASES, FieldMap, FieldsUsed
from assistant.ingest.formats.record_article import record_article
from assistant.ingest.record_files import ByteStream, bounded_lines, too_big_record

GNAD_TEXT = "column 2 (10kGNAD label;text)"
"""How the text field of a header-less 10kGNAD file is reported."""
_SAMPLE_CHARS = 64_000
_SAMPLE_LINES = 50
_DELIMITERS = ",;\t|"
_GNAD_LABEL = re.compile(r"[^\W\d_][\w-]{0,39}")  # one word: Wirtschaft, Sport, Web, Panorama, ...


@dataclass(frozen=True)
class _Layout:
    """How a file's rows are read: the dialect, and the field names (the header, or 10kGNAD's two columns)."""

    delimiter: str
    quotechar: str
    header: list[str] | None  # None: header-less 10kGNAD rows


class _LineTooLongError(Exception):
    """A line above the record limit: a CSV cannot be resynchronised after it, so the file stops there."""

    def __init__(self, number: int, size: int) -> None:
        self.number, self.size = number, size


def load_csv(data: bytes, path_id: str, fields: FieldMap | None = None, used: FieldsUsed | None = None) -> Loaded:
    """A CSV file given whole (an upload, or UTF-16 that cannot be cut into lines as bytes): see `stream_csv`."""
    return _load_whole(data, path_id, fields, used, tab_separated=False)


def load_tsv(data: bytes, path_id: str, fields: FieldMap | None = None, used: FieldsUsed | None = None) -> Loaded:
    """A TSV file given whole: see `stream_csv`."""
    return _load_whole(data, path_id, fields, used, tab_separated=True)


def _load_whole(
    data: bytes, path_id: str, fields: FieldMap | None, used: FieldsUsed | None, *, tab_separated: bool
) -> Loaded:
    utf8 = decode_or_refuse(data).encode("utf-8", errors="surrogatepass")
    stream = io.BufferedReader(io.BytesIO(utf8))
    items = stream_csv(
        stream,
        path_id,
        fields=fields or FieldMap(),
        used=used or FieldsUsed(),
        max_record_bytes=max(len(utf8), 1),
        tab_separated=tab_separated,
    )
    return collect(items)


def stream_csv(
    stream: ByteStream,
    path_id: str,
    *,
    fields: FieldMap,
    used: FieldsUsed,
    max_record_bytes: int,
    tab_separated: bool = False,
) -> Iterator[Item]:
    """The file's rows as articles or refusals; a file without a header naming the text is refused whole."""
    csv.field_size_limit(max(csv.field_size_limit(), max_record_bytes))  # process-wide: never lowered
    lines = _decoded_lines(stream, max_record_bytes)
    head, stop = _head(lines)
    if not "".join(head).strip():
        if isinstance(stop, _LineTooLongError):
            raise RefusedInputError(f"line {stop.number}: {too_big_record(stop.size, max_record_bytes)}")
        raise stop or RefusedInputError("file contains only whitespace")
    layout = _layout(head, fields, tab_separated=tab_separated)
    rest = _raising(stop) if stop is not None else lines  # the rows before a bad line load, then it is reported
    yield from _rows(chain(head, rest), layout, path_id, fields, used, max_record_bytes)


def _decoded_lines(stream: ByteStream, max_record_bytes: int) -> Iterator[str]:
    for line in bounded_lines(stream, max_record_bytes):
        if line.data is None:
            raise _LineTooLongError(line.number, line.size)
        try:
            yield decode_bytes(line.data)
        except ValueError as error:  # a binary line: the csv reader cannot go on past it either
            raise RefusedInputError(f"line {line.number}: {error}") from None


def _head(lines: Iterator[str]) -> tuple[list[str], _LineTooLongError | RefusedInputError | None]:
    """The first lines (up to about 64,000 characters), to sniff the dialect and find the header, and the
    problem that ended them early, if one did."""
    head: list[str] = []
    size = 0
    try:
        for line in lines:
            head.append(line)
            size += len(line)
            if size >= _SAMPLE_CHARS or len(head) >= _SAMPLE_LINES:
                break
    except (_LineTooLongError, RefusedInputError) as stop:
        return head, stop
    return head, None


def _raising(error: Exception) -> Iterator[str]:
    raise error
    yield  # a generator: raises when the reader gets this far


def _layout(head: list[str], fields: FieldMap, *, tab_separated: bool) -> _Layout:
    """A header row naming the text (in the sniffed dialect), else 10kGNAD's ``label;text``, else a refusal."""
    sample = "".join(head)
    delimiter, quotechar = "\t" if tab_separated else _sniff(sample), '"'
    first = next(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar=quotechar), [])
    header = [name.strip() for name in first]
    if "text" in fields.resolve(header):
        return _Layout(delimiter, quotechar, header)
    gnad = next(csv.reader(io.StringIO(sample), delimiter=";", quotechar="'"), [])
    if not tab_separated and len(gnad) == 2 and _GNAD_LABEL.fullmatch(gnad[0]) and "text" not in fields.explicit:
        return _Layout(";", "'", None)
    names = ", ".join(repr(name) for name in FIELD_ALIASES["text"])
    found = ", ".join(repr(name) for name in header[:12]) or "none"
    raise RefusedInputError(
        f"no header row naming the text column (expected one of {names}, or name it: --field text=NAME; "
        f"the first row has {found})"
    )


def _sniff(sample: str) -> str:
    """The delimiter of the sample (comma when the sniffer cannot tell)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _rows(
    lines: Iterator[str], layout: _Layout, path_id: str, fields: FieldMap, used: FieldsUsed, max_record_bytes: int
) -> Iterator[Item]:
    reader = csv.reader(lines, delimiter=layout.delimiter, quotechar=layout.quotechar)
    if layout.header is not None:
        next(reader, None)
    else:
        fields = FieldMap({**fields.explicit, "text": GNAD_TEXT})
    while True:
        start = reader.line_num + 1
        place = f"{path_id}#{start}"
        try:
            row = next(reader, None)
        except _LineTooLongError as long:
            yield Refusal(f"{path_id}#{long.number}", _stopped(too_big_record(long.size, max_record_bytes)))
            return
        except RefusedInputError as refused:
            yield Refusal(place, _stopped(str(refused)))
            return
        except csv.Error as error:
            yield Refusal(place, _stopped(f"line {reader.line_num}: unreadable CSV: {error}"))
            return
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue
        record = _record(row, layout)
        try:
            yield place, record_article(record, place=place, path_id=path_id, fields=fields, used=used)
        except RefusedInputError as refused:
            yield Refusal(place, str(refused))


def _record(row: list[str], layout: _Layout) -> dict[str, object]:
    if layout.header is None:
        return {GNAD_TEXT: row[1] if len(row) > 1 else ""}
    return dict(zip(layout.header, row, strict=False))


def _stopped(reason: str) -> str:
    return f"{reason}; the rest of the file is not read (a CSV cannot be resumed after it)"
