"""Uploaded files on their way to the indexer: limits first, then a place in ``uploads/`` that can be undone.

A refused file leaves nothing behind: not in ``uploads/`` (a refused re-upload puts the previous file back,
so the index and the folder still agree) and not in Gradio's temporary folder.

An upload in progress is journaled: ``.NAME.uploading`` beside it, locked (flock) while the upload runs. A chat
killed mid-upload leaves the marker unlocked, so the next chat or ``assistant index`` finds it
(`finish_interrupted`): the file is indexed then (or, refused, the previous one put back), never left unindexed
without a word. The copy itself lands under a hidden name first and is renamed, so a file in ``uploads/`` is
always whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.indexing.indexer import IndexReport
from assistant.ingest.files import SUPPORTED_SUFFIXES
from assistant.phrases import phrase
from assistant.settings import Settings

MARKER_SUFFIX = ".uploading"


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
    """A file copied into the uploads folder, with the file it replaced kept aside until the outcome is known;
    its journal marker (held locked through `lock`) goes when the outcome is settled."""

    target: Path
    previous: Path | None
    marker: Path
    lock: int

    def keep(self) -> None:
        """The new file stays; the replaced one goes."""
        if self.previous is not None:
            self.previous.unlink(missing_ok=True)
        self._settled()

    def undo(self) -> None:
        """The new file goes; the replaced one (if any) comes back."""
        self.target.unlink(missing_ok=True)
        if self.previous is not None and self.previous.exists():
            os.replace(self.previous, self.target)
        self._settled()

    def release(self) -> None:
        """Leave the marker for a later process (the outcome is not known)."""
        os.close(self.lock)

    def _settled(self) -> None:
        self.marker.unlink(missing_ok=True)
        os.close(self.lock)


def _hidden(target: Path, what: str) -> Path:
    return target.with_name(f".{target.name}.{what}")


def place(source: Path, target: Path) -> Placement:
    """Copy `source` to `target`, moving an existing `target` aside (a hidden name the indexer skips), with the
    upload journaled until `keep` or `undo`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    marker = _hidden(target, MARKER_SUFFIX.lstrip("."))
    lock = os.open(marker, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the same name uploaded twice at once: one after the other
    previous = _hidden(target, "previous")
    if target.exists():
        os.replace(target, previous)
    else:
        previous.unlink(missing_ok=True)
    placement = Placement(target, previous if previous.exists() else None, marker, lock)
    partial = _hidden(target, "partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)  # whole or not there
    except OSError:
        partial.unlink(missing_ok=True)
        placement.undo()
        raise
    return placement


def interrupted(uploads_dir: Path) -> Iterator[Placement]:
    """The uploads a killed process left unsettled (their markers unlocked), each claimed for settling."""
    if not uploads_dir.is_dir():
        return
    for marker in sorted(uploads_dir.glob(f".*{MARKER_SUFFIX}")):
        try:
            lock = os.open(marker, os.O_RDWR)
        except OSError:
            continue  # settled meanwhile
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)  # an upload running now in another process
            continue
        if not marker.exists():  # settled between the listing and the lock
            os.close(lock)
            continue
        target = marker.with_name(marker.name[1 : -len(MARKER_SUFFIX)])
        previous = _hidden(target, "previous")
        _hidden(target, "partial").unlink(missing_ok=True)
        yield Placement(target, previous if previous.exists() else None, marker, lock)


def finish_interrupted(uploads_dir: Path, index: Callable[[list[Path]], IndexReport]) -> list[str]:
    """Settle what killed uploads left in `uploads_dir`: each file there is indexed now (kept when indexed, the
    previous file put back when refused); one line each on what was done."""
    said = []
    for left in interrupted(uploads_dir):
        name = left.target.name
        if not left.target.exists():
            left.undo()
            back = "the previous file is back" if left.previous else "nothing was kept"
            said.append(f"an interrupted upload of {name} never arrived: {back}")
            continue
        try:
            report = index([left.target])
        except BaseException:
            left.release()
            raise
        done = len(report.added) + len(report.updated) + len(report.unchanged)
        if done:
            left.keep()
            said.append(
                f"finished an interrupted upload of {name}: {len(report.added)} added, {len(report.updated)} "
                f"updated, {len(report.unchanged)} unchanged, {len(report.refused)} refused"
            )
        else:
            left.undo()
            reasons = "; ".join(r.reason for r in report.refused[:3]) or "nothing to index"
            said.append(f"an interrupted upload of {name} was refused ({reasons}); it was taken out again")
    return said


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
