"""The article: the unit a user adds, and the text every quote's offsets point into."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from assistant.decoding import has_control_character, has_lone_surrogate
from assistant.errors import InvalidArticleError

MAX_ID_CHARS = 1000  # an id is copied into every chunk's metadata: a megabyte id would be a megabyte per chunk


@dataclass(frozen=True)
class Article:
    """One news article as stored: its full text is what quote offsets index into.

    `id` comes from where the article came from (a path, a URL, or an id the caller gives), never from
    the order of indexing. `published` is an ISO date (``YYYY-MM-DD``) or ``None``.
    """

    id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str | None = None
    path: str = ""  # the file it was read from, if any (for --sync and for people)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidArticleError("an article needs a non-empty string id")
        if len(self.id) > MAX_ID_CHARS:
            raise InvalidArticleError(f"the id is {len(self.id):,} characters long, above {MAX_ID_CHARS:,}")
        if has_control_character(self.id) or has_lone_surrogate(self.id):
            raise InvalidArticleError(f"the id {self.id!a} holds control characters or invalid Unicode")
        if not isinstance(self.text, str) or not self.text.strip():
            raise InvalidArticleError(f"article {self.id!r} has no text")
        fields = {"text": self.text, "title": self.title, "source": self.source, "url": self.url, "path": self.path}
        for name, value in fields.items():
            if isinstance(value, str) and has_lone_surrogate(value):
                raise InvalidArticleError(f"article {self.id!r}: its {name} is not valid Unicode (a lone surrogate)")

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index, so any change (text or metadata) re-indexes."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Refusal:
    """A file or record that was not indexed, and why (shown to the user, never raised)."""

    path: str
    reason: str


@dataclass
class LoadResult:
    """What reading some paths gave: the articles, and the refusals with their reasons."""

    articles: list[Article] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    """For each record file (JSON, JSONL, CSV): article field -> the record field it was read from."""
