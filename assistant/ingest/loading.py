"""Read article files (.txt, .md, .html, .json, .jsonl) into `Article`s, refusing bad ones with a reason.

One bad file never stops a batch: every problem becomes a `Refusal` in the `LoadResult`. Article ids come
from where an article came from (its path, or an id/url inside the file), never from the order of loading,
so re-indexing the same files gives the same ids. Which files a path stands for is `files`' job, decoding is
`decoding`'s, each format is read in `formats`, and dates are parsed in `dates`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.articles import LoadResult, Refusal
from assistant.decoding import has_control_character, has_lone_surrogate
from assistant.errors import RefusedInputError
from assistant.ingest.files import article_id_for, expand, read_limited, safe_resolve
from assistant.ingest.formats import READERS, Loaded
from assistant.ingest.formats.common import TOO_DEEP

DEFAULT_MAX_BYTES = 5_000_000


def load_paths(paths: Iterable[Path], *, id_base: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadResult:
    """Load files and folders into articles; anything unusable becomes a refusal, never an exception.

    The same file named twice (or through a folder and explicitly) is loaded once; a second article with
    an id already loaded in this call is refused.
    """
    base = safe_resolve(Path(id_base))
    result = LoadResult()
    seen_files: set[Path] = set()
    first_place: dict[str, str] = {}
    for raw in paths:
        for entry in expand(Path(raw), base):
            if isinstance(entry, Refusal):
                result.refusals.append(entry)
                continue
            resolved = safe_resolve(entry)
            if resolved in seen_files:
                continue
            seen_files.add(resolved)
            loaded = _load_file(resolved, article_id_for(resolved, base), max_bytes)
            _add_unique(result, loaded, first_place)
    return result


def _add_unique(result: LoadResult, loaded: Loaded, first_place: dict[str, str]) -> None:
    """Move a file's articles into the result, refusing ids already loaded in this call."""
    result.refusals.extend(loaded.refusals)
    for place, article in loaded.items:
        if article.id in first_place:
            reason = f"duplicate id {article.id!r} (already loaded from {first_place[article.id]})"
            result.refusals.append(Refusal(place, reason))
            continue
        first_place[article.id] = place
        result.articles.append(article)


def _load_file(path: Path, path_id: str, max_bytes: int) -> Loaded:
    """Read one supported file, turning every problem with it into a refusal."""
    if has_control_character(path_id) or has_lone_surrogate(path_id):
        reason = "the file's name holds control characters or is not valid UTF-8: rename it"
        return Loaded(refusals=[Refusal(path_id, reason)])
    try:
        data = read_limited(path, max_bytes)
        return READERS[path.suffix.lower()](data, path_id)
    except RefusedInputError as refused:
        return Loaded(refusals=[Refusal(path_id, str(refused))])
    except RecursionError:  # JSON or YAML nested thousands of levels deep
        return Loaded(refusals=[Refusal(path_id, TOO_DEEP)])
