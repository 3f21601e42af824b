"""One reader per article file format, each turning a file's bytes into articles or refusals.

A reader takes the file's bytes and its place (the path id) and returns a `Loaded`; it raises
`RefusedInputError` for a file it cannot use as a whole. `assistant.ingest.loading` picks the reader by suffix.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.ingest.formats.common import Loaded
from assistant.ingest.formats.csv_records import load_csv, load_tsv
from assistant.ingest.formats.html_page import load_html
from assistant.ingest.formats.json_records import load_json, load_jsonl
from assistant.ingest.formats.plain import load_markdown, load_text

__all__ = ["READERS", "Loaded", "Reader"]

Reader = Callable[[bytes, str], Loaded]
"""Bytes of one file and its place -> the articles and refusals in it."""

READERS: dict[str, Reader] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
    ".tsv": load_tsv,
}
"""The reader of each supported suffix (lower case); `files.SUPPORTED_SUFFIXES` names the same ones."""
