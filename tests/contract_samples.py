"""What the contract tests share with other tests: a few articles, their question, and the check that an
implementation keeps a protocol."""

from __future__ import annotations

import inspect

from assistant import Article

ARTICLES = [
    Article(
        id="talks",
        title="Gespräche",
        source="dpa",
        published="2024-03-01",
        text="Die Türkei bot an, die Gespräche zwischen Russland und der Ukraine zu vermitteln. "
        "Präsident Erdoğan sagte, Istanbul sei bereit, Gastgeber zu sein.",
    ),
    Article(
        id="rhine",
        title="Niedrigwasser",
        source="Reuters",
        published="2024-08-20",
        text="Die Schiffe auf dem Rhein bei Kaub trugen nur ein Drittel ihrer üblichen Ladung. "
        "Der Pegel fiel am Montag auf 78 Zentimeter.",
    ),
    Article(
        id="strike",
        title="Bahnstreik",
        source="dpa",
        published="2024-01-10",
        text="Die Lokführer streiken ab Montag. Die Bahn nennt den Streik unverhältnismäßig.",
    ),
]
QUESTION = "Wer sollte die Gespräche vermitteln?"


def assert_keeps(protocol: type, implementation: object) -> None:
    """Every member the Protocol names is there, and every method takes the Protocol's parameters by name."""
    members = [name for name in vars(protocol) if not name.startswith("_")]
    members += [name for name in getattr(protocol, "__annotations__", {}) if not name.startswith("_")]
    if "__call__" in vars(protocol):
        members.append("__call__")
    for name in members:
        assert hasattr(implementation, name), f"{type(implementation).__name__} lacks {name}"
        wanted = getattr(protocol, name, None)
        if inspect.isfunction(wanted):
            given = inspect.signature(getattr(implementation, name)).parameters
            expected = [p for p in inspect.signature(wanted).parameters if p != "self"]
            assert [p for p in expected if p not in given] == [], f"{type(implementation).__name__}.{name}"
