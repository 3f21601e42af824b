"""Which files a user-given path stands for, and reading one without trusting it.

A folder walk meets symlink loops, FIFOs, sockets, devices, unreadable files and files that vanish while it
runs: each becomes a `Refusal` with its reason, never an exception and never a blocked read. A file is opened
without blocking and checked on the open descriptor (regular file, size), so swapping it for a FIFO between
the walk and the read changes nothing.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from assistant.articles import Refusal
from assistant.errors import RefusedInputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".tsv")
_READ_CHUNK = 1 << 20


def article_id_for(path: Path, id_base: Path) -> str:
    """The id (and `Article.path`) of a file: relative to `id_base` when inside it, else absolute (POSIX)."""
    resolved = safe_resolve(Path(path))
    try:
        relative = resolved.relative_to(safe_resolve(Path(id_base))).as_posix()
    except ValueError:
        return resolved.as_posix()
    return relative if relative != "." else resolved.as_posix()


def place_of(path: Path, id_base: Path) -> str:
    """Where a refused path is shown: like `article_id_for`, but a link is named, not where it points."""
    absolute = Path(os.path.abspath(path))
    if not absolute.name:
        return absolute.as_posix()
    full = safe_resolve(absolute.parent) / absolute.name
    try:
        return full.relative_to(safe_resolve(Path(id_base))).as_posix()
    except ValueError:
        return full.as_posix()


def safe_resolve(path: Path) -> Path:
    """`path.resolve()`, or the absolute path as written when its links loop or cannot be followed."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: "Symlink loop" (Python 3.11)
        return Path(os.path.abspath(path))


def expand(path: Path, base: Path) -> Iterator[Path | Refusal]:
    """The files a user-given path stands for, or a refusal saying why it stands for none."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        yield Refusal(place_of(path, base), _stat_problem(error, "no such file or folder"))
        return
    if stat.S_ISDIR(mode):
        yield from walk(path, base)
    elif not stat.S_ISREG(mode):
        yield Refusal(place_of(path, base), f"not a regular file or folder: {file_kind(mode)}")
    elif path.suffix.lower() in SUPPORTED_SUFFIXES:
        yield path
    else:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        reason = f"unsupported file type {path.suffix or '(no suffix)'!r}; supported: {supported}"
        yield Refusal(place_of(path, base), reason)


def walk(folder: Path, base: Path) -> list[Path | Refusal]:
    """Supported files under `folder` sorted by relative path, and refusals for what cannot be read.

    Hidden files and folders are skipped; links to folders are not followed (they could loop or lead
    anywhere on the disk) but reported.
    """
    found: list[tuple[tuple[str, ...], Path | Refusal]] = []

    def refuse(place: Path, reason: str) -> None:
        found.append((place.relative_to(folder).parts, Refusal(place_of(place, base), reason)))

    def unreadable(error: OSError) -> None:
        refuse(Path(error.filename or folder), _stat_problem(error, "the folder disappeared during the walk"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            if os.path.islink(os.path.join(root, name)):
                refuse(Path(root, name), "a link to a folder: not followed (name the folder itself to index it)")
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                entry = _checked(Path(root, name), base)
                found.append((Path(root, name).relative_to(folder).parts, entry))
    return [entry for _, entry in sorted(found, key=lambda pair: pair[0])]


def _checked(path: Path, base: Path) -> Path | Refusal:
    """A listed file, or why it cannot be read: a symlink loop, a dangling link, a FIFO, a device, ..."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return Refusal(place_of(path, base), _stat_problem(error, "the file disappeared during the walk"))
    if not stat.S_ISREG(mode):
        return Refusal(place_of(path, base), f"not a regular file: {file_kind(mode)}")
    return path


def _stat_problem(error: OSError, missing: str) -> str:
    """A reason for a failed stat or listing, in words."""
    if error.errno == errno.ELOOP:
        return "a symlink loop (links that point at each other)"
    if error.errno == errno.ENOENT and missing:
        return missing if not os.path.islink(error.filename or "") else "a link to a file that does not exist"
    return f"cannot read it: {error.strerror or error}"


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, at most `max_bytes`; raises RefusedInputError with the reason otherwise.

    Opened without blocking (a FIFO put in its place cannot hang the batch) and checked on the descriptor:
    a regular file, not above the limit (a huge file is never read), not empty.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise RefusedInputError(_stat_problem(error, "the file disappeared before it could be read")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedInputError(f"not a regular file: {file_kind(info.st_mode)}")
        if info.st_size > max_bytes:
            raise RefusedInputError(too_big(info.st_size, max_bytes))
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as error:
        raise RefusedInputError(f"cannot read the file: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew after the stat
        raise RefusedInputError(too_big(len(data), max_bytes))
    if not data:
        raise RefusedInputError("file is empty")
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    """Read until end of file or `limit` bytes (files in /proc report size 0 but have content)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        part = os.read(fd, min(_READ_CHUNK, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def too_big(size: int, limit: int) -> str:
    """The too-big reason in human units, with exact bytes when rounding would hide the difference."""
    shown, limit_shown = human_size(size), human_size(limit)
    if shown == limit_shown:
        shown, limit_shown = f"{shown} ({size:,} bytes)", f"{limit_shown} ({limit:,} bytes)"
    return f"file is {shown}, above the {limit_shown} limit (ASSISTANT_MAX_FILE_BYTES)"


def human_size(size: int) -> str:
    """Bytes in decimal units (20_000_000 -> '20.0 MB'), the way file managers show them."""
    for unit, factor in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"
