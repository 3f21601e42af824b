"""Prompts for the language model, kept as text files in ``prompts/`` so they can be read and changed
without touching code.

A file is the system message, a line ``=== user ===``, then the user message; ``{name}`` is a variable
(a literal brace is written ``{{`` or ``}}``). Each prompt's variables are checked on load: a missing or
unknown one is a `PromptError` naming the file, not a failure in the middle of a question.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from assistant.errors import PromptError

__all__ = ["PROMPTS_DIR", "REQUIRED", "USER_SEPARATOR", "load_prompt"]

PROMPTS_DIR = Path(str(resources.files("assistant").joinpath("bundled", "prompts")))
"""The repository's ``prompts/``, package data of an installed wheel (``assistant/bundled/prompts`` links to it)."""
USER_SEPARATOR = "=== user ==="
REQUIRED = {
    "answer": frozenset({"question", "passages", "language"}),
    "rewrite": frozenset({"question", "history"}),
}


def load_prompt(name: str, directory: Path | None = None) -> ChatPromptTemplate:
    """The chat prompt ``<directory>/<name>.txt`` (default: the project's ``prompts/``), validated."""
    path = Path(directory or PROMPTS_DIR) / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PromptError(f"cannot read the prompt file {path}: {error.strerror or error}") from error
    system, separator, user = text.partition(USER_SEPARATOR)
    if not separator:
        raise PromptError(f"the prompt file {path} has no line {USER_SEPARATOR!r} between system and user message")
    found = _variables(path, system) | _variables(path, user)
    required = REQUIRED.get(name, frozenset())
    missing = sorted(required - found)
    if missing:
        raise PromptError(f"the prompt file {path} lacks the variable(s) {', '.join('{' + m + '}' for m in missing)}")
    unknown = sorted(found - required) if name in REQUIRED else []
    if unknown:
        raise PromptError(
            f"the prompt file {path} uses unknown variable(s) {', '.join('{' + u + '}' for u in unknown)} "
            f"(known: {', '.join(sorted(required))}; write literal braces as {{{{ and }}}})"
        )
    return ChatPromptTemplate.from_messages([("system", system.strip()), ("human", user.strip())])


def _variables(path: Path, text: str) -> set[str]:
    try:
        return set(PromptTemplate.from_template(text).input_variables)
    except (ValueError, KeyError) as error:
        raise PromptError(f"the prompt file {path} is not a valid template: {error}") from error
