"""Which field of a record (a JSON object, a CSV row) holds an article's text, title, date, link, outlet and id.

News archives come with their own field names (FANG-COVID says ``header`` and ``article``, news-please
``maintext`` and ``date_publish``, schema.org ``articleBody`` and ``datePublished``, RSS ``pubDate``): the
common ones are recognised as they are, anything else is named once (``--field text=Artikel``). The names a
file was read with are reported once per file, not per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assistant.errors import InvalidInputError

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "maintext", "articleBody"),
    "title": ("title", "header", "headline"),
    "published": ("published", "date", "date_publish", "datePublished", "pubDate", "publish_date"),
    "url": ("url", "link"),
    "source": ("source", "outlet", "site", "domain"),
    "id": ("id", "guid"),
}
"""Each article field and the record field names read for it, in order of preference."""

ARTICLE_FIELDS = tuple(FIELD_ALIASES)


def parse_field_options(options: Iterable[str]) -> dict[str, str]:
    """``["text=Artikel", "published=Datum"]`` -> ``{"text": "Artikel", "published": "Datum"}``; raises
    `InvalidInputError` for an unknown article field or a missing name (the CLI's ``--field``)."""
    mapping: dict[str, str] = {}
    for option in options:
        article_field, sep, name = option.partition("=")
        if not sep:
            raise InvalidInputError(f"--field takes FIELD=NAME (e.g. text=Artikel), not {option!r}")
        mapping[article_field.strip()] = name.strip()
    return check_fields(mapping)


def check_fields(fields: Mapping[str, str] | None) -> dict[str, str]:
    """An explicit mapping from article fields to record field names, checked: known fields, non-empty names."""
    checked: dict[str, str] = {}
    for article_field, name in (fields or {}).items():
        if article_field not in FIELD_ALIASES:
            known = ", ".join(ARTICLE_FIELDS)
            raise InvalidInputError(f"unknown article field {article_field!r} in the field mapping; known: {known}")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"the field mapping names no record field for {article_field!r}")
        checked[article_field] = name.strip()
    return checked


@dataclass(frozen=True)
class FieldMap:
    """Resolves a record's keys to article fields: an explicit name first, else the first known alias present
    (exact spelling first, then ignoring case: CSV headers say ``Title`` as often as ``title``)."""

    explicit: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, keys: Iterable[str]) -> dict[str, str]:
        """Article field -> the record key it is read from, for the fields this record has."""
        present = list(keys)
        by_lower: dict[str, str] = {}
        for key in present:
            by_lower.setdefault(key.lower(), key)
        exact = set(present)
        chosen: dict[str, str] = {}
        for article_field, aliases in FIELD_ALIASES.items():
            names = (self.explicit[article_field],) if article_field in self.explicit else aliases
            for name in names:
                found = name if name in exact else by_lower.get(name.lower())
                if found is not None:
                    chosen[article_field] = found
                    break
        return chosen

    def missing_text(self) -> str:
        """Why a record has no text, naming what was looked for and how to name another field."""
        if "text" in self.explicit:
            return f"record has no field {self.explicit['text']!r} (named for the text)"
        names = ", ".join(repr(name) for name in FIELD_ALIASES["text"])
        return f"record has no text (expected one of the fields {names}, or name it: --field text=NAME)"


@dataclass
class FieldsUsed:
    """The record fields one file was read with, gathered over its records and reported once."""

    names: dict[str, list[str]] = field(default_factory=dict)
    _seen: set[tuple[tuple[str, str], ...]] = field(default_factory=set)

    def add(self, chosen: Mapping[str, str]) -> None:
        key = tuple(sorted(chosen.items()))
        if key in self._seen:  # one check per record: most files use one mapping throughout
            return
        self._seen.add(key)
        for article_field, name in chosen.items():
            known = self.names.setdefault(article_field, [])
            if name not in known:
                known.append(name)

    def report(self) -> dict[str, str]:
        """Article field -> the record field(s) it came from (``"header"``, or ``"title|header"`` when the
        records of a file differ), in the order of `ARTICLE_FIELDS`."""
        return {f: "|".join(self.names[f]) for f in ARTICLE_FIELDS if f in self.names}
