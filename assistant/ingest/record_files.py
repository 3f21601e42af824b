"""Reading a record file (JSONL, CSV, TSV) of any size in bounded memory: a line at a time, each line capped.

An archive exported as one file is many articles, so the per-file size limit does not apply to it; the same
limit applies to each record instead (a line above it is refused by its number and skipped without being
held in memory). The file is opened like every other (`files.read_limited`): without blocking, checked on the
descriptor. UTF-16 and UTF-32 files cannot be cut at ``\\n`` bytes: they are read whole, within the file limit.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.decoding import is_wide_unicode
from assistant.errors import RefusedInputError
from assistant.ingest.files import file_kind, human_size


class ByteStream(Protocol):
    """What a record file is read through: a buffered binary stream (a file, or bytes in memory)."""

    def peek(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


RECORD_SUFFIXES = (".jsonl", ".csv", ".tsv")
"""Files holding one article per record, streamed; a .json list is read whole (within the file limit)."""
_BUFFER = 1 << 20
_HEAD = 1 << 16


@dataclass(frozen=True)
class Line:
    """One line of a record file: its number (from 1) and bytes (newline included), or only its size when it
    is above the limit (then `data` is None)."""

    number: int
    data: bytes | None
    size: int


@contextmanager
def open_record_file(path: Path) -> Iterator[ByteStream]:
    """The file opened for buffered binary reading; RefusedInputError when it is not a readable regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise RefusedInputError(f"cannot read the file: {error.strerror or error}") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as error:
        os.close(fd)
        raise RefusedInputError(f"cannot read the file: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise RefusedInputError(f"not a regular file: {file_kind(mode)}")
    with io.BufferedReader(io.FileIO(fd, closefd=True), buffer_size=_BUFFER) as stream:
        yield stream


def is_wide(stream: ByteStream) -> bool:
    """Whether the file is UTF-16 or UTF-32 (looked at without consuming anything)."""
    return is_wide_unicode(stream.peek(_HEAD)[:_HEAD])


def bounded_lines(stream: ByteStream, max_bytes: int) -> Iterator[Line]:
    """The file's lines, each at most `max_bytes` (newline not counted); a longer one is read past in pieces
    and given as its size only. Raises RefusedInputError for an empty file."""
    number = 0
    while True:
        try:
            data = stream.readline(max_bytes + 2)  # the line, its newline, and one byte that shows it is too long
        except OSError as error:
            raise RefusedInputError(f"cannot read the file at line {number + 1}: {error.strerror or error}") from None
        if not data:
            if number == 0:
                raise RefusedInputError("file is empty")
            return
        number += 1
        if len(data) <= max_bytes or (len(data) == max_bytes + 1 and data.endswith(b"\n")):
            yield Line(number, data, len(data))
            continue
        size = len(data)
        while not data.endswith(b"\n"):
            data = stream.readline(_BUFFER)
            if not data:
                break
            size += len(data)
        yield Line(number, None, size)


def too_big_record(size: int, limit: int) -> str:
    """The reason a record is refused for its size."""
    shown, limit_shown = human_size(size), human_size(limit)
    if shown == limit_shown:
        shown, limit_shown = f"{size:,} bytes", f"{limit:,} bytes"
    return f"record is {shown}, above the {limit_shown} limit per record (ASSISTANT_MAX_FILE_BYTES)"
