"""The parts of the docs that are read from the code, so they cannot drift from it (run through cogapp).

`scripts/docs` rewrites them (``cog -r``), `scripts/test` fails when one is stale (``cog --check``). Each
function prints Markdown; the pages call them between ``[[[cog`` and ``[[[end]]]`` markers.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Literal, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from assistant.cli import build_parser
from assistant.settings import ENV_PREFIX, Settings

REPO = Path(__file__).resolve().parent.parent
HELP_COLUMNS = "100"
"""argparse wraps help to the terminal's width: a fixed one keeps the generated text the same everywhere."""


def settings_table() -> str:
    """Every field of `Settings`: its variable, default, accepted values and description."""
    rows = ["| variable | default | values | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        cells = (f"`{ENV_PREFIX}{name.upper()}`", _default(field), _values(field), field.description or "")
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "computed (see meaning)"
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        value = value.value
    return f"`{value}`"


def _values(field: FieldInfo) -> str:
    """The type a user writes, with its bounds: what the settings check refuses before any work."""
    annotation = field.annotation
    args = tuple(arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Literal:
        return ", ".join(f"`{arg}`" for arg in get_args(annotation))
    if len(args) == 1:  # Optional[X]
        annotation = args[0]
        if get_origin(annotation) is Literal:
            return ", ".join(f"`{arg}`" for arg in get_args(annotation))
    kind = {int: "whole number", float: "number", bool: "`true` or `false`", str: "text", Path: "path"}.get(
        annotation, "secret text" if annotation is SecretStr else str(annotation)
    )
    bounds = []
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Gt):
            bounds.append(f"> {rule.gt}")
        elif isinstance(rule, annotated_types.Ge):
            bounds.append(f"≥ {rule.ge}")
        elif isinstance(rule, annotated_types.Lt):
            bounds.append(f"< {rule.lt}")
        elif isinstance(rule, annotated_types.Le):
            bounds.append(f"≤ {rule.le}")
    return " ".join([kind, ", ".join(bounds)]).strip()


def cli_help() -> str:
    """``assistant --help`` and every subcommand's ``--help``, as argparse prints them."""
    os.environ["COLUMNS"] = HELP_COLUMNS
    parts = []
    for prog, parser in _parsers(build_parser()):
        parts += [f"### `{prog} --help`", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(parts).rstrip()


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield parser.prog, parser
    for action in parser._actions:  # argparse keeps subcommands only in its private action list
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def module_map() -> str:
    """Every module of the package, folder by folder, with the first sentence of its docstring."""
    package = REPO / "assistant"
    lines = []
    for folder in sorted({path.parent for path in package.rglob("*.py")}, key=_folder_order):
        relative = folder.relative_to(REPO).as_posix()
        lines += ["", f"**`{relative}/`** {_summary(folder / '__init__.py')}", ""]
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                lines.append(f"- `{module.name}`: {_summary(module)}")
    return "\n".join(lines).strip()


def _folder_order(folder: Path) -> tuple[int, str]:
    """The kernel first, then the stages in the order an article travels, then anything new by name."""
    order = ["assistant", "ingest", "formats", "embeddings", "indexing", "answering", "serve"]
    return (order.index(folder.name) if folder.name in order else len(order), folder.as_posix())


def _summary(module: Path) -> str:
    docstring = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) if module.exists() else None
    if not docstring:
        return "(no docstring)"
    paragraph = " ".join(docstring.split("\n\n")[0].split())
    sentence = re.match(r"(.+?[.!?])(?=\s|$)", paragraph)
    return sentence.group(1) if sentence else paragraph
