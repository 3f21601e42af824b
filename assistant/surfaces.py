"""A package's public surface, imported on first use (PEP 562).

The top package and every stage offer a handful of names without importing the modules behind them: the CLI
starts faster, importing one module of a stage loads none of its siblings, and no import cycle runs through an
``__init__``. Each ``__init__`` declares where its names live and takes its ``__getattr__``/``__dir__`` from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_surface(
    package: str, where: Mapping[str, str], namespace: Mapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``, whose names live in the modules ``where``
    says; ``namespace`` is the package's own ``globals()``."""

    def attribute(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    def names() -> list[str]:
        return sorted([*namespace, *where])

    return attribute, names
