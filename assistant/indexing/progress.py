"""How an indexing run reports progress: ``progress(done, total, what)``, where `what` is the last article's id or a
`Phase` (a step that counts something else, such as an upgrade of an older index)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Phase(StrEnum):
    """A step of an indexing run that is not its articles: reported on the progress callback in place of an
    article id, so a caller tells them apart by type (``isinstance(what, Phase)``), not by a special string."""

    LANGUAGE_TAGS = "language tags"
    """The chunks of an index made before chunks carried their article's language get it, once."""

    SENTENCE_DAYS = "sentence days"
    """The sentences of an index made before sentences carried the day they speak about get it, once."""


ProgressCallback = Callable[[int, int, str], None]
"""Called as ``progress(done, total, what)`` while articles are indexed (records of a record file count one
each; while a file is streamed, `total` is what was read so far): `what` is the last article's id, or a `Phase`
for a step that counts something else."""
