"""A chat killed mid-upload: the real `assistant serve`, SIGKILLed while it indexes an uploaded file of 50
records. The next process that opens the index removes the vectors the killed write left (not only the next
write), and a restarted chat or `assistant index` finishes the upload and says so (before, the file lay in
``uploads/`` unindexed and nothing said so)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from assistant import Assistant, Settings
from assistant.core import RECORDS_FILE
from tests.served import REPO, start, stop

pytestmark = pytest.mark.slow
RECORDS = 50


def records_file(path: Path) -> Path:
    lines = [
        json.dumps(
            {
                "id": f"meldung-{n}",
                "title": f"Meldung {n}",
                "text": f"Meldung Nummer {n}: Im Hamburger Hafen ist ein neuer Containerterminal in Betrieb "
                f"gegangen. Er soll jährlich bis zu {n + 2} Millionen Standardcontainer umschlagen.",
            },
            ensure_ascii=False,
        )
        for n in range(RECORDS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def query(index_dir: Path, sql: str) -> int:
    try:
        with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
            return db.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def killed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Upload the 50 records to a real chat (one article per embedding batch) and SIGKILL it halfway, inside a
    write: after its vectors went to the store, before the record committed them (it is stopped the moment the
    record shows pending ids, then killed). Killed once per module; never opened again (tests get copies)."""
    root = tmp_path_factory.mktemp("killed-upload")
    index_dir = root / "index"
    upload = records_file(root / "meldungen.jsonl")
    server, url = start(index_dir, env={"ASSISTANT_INDEX_BATCH_CHARS": "1"})
    try:
        Client(url, verbose=False).submit([handle_file(str(upload))], api_name="/upload")
        deadline = time.monotonic() + 300
        while not inside_a_write(index_dir):
            assert time.monotonic() < deadline and server.poll() is None, "the upload was not indexed"
        server.send_signal(signal.SIGSTOP)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert 0 < query(index_dir, "SELECT count(*) FROM articles") < RECORDS, "make the upload larger"
    assert (index_dir / "uploads" / "meldungen.jsonl").exists()
    assert query(index_dir, "SELECT count(*) FROM pending") > 0  # the killed write's ids
    return index_dir


def killed_mid_upload(tmp_path: Path, killed_index: Path) -> Path:
    """A private copy of what the killed chat left (files and the store's folder as they were at the kill)."""
    shutil.copytree(killed_index, tmp_path / "index", symlinks=True)
    return tmp_path / "index"


def inside_a_write(index_dir: Path) -> bool:
    """Whether the record shows a write in progress (pending ids) after a few articles were indexed."""
    if not (index_dir / RECORDS_FILE).exists():
        time.sleep(0.05)
        return False
    try:
        with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
            for _ in range(2000):
                row = db.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM pending)").fetchone()
                if row[0] >= 3 and row[1]:
                    return True
    except sqlite3.Error:  # the record is being created
        time.sleep(0.05)
    return False


def no_strays(index_dir: Path) -> None:
    assistant = Assistant(Settings(index_dir=index_dir))
    try:
        assert assistant.vector_store().ids() == assistant.records().all_chunk_ids()
    finally:
        assistant.close()


def test_the_next_process_that_opens_the_index_removes_what_a_killed_upload_wrote(
    tmp_path: Path, killed_index: Path
) -> None:
    index_dir = killed_mid_upload(tmp_path, killed_index)

    status = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "status", "--json", "--index-dir", str(index_dir)],
        capture_output=True, text=True, cwd=REPO, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip

    assert status.returncode == 0, status.stderr
    assert query(index_dir, "SELECT count(*) FROM pending") == 0  # a reader opened it: the write is cleaned up
    no_strays(index_dir)


def test_a_restarted_chat_finishes_the_interrupted_upload_and_says_so(tmp_path: Path, killed_index: Path) -> None:
    index_dir = killed_mid_upload(tmp_path, killed_index)

    server, url = start(index_dir)
    try:
        log = next(tmp_path.glob("serve-*.log"), None)
        assert Client(url, verbose=False).predict(api_name="/status")["articles"] == RECORDS
    finally:
        stop(server)
    said = "\n".join(path.read_text() for path in tmp_path.glob("serve-*.log"))
    assert "finished an interrupted upload of meldungen.jsonl: " in said, said
    assert not list((index_dir / "uploads").glob(".*")), "the upload's journal is settled"
    assert log is not None
    no_strays(index_dir)


def test_assistant_index_finishes_the_interrupted_upload_and_says_so(tmp_path: Path, killed_index: Path) -> None:
    index_dir = killed_mid_upload(tmp_path, killed_index)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Titel: X\n\nEin Satz über den Stadtrat, der am Montag tagte.", encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", str(other), "--json", "--index-dir", str(index_dir)],
        capture_output=True, text=True, cwd=REPO, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "finished an interrupted upload of meldungen.jsonl: " in result.stderr
    assert json.loads(result.stdout)["added"] == 1  # the run itself reports what it was asked to do
    assert query(index_dir, "SELECT count(*) FROM articles") == RECORDS + 1
    assert not list((index_dir / "uploads").glob(".*"))
    no_strays(index_dir)
