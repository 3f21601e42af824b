"""The table of user-facing phrases: every key in every language, the same placeholders, one home."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from assistant.ingest.files import SUPPORTED_SUFFIXES
from assistant.phrases import FALLBACK, LANGUAGE_NAMES, LANGUAGES, PHRASES, names_in, phrase, phrases_for
from assistant.serve.uploads import upload_hint

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key() -> None:
    assert set(PHRASES) == set(LANGUAGES) == set(LANGUAGE_NAMES)
    keys = set().union(*(PHRASES[language] for language in LANGUAGES))
    for language in LANGUAGES:
        assert set(PHRASES[language]) == keys, f"{language} lacks {sorted(keys - set(PHRASES[language]))}"
        assert all(text.strip() for text in PHRASES[language].values())
        assert set(LANGUAGE_NAMES[language]) == set(LANGUAGES)


@pytest.mark.parametrize("key", sorted(PHRASES[FALLBACK]))
def test_every_translation_fills_the_same_placeholders(key: str) -> None:
    assert len({frozenset(_fields(PHRASES[language][key])) for language in LANGUAGES}) == 1


def test_phrase_fills_placeholders_and_falls_back_to_german() -> None:
    assert phrase("en", "quotes_dropped", n=2).startswith("2 of the language model's quotes")
    assert phrase("de", "minutes_ago", n=5) == "vor 5 Min."
    assert phrases_for("fr") is PHRASES["de"] and names_in("fr") == LANGUAGE_NAMES["de"]
    assert phrase("fr", "sources") == "Quellen"


def test_the_upload_hint_names_every_supported_type() -> None:
    for language in LANGUAGES:
        assert all(suffix in upload_hint(language) for suffix in SUPPORTED_SUFFIXES)


def test_no_other_module_keeps_its_own_language_table() -> None:
    """A dict keyed by language outside phrases.py is a phrase that has drifted out of the table."""
    keyed = re.compile(r"""\{\s*["'](?:de|en)["']\s*:""")
    strays = [
        path.name for path in PACKAGE.glob("*.py") if path.name != "phrases.py" and keyed.search(path.read_text())
    ]
    assert strays == []
