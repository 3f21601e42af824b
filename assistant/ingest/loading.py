"""Read article files (.txt, .md, .html, .json, .jsonl, .csv, .tsv) into `Article`s, refusing bad ones with a reason.

One bad file never stops a batch: every problem becomes a `Refusal` in the `LoadResult`. Article ids come
from where an article came from (its path, or an id/url inside the file), never from the order of loading,
so re-indexing the same files gives the same ids. Which files a path stands for is `files`' job, decoding is
`decoding`'s, each format is read in `formats`, and dates are parsed in `dates`.

Record files (JSONL, CSV, TSV: an archive exported as one file) are streamed a record at a time
(`record_files`): the size limit applies to each record, not to the file, and `iter_paths` yields their
articles as they are read. Their fields are found by the field mapping (`formats.fields`), reported once per file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.articles import Article, LoadResult, Refusal
from assistant.decoding import has_control_character, has_lone_surrogate
from assistant.errors import RefusedInputError
from assistant.ingest.files import article_id_for, expand, read_limited, safe_resolve
from assistant.ingest.formats import READERS
from assistant.ingest.formats.common import TOO_DEEP, Item
from assistant.ingest.formats.csv_records import load_csv, load_tsv, stream_csv
from assistant.ingest.formats.fields import FieldMap, FieldsUsed, check_fields
from assistant.ingest.formats.json_records import load_json, load_jsonl, stream_jsonl
from assistant.ingest.record_files import RECORD_SUFFIXES, is_wide, open_record_file

DEFAULT_MAX_BYTES = 5_000_000
_WHOLE_RECORD_READERS = {".jsonl": load_jsonl, ".csv": load_csv, ".tsv": load_tsv}  # UTF-16 record files


@dataclass(frozen=True)
class FileFields:
    """The record fields one file was read with (article field -> record field), reported once per file."""

    path: str
    fields: dict[str, str]


def load_paths(
    paths: Iterable[Path],
    *,
    id_base: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fields: Mapping[str, str] | None = None,
) -> LoadResult:
    """Load files and folders into articles; anything unusable becomes a refusal, never an exception.

    The same file named twice (or through a folder and explicitly) is loaded once; a second article with
    an id already loaded in this call is refused. `fields` names record fields the field mapping does not
    know (``{"text": "Artikel", "published": "Datum"}``); `max_bytes` limits a file, or each record of a
    record file.
    """
    result = LoadResult()
    for entry in iter_paths(paths, id_base=id_base, max_bytes=max_bytes, fields=fields):
        if isinstance(entry, Refusal):
            result.refusals.append(entry)
        elif isinstance(entry, FileFields):
            result.fields[entry.path] = entry.fields
        else:
            result.articles.append(entry)
    return result


def iter_paths(
    paths: Iterable[Path],
    *,
    id_base: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fields: Mapping[str, str] | None = None,
) -> Iterator[Article | Refusal | FileFields]:
    """`load_paths` as a stream, in bounded memory for record files of any size: articles and refusals as
    they are read, and after each record file the fields it was read with."""
    base = safe_resolve(Path(id_base))
    mapping = FieldMap(check_fields(fields))
    seen_files: set[Path] = set()
    first_place: dict[str, str] = {}
    for raw in paths:
        for entry in expand(Path(raw), base):
            if isinstance(entry, Refusal):
                yield entry
                continue
            resolved = safe_resolve(entry)
            if resolved in seen_files:
                continue
            seen_files.add(resolved)
            used = FieldsUsed()
            for item in _file_items(resolved, article_id_for(resolved, base), max_bytes, mapping, used):
                yield _unique(item, first_place)
            if used.names:
                yield FileFields(article_id_for(resolved, base), used.report())


def _unique(item: Item, first_place: dict[str, str]) -> Article | Refusal:
    """The article, or a refusal when an article with its id was already loaded in this call."""
    if isinstance(item, Refusal):
        return item
    place, article = item
    if article.id in first_place:
        return Refusal(place, f"duplicate id {article.id!r} (already loaded from {first_place[article.id]})")
    first_place[article.id] = place
    return article


def _file_items(path: Path, path_id: str, max_bytes: int, fields: FieldMap, used: FieldsUsed) -> Iterator[Item]:
    """Read one supported file, turning every problem with it into a refusal."""
    if has_control_character(path_id) or has_lone_surrogate(path_id):
        yield Refusal(path_id, "the file's name holds control characters or is not valid UTF-8: rename it")
        return
    suffix = path.suffix.lower()
    try:
        if suffix in RECORD_SUFFIXES:
            yield from _record_file_items(path, path_id, max_bytes, fields, used)
            return
        data = read_limited(path, max_bytes)
        loaded = load_json(data, path_id, fields, used) if suffix == ".json" else READERS[suffix](data, path_id)
        yield from loaded.items
        yield from loaded.refusals
    except RefusedInputError as refused:
        yield Refusal(path_id, str(refused))
    except RecursionError:  # JSON or YAML nested thousands of levels deep
        yield Refusal(path_id, TOO_DEEP)


def _record_file_items(path: Path, path_id: str, max_bytes: int, fields: FieldMap, used: FieldsUsed) -> Iterator[Item]:
    """A JSONL, CSV or TSV file streamed with `max_bytes` per record (UTF-16 ones whole, within `max_bytes`)."""
    suffix = path.suffix.lower()
    with open_record_file(path) as stream:
        if is_wide(stream):
            data = read_limited(path, max_bytes)
            loaded = _WHOLE_RECORD_READERS[suffix](data, path_id, fields, used)
            yield from loaded.items
            yield from loaded.refusals
            return
        if suffix == ".jsonl":
            yield from stream_jsonl(stream, path_id, fields=fields, used=used, max_record_bytes=max_bytes)
        else:
            tabs = suffix == ".tsv"
            yield from stream_csv(
                stream, path_id, fields=fields, used=used, max_record_bytes=max_bytes, tab_separated=tabs
            )
