"""Keep the index current by itself: watched folders are indexed as files change, feeds polled on a schedule.

`watchfiles` reports created, changed and deleted files (debounced, so an editor's save-rename-save is one
change). Each batch is one indexing run, so the existing crash safety holds: a watcher killed at any moment
leaves an index that its next start completes (it begins with a full pass over the folders and feeds).
The watcher is just another writer: it queues on the index's write lock beside the CLI and the chat.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.indexing.indexer import IndexReport
from assistant.ingest.files import SUPPORTED_SUFFIXES, place_of

Log = Callable[[str], None]


@dataclass(frozen=True)
class WatchPlan:
    """What to watch: folders (indexed as they change) and feeds (polled every `every` seconds)."""

    folders: tuple[Path, ...]
    feeds: tuple[str, ...] = ()
    every: float = 900.0
    fields: Mapping[str, str] = field(default_factory=dict)  # record fields to read (``--field``)


def parse_every(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h`` -> seconds (at least one second)."""
    value = text.strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(value[-1:], 1)
    number = value[:-1] if value[-1:] in "smh" else value
    try:
        seconds = float(number) * factor
    except ValueError:
        raise ValueError(f"--every takes a duration like 90s, 15m or 2h, not {text!r}") from None
    if seconds < 1:
        raise ValueError(f"--every must be at least one second, not {text!r}")
    return seconds


def watch(assistant: Assistant, plan: WatchPlan, log: Log, stop: threading.Event | None = None) -> None:
    """Index the folders and feeds, then follow their changes until `stop` is set (or Ctrl+C)."""
    import watchfiles

    stop = stop or threading.Event()
    if not plan.folders:
        next_poll = _poll_feeds(assistant, plan, log)
        while not stop.wait(max(0.0, next_poll - time.monotonic())):
            next_poll = _poll_feeds(assistant, plan, log)
        return
    changes_of = watchfiles.watch(
        *plan.folders, watch_filter=_article_file, stop_event=stop, yield_on_timeout=True, rust_timeout=1000
    )
    next(changes_of)  # the watch is set up now: what changes during the first pass arrives in the next batch
    _run(assistant, log, "start", lambda: assistant.index(list(plan.folders), sync=True, fields=plan.fields))
    next_poll = _poll_feeds(assistant, plan, log)
    for changes in changes_of:
        if changes:
            _apply(assistant, changes, log, plan.fields)
        if plan.feeds and time.monotonic() >= next_poll:
            next_poll = _poll_feeds(assistant, plan, log)


def _article_file(change: object, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and Path(path).suffix.lower() in SUPPORTED_SUFFIXES


def _apply(
    assistant: Assistant, changes: Collection[tuple[object, str]], log: Log, fields: Mapping[str, str] | None = None
) -> None:
    """Index the files that exist now, remove the articles of those that are gone."""
    paths = sorted({Path(path) for _, path in changes})
    present = [path for path in paths if path.is_file()]
    gone = [path for path in paths if not path.exists()]
    if present:
        _run(assistant, log, "changed", lambda: _changed(assistant, present, log, fields))
    for path in gone:
        _run(assistant, log, f"deleted {path}", _deletion(assistant, path))


def _changed(
    assistant: Assistant, present: list[Path], log: Log, fields: Mapping[str, str] | None = None
) -> IndexReport:
    """Index the changed files; one deleted before the run got the write lock is gone, not refused (its deletion
    arrives as a change of its own)."""
    report = assistant.index(present, fields=fields)
    base = assistant.index_dir.resolve().parent
    vanished = {place_of(path, base): path for path in present if not path.exists()}
    for refusal in [r for r in report.refused if r.path in vanished]:
        report.refused.remove(refusal)
        log(f"gone {vanished[refusal.path]} (deleted before it could be indexed)")
    return report


def _deletion(assistant: Assistant, path: Path) -> Callable[[], IndexReport]:
    """The step that removes the articles read from `path`, now gone."""
    return lambda: IndexReport(deleted=assistant.delete_path(path))


def _poll_feeds(assistant: Assistant, plan: WatchPlan, log: Log) -> float:
    """Poll every feed once; returns when the next poll is due."""
    if plan.feeds:
        _run(assistant, log, "feeds", lambda: assistant.index(list(plan.feeds), allow_private=True))
    return time.monotonic() + plan.every


def _run(assistant: Assistant, log: Log, what: str, step: Callable[[], IndexReport | None]) -> None:
    """One indexing step, logged on one line; a failure is logged and the watcher goes on."""
    try:
        report = step()
    except AssistantError as error:
        log(f"{what}: error: {error}")
        return
    if report is None:
        return
    if what == "start":
        log(f"{what}: {summary(report)}")
        return
    for kind, ids in (("added", report.added), ("updated", report.updated), ("deleted", report.deleted)):
        for article_id in ids:
            log(f"{kind} {article_id}")
    for refusal in report.refused:
        log(f"refused {refusal.path}: {refusal.reason}")


def summary(report: IndexReport) -> str:
    """``2 added, 1 updated, 0 unchanged, 0 deleted, 1 refused (path: reason)``."""
    counts = report.to_dict()
    line = ", ".join(f"{counts[key]} {key}" for key in ("added", "updated", "unchanged", "deleted"))
    line += f", {len(report.refused)} refused"
    if report.refused:
        line += " (" + "; ".join(f"{r.path}: {r.reason}" for r in report.refused[:3]) + ")"
    return line


def folders_of(paths: Sequence[str]) -> tuple[Path, ...]:
    """The folders to watch, checked: a missing one is an error before anything starts."""
    folders = tuple(Path(p) for p in paths)
    for folder in folders:
        if not folder.is_dir():
            raise ValueError(f"{folder} is not a folder")
    return folders
