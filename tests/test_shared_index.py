"""Many processes, one index folder: a chat server answers in a loop while CLI writers index into its folder.

Real processes throughout: `assistant serve`, `assistant index` (also SIGKILLed halfway), clients asking
through gradio_client from threads. Every answer must come without an error, quote the stored article
verbatim at its offsets, and new articles must be answered by the running server within seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, Settings
from assistant.core import RECORDS_FILE
from tests.helpers import Askers, assert_quotes_verify, chat_client, cli, run_cli, serve_process, wait_for_answer
from tests.samples import question_for, write_towns

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def assert_store_matches_record(index_dir: Path) -> None:
    """Chroma holds exactly the record's chunks, nothing is pending."""
    reader = Assistant(Settings(index_dir=index_dir))
    try:
        records = reader.records()
        assert reader.vector_store().ids() == records.all_chunk_ids()
        assert records.pending() == set()
    finally:
        reader.close()


def records_count(index_dir: Path) -> int:
    try:
        with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_writer(folder: Path, index_dir: Path, cwd: Path) -> subprocess.Popen[str]:
    """`assistant index` with one article per write, so readers see many changes."""
    return subprocess.Popen(
        cli("index", str(folder), "--index-dir", str(index_dir), "--json"),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ASSISTANT_INDEX_BATCH_CHARS": "1", "PYTHONWARNINGS": "ignore"},
    )


FIRST, QUEUED_A, QUEUED_B, KILLED = range(0, 3), range(3, 6), range(6, 9), range(9, 14)


def test_server_answers_while_cli_writers_queue_and_one_is_killed(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    run_cli("index", str(write_towns(tmp_path / "first", FIRST)), "--index-dir", str(index_dir), cwd=tmp_path)
    folders = {
        name: write_towns(tmp_path / name, numbers)
        for name, numbers in (("a", QUEUED_A), ("b", QUEUED_B), ("killed", KILLED))
    }
    with serve_process(index_dir, cwd=tmp_path) as server:
        askers = Askers(server.url, [question_for(n) for n in range(KILLED.stop)])
        askers.start()
        askers.wait_for(askers.threads)  # asking throughout: before the writers start

        first, second = (start_writer(folders[name], index_dir, tmp_path) for name in ("a", "b"))
        outputs = {first.pid: first.communicate(timeout=600), second.pid: second.communicate(timeout=600)}
        assert first.returncode == second.returncode == 0, outputs
        waited = [(pid, err) for pid, (_, err) in outputs.items() if "waiting for another indexing run" in err]
        assert len(waited) == 1, outputs  # the second writer queued and said for whom
        other = first.pid if waited[0][0] == second.pid else second.pid
        assert f"waiting for another indexing run (pid {other})" in waited[0][1]

        killed = start_writer(folders["killed"], index_dir, tmp_path)
        deadline = time.monotonic() + 300
        while records_count(index_dir) < QUEUED_B.stop + 1 and time.monotonic() < deadline and killed.poll() is None:
            time.sleep(0.05)
        assert killed.poll() is None, "the writer finished before it could be killed"
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
        assert QUEUED_B.stop < records_count(index_dir) < KILLED.stop
        askers.wait_for(askers.threads)  # questions go on against what the killed writer left

        rerun = json.loads(
            run_cli("index", str(folders["killed"]), "--index-dir", str(index_dir), "--json", cwd=tmp_path).stdout
        )
        assert rerun["added"] + rerun["unchanged"] == len(KILLED)
        client = chat_client(server.url)
        for n in range(KILLED.stop):  # a deadline, not a wait: generous for a loaded machine (it failed at load 19)
            wait_for_answer(client, n, timeout=120)
        askers.stop()
        assert askers.errors == []
        assert len(askers.answers) > 20
        assert_quotes_verify(index_dir, askers.answers)
    assert_store_matches_record(index_dir)


def test_an_upload_waiting_for_another_writer_blocks_no_question(tmp_path: Path, embeddings: Any) -> None:
    from assistant.indexing.shared_store import writer_turn
    from assistant.serve.chat_app import ChatApp, word_pieces

    assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings)
    assistant.index([write_towns(tmp_path / "first", range(0, 2))])
    chat = ChatApp(assistant, uploads_dir=None, pieces=word_pieces)
    upload = write_towns(tmp_path / "upload", range(2, 3)) / "town-02.md"
    said: list[str] = []
    outcome: list[Any] = []
    release = threading.Event()
    holding = threading.Event()

    def other_writer() -> None:
        with writer_turn(assistant.index_dir):
            holding.set()
            release.wait(timeout=120)

    def progress(fraction: float, desc: str = "") -> None:
        said.append(desc)

    holder = threading.Thread(target=other_writer)
    holder.start()
    holding.wait(timeout=30)
    uploading = threading.Thread(target=lambda: outcome.append(chat.upload([str(upload)], progress)))
    uploading.start()
    deadline = time.monotonic() + 30
    while not any("waiting for another indexing run" in text for text in said) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(f"waiting for another indexing run (pid {os.getpid()})" in text for text in said), said
    started = time.monotonic()
    answer = chat.ask_api(question_for(0))  # answered while the upload waits
    assert time.monotonic() - started < 20 and answer["quotes"]
    assert uploading.is_alive() and not outcome
    release.set()
    uploading.join(timeout=120)
    holder.join(timeout=30)
    assert outcome and "data-status='added'" in outcome[0][0]  # the per-file report says: added
    assert chat.ask_api(question_for(2))["quotes"][0]["article_id"].endswith("town-02.md")
    assistant.close()


def test_a_waiting_writer_names_a_holder_that_has_only_just_taken_the_lock(tmp_path: Path) -> None:
    """Two writers started together: the holder writes its pid just after it takes the lock, and the one that
    waits must not read the empty file in between (it said "another process" on a loaded CI machine)."""
    import fcntl

    from assistant.indexing.shared_store import writer_turn

    holder = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX)  # taken, the pid not written yet

    def write_pid_then_release() -> None:
        time.sleep(0.02)
        os.pwrite(holder, b"4242\n", 0)
        time.sleep(0.3)
        os.close(holder)

    threading.Thread(target=write_pid_then_release).start()
    said: list[str] = []
    with writer_turn(tmp_path, said.append):
        pass
    assert said == ["waiting for another indexing run (pid 4242) …"]
