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
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant import Assistant, Settings
from assistant.core import RECORDS_FILE
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TOWNS = [
    ("Quellenau", "ein Museum für alte Schreibmaschinen", "Bürgermeisterin Hella Voss"),
    ("Brakwitz", "eine Seilbahn über den Stausee", "Landrat Ottmar Fenske"),
    ("Ellerstein", "ein Freibad mit Solarheizung", "Stadträtin Ilka Marten"),
    ("Gorrin", "eine Bibliothek im alten Bahnhof", "Bürgermeister Jens Tolle"),
    ("Hammerlund", "einen Radschnellweg nach Kiel", "Ortsvorsteherin Pia Brand"),
    ("Kettwiese", "eine Markthalle für Bauern", "Dezernent Udo Rasch"),
    ("Lindrach", "ein Kino für Stummfilme", "Bürgermeisterin Vera Lenk"),
    ("Morsbeck", "eine Sternwarte auf dem Kirchberg", "Amtsleiter Kai Dorn"),
    ("Nettelhof", "einen Kletterwald am Fluss", "Landrätin Britta Ohm"),
    ("Oberzell", "eine Fähre aus Holz", "Bürgermeister Rolf Abt"),
    ("Pellingen", "ein Theater in der Scheune", "Stadtrat Malte Frey"),
    ("Rabenfurt", "eine Eisbahn aus Kunststoff", "Bürgermeisterin Ute Kramm"),
    ("Sellwitz", "ein Gewächshaus für Bananen", "Ortsvorsteher Timo Graf"),
    ("Tannhagen", "eine Brauerei im Rathauskeller", "Dezernentin Lea Hoff"),
    ("Ulmenried", "einen Zoo für Haustiere", "Bürgermeister Finn Haas"),
    ("Wendhusen", "ein Hallenbad mit Wellenanlage", "Landrat Egon Stich"),
]


def town_article(n: int) -> str:
    town, project, person = TOWNS[n]
    return (
        f"---\ntitle: {town} plant {project}\nsource: Landbote\npublished: 2024-05-{n + 1:02}\n---\n"
        f"Die Gemeinde {town} baut {project}. Das hat {person} am Dienstag im Gemeinderat angekündigt. "
        f"Der Bau soll im Frühjahr beginnen und {n + 2} Millionen Euro kosten.\n\n"
        f"Die Anwohner von {town} hatten sich seit Jahren dafür eingesetzt. Eine Bürgerinitiative sammelte "
        f"{400 + n * 37} Unterschriften. Kritiker halten die Kosten für zu hoch und fordern einen Bürgerentscheid.\n\n"
        f"Nach den Plänen soll das Projekt in {town} im Sommer {2026 + n % 3} eröffnen. Die Landesregierung "
        f"übernimmt die Hälfte der Kosten aus dem Förderprogramm für den ländlichen Raum."
    )


def question_for(n: int) -> str:
    town, _, _ = TOWNS[n]
    return f"Was baut die Gemeinde {town}?"


def write_towns(folder: Path, numbers: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"town-{n:02}.md").write_text(town_article(n), encoding="utf-8")
    return folder


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", *args]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cli(*args), cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, result.stderr
    return result


@dataclass
class Askers:
    """Threads asking the server in a loop; every answer and every error is kept."""

    url: str
    questions: list[str]
    threads: int = 4
    answers: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _running: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(n,), daemon=True)
            thread.start()
            self._running.append(thread)

    def _loop(self, offset: int) -> None:
        client = Client(self.url, verbose=False)
        turn = offset
        while not self._stop.is_set():
            question = self.questions[turn % len(self.questions)]
            turn += 1
            try:
                self.answers.append(client.predict(question, api_name="/ask"))
            except Exception as error:  # every error counts
                self.errors.append(f"{question}: {error}")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._running:
            thread.join(timeout=120)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]


def start_server(index_dir: Path, cwd: Path) -> Iterator[Server]:
    """`assistant serve` on a free port of 127.0.0.1, as its own process."""
    port = free_port()
    process = subprocess.Popen(
        cli("serve", "--port", str(port), "--index-dir", str(index_dir)),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        line = process.stdout.readline()
        assert "Chat läuft auf" in line, line
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def assert_quotes_verify(index_dir: Path, answers: list[dict[str, Any]]) -> None:
    """Every quote and passage of every answer is the stored article's text at its offsets."""
    reader = Assistant(Settings(index_dir=index_dir))
    try:
        for answer in answers:
            for item in answer["quotes"] + answer["passages"]:
                text = reader.article(item["article_id"]).text
                assert text[item["start"] : item["end"]] == item["text"], item
    finally:
        reader.close()


def wait_for_answer(client: Client, n: int, timeout: float = 20.0) -> dict[str, Any]:
    """Ask about town `n` until its article is quoted (the server must see new articles within seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        result = client.predict(question_for(n), api_name="/ask")
        if result["quotes"] and result["quotes"][0]["article_id"].endswith(f"town-{n:02}.md"):
            return result
        assert time.monotonic() < deadline, f"town {n} not answered within {timeout} s: {result['answer']}"
        time.sleep(0.5)


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
    for server in start_server(index_dir, tmp_path):
        askers = Askers(server.url, [question_for(n) for n in range(KILLED.stop)])
        askers.start()
        time.sleep(2)

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
        time.sleep(3)  # questions go on against what the killed writer left

        rerun = json.loads(
            run_cli("index", str(folders["killed"]), "--index-dir", str(index_dir), "--json", cwd=tmp_path).stdout
        )
        assert rerun["added"] + rerun["unchanged"] == len(KILLED)
        client = Client(server.url, verbose=False)
        for n in range(KILLED.stop):
            wait_for_answer(client, n)
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
