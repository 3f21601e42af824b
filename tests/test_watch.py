"""`assistant watch` as a user runs it: a real process following a folder, SIGKILL mid-batch, then a restart."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.core import RECORDS_FILE
from assistant.watching import parse_every
from tests.helpers import cli, run_cli

pytestmark = pytest.mark.slow

STORY = (
    "Im Hamburger Hafen ist am Mittwoch ein neuer Containerterminal in Betrieb gegangen. Er soll jährlich bis zu "
    "zwei Millionen Standardcontainer umschlagen.\n\nDer Bau dauerte vier Jahre und kostete rund 800 Millionen Euro."
)


def _ids(index_dir: Path) -> set[str]:
    try:
        with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
            return {row[0] for row in db.execute("SELECT id FROM articles")}
    except sqlite3.Error:
        return set()


def _texts(index_dir: Path) -> dict[str, str]:
    with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
        return dict(db.execute("SELECT id, text FROM articles"))


def _until(condition: Callable[[], bool], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the watcher did not catch up in time"
        time.sleep(0.2)


def _waits_for_lock(pid: int, lock: Path) -> bool:
    """Whether process `pid` is blocked on the flock of `lock` (Linux lists blocked waiters in /proc/locks as
    ``N: -> FLOCK ADVISORY WRITE pid major:minor:inode ...``)."""
    wanted = ["->", "FLOCK", "ADVISORY", "WRITE", str(pid), str(lock.stat().st_ino)]
    for line in Path("/proc/locks").read_text(encoding="ascii").splitlines():
        fields = line.split()
        if len(fields) > 6 and [*fields[1:6], fields[6].rsplit(":", 1)[-1]] == wanted:
            return True
    return False


def _watch(folder: Path, index_dir: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("watch", str(folder), "--index-dir", str(index_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **env},
        preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    """Ctrl-C stops the watcher even when the tests run in the background (where the shell starts programs
    with SIGINT ignored, and a child inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    news.mkdir()
    (news / "start.txt").write_text("Titel: Start\n\n" + STORY, encoding="utf-8")
    return news


@pytest.fixture
def watcher(folder: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = _watch(folder, tmp_path / "index")
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_files_created_changed_and_deleted_reach_the_index(folder: Path, tmp_path: Path, watcher) -> None:
    index_dir = tmp_path / "index"
    _until(lambda: "news/start.txt" in " ".join(_ids(index_dir)))

    (folder / "neu.txt").write_text(STORY.replace("Hamburger", "Bremer"), encoding="utf-8")
    _until(lambda: any(i.endswith("neu.txt") for i in _ids(index_dir)))
    (folder / "neu.txt").write_text(STORY.replace("Hamburger", "Kieler"), encoding="utf-8")
    _until(lambda: any("Kieler" in text for text in _texts(index_dir).values()))
    (folder / "start.txt").unlink()
    _until(lambda: not any(i.endswith("start.txt") for i in _ids(index_dir)))

    question = "In welchem Hafen ging ein neuer Containerterminal in Betrieb?"
    answer = run_cli("ask", question, "--json", "--index-dir", str(index_dir), timeout=300)
    assert "Kieler Hafen" in json.loads(answer.stdout)["quotes"][0]["text"]
    watcher.send_signal(signal.SIGINT)
    lines = watcher.stdout.read().splitlines()
    assert watcher.wait(timeout=30) == 130
    assert [line.split(" ", 1)[1].split(" ")[0] for line in lines[1:]] == ["added", "updated", "deleted"]


def test_a_killed_watcher_is_completed_by_its_next_start(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    for n in range(12):
        (folder / f"{n:02}.txt").write_text(f"Meldung {n}.\n\n" + STORY.replace("800", str(100 + n)), "utf-8")
    first = _watch(folder, index_dir, ASSISTANT_INDEX_BATCH_CHARS="1")  # one article per batch: a kill lands inside
    _until(lambda: len(_ids(index_dir)) >= 3)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert 3 <= len(_ids(index_dir)) < 13

    second = _watch(folder, index_dir)
    try:
        _until(lambda: len(_ids(index_dir)) == 13)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    with sqlite3.connect(index_dir / RECORDS_FILE) as db:
        assert db.execute("SELECT count(*) FROM pending").fetchone()[0] == 0


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1.5m", 90)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="--every"):
        parse_every(text)


def test_a_file_deleted_before_the_watcher_got_the_lock_is_gone_not_refused(folder: Path, tmp_path: Path) -> None:
    """Another writer holds the index while a file is created and deleted again: the watcher, once it gets the
    lock, says the file is gone (before: "refused … no such file or folder")."""
    from assistant.indexing.shared_store import writer_turn

    index_dir = tmp_path / "index"
    watcher = _watch(folder, index_dir)
    try:
        _until(lambda: "news/start.txt" in " ".join(_ids(index_dir)))
        assert watcher.stdout is not None
        started = watcher.stdout.readline()
        assert "start:" in started
        with writer_turn(index_dir):  # as a running `assistant index` holds it
            (folder / "kurz.txt").write_text(STORY, encoding="utf-8")
            _until(lambda: _waits_for_lock(watcher.pid, index_dir / ".lock"), 120)  # the watcher saw the file
            (folder / "kurz.txt").unlink()
        line = watcher.stdout.readline()
        assert line.split(" ", 1)[1].strip() == f"gone {folder / 'kurz.txt'} (deleted before it could be indexed)"
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=30)
