"""Reading articles in: files, folders, record files, web pages and feeds, into `Article`s or refusals.

The names below are this stage's public surface, imported on first use (PEP 562): importing one module of the
stage does not load the others (the CLI starts faster, and no import cycle runs through this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.ingest.fetching import FetchPolicy
    from assistant.ingest.files import SUPPORTED_SUFFIXES, article_id_for
    from assistant.ingest.loading import DEFAULT_MAX_BYTES, load_paths
    from assistant.ingest.web import WebReader, is_url

_WHERE = {
    "load_paths": "assistant.ingest.loading",
    "DEFAULT_MAX_BYTES": "assistant.ingest.loading",
    "SUPPORTED_SUFFIXES": "assistant.ingest.files",
    "article_id_for": "assistant.ingest.files",
    "WebReader": "assistant.ingest.web",
    "is_url": "assistant.ingest.web",
    "FetchPolicy": "assistant.ingest.fetching",
}

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "FetchPolicy",
    "WebReader",
    "article_id_for",
    "is_url",
    "load_paths",
]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
