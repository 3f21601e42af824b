"""Uploaded files on their way to the indexer: limits first, then a place in ``uploads/`` that can be undone.

A refused file leaves nothing behind: not in ``uploads/`` (a refused re-upload puts the previous file back,
so the index and the folder still agree) and not in Gradio's temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.files import SUPPORTED_SUFFIXES
from assistant.phrases import phrase
from assistant.settings import Settings


def upload_hint(language: str) -> str:
    """What to upload to an empty index, naming every type the loader reads (the phrase leaves the list to
    the ingest stage, which owns it)."""
    return phrase(language, "no_index", types=", ".join(SUPPORTED_SUFFIXES))


@dataclass(frozen=True)
class UploadLimits:
    """How many files one upload may hold and how large each may be."""

    max_files: int
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(settings.max_upload_files, settings.max_upload_bytes)


def screen(paths: Sequence[Path], limits: UploadLimits) -> list[str | None]:
    """Per file, why it is refused before indexing (None: it may be indexed)."""
    reasons: list[str | None] = []
    for number, path in enumerate(paths):
        if number >= limits.max_files:
            reasons.append(
                f"only {limits.max_files} files per upload (ASSISTANT_MAX_UPLOAD_FILES): upload this one separately"
            )
            continue
        try:
            size = path.stat().st_size
        except OSError as error:
            reasons.append(f"the uploaded file cannot be read: {error.strerror or error}")
            continue
        too_large = size > limits.max_bytes
        reasons.append(
            f"the file has {megabytes(size)}; an upload may have at most {megabytes(limits.max_bytes)} "
            "(ASSISTANT_MAX_UPLOAD_BYTES)"
            if too_large
            else None
        )
    return reasons


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@dataclass(frozen=True)
class Placement:
    """A file copied into the uploads folder, with the file it replaced kept aside until the outcome is known."""

    target: Path
    previous: Path | None

    def keep(self) -> None:
        """The new file stays; the replaced one goes."""
        if self.previous is not None:
            self.previous.unlink(missing_ok=True)

    def undo(self) -> None:
        """The new file goes; the replaced one (if any) comes back."""
        self.target.unlink(missing_ok=True)
        if self.previous is not None:
            os.replace(self.previous, self.target)


def place(source: Path, target: Path) -> Placement:
    """Copy `source` to `target`, moving an existing `target` aside (a hidden name the indexer skips)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = target.with_name(f".{target.name}.previous")
    if target.exists():
        os.replace(target, previous)
    else:
        previous.unlink(missing_ok=True)
    placement = Placement(target, previous if previous.exists() else None)
    try:
        shutil.copyfile(source, target)
    except OSError:
        placement.undo()
        raise
    return placement


def discard_temporary(paths: Iterable[Path], temporary_root: Path) -> None:
    """Delete Gradio's copies of uploaded files (only inside its upload folder) and their emptied folders."""
    root = temporary_root.resolve()
    for path in paths:
        try:
            resolved = path.resolve()
        except OSError:
            continue
        if not resolved.is_relative_to(root) or resolved == root:
            continue
        with contextlib.suppress(OSError):
            resolved.unlink(missing_ok=True)
        folder = resolved.parent
        if folder != root and folder.is_relative_to(root):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: another upload of the same content may still be there
