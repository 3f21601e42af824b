"""The `assistant` command as a user runs it: real processes, real index, JSON contracts, SIGKILL halfway."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.core import RECORDS_FILE
from tests.helpers import SEEDS, cli, run_cli

pytestmark = pytest.mark.slow


def test_index_and_ask_json_contracts(tmp_path: Path) -> None:
    index_dir = str(tmp_path / "index")
    news = tmp_path / "news"
    news.mkdir()
    (news / "leer.txt").write_text("   \n", encoding="utf-8")
    indexed = run_cli("index", str(SEEDS), str(news), "--index-dir", index_dir, "--json", cwd=tmp_path)
    report = json.loads(indexed.stdout)
    assert report["added"] == 1 and report["updated"] == report["unchanged"] == report["deleted"] == 0
    assert len(report["refused"]) == 1 and report["refused"][0]["path"].endswith("leer.txt")
    assert set(report["refused"][0]) == {"path", "reason"} and report["refused"][0]["reason"]

    again = json.loads(run_cli("index", str(SEEDS), "--index-dir", index_dir, "--json", cwd=tmp_path).stdout)
    status = run_cli("status", "--index-dir", index_dir, cwd=tmp_path).stdout.splitlines()
    assert status[:3] == [
        "articles: 1",
        f"chunks: {Assistant(Settings(index_dir=index_dir)).status().chunks}",
        "embedding model: multilingual-e5-small",
    ]
    assert re.fullmatch(r"last changed: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", status[3])  # not a Unix time
    assert again == {"added": 0, "updated": 0, "unchanged": 1, "deleted": 0, "refused": []}

    out = run_cli(
        "ask", "Wer sollte die Gespräche vermitteln?", "--index-dir", index_dir, "--json", "-k", "3", cwd=tmp_path
    )
    answer = json.loads(out.stdout)
    assert list(answer) == ["question", "answer", "abstained", "quotes", "passages", "short_answer"]
    short = answer["short_answer"]  # the asked-for span ("Katar"), verbatim in its article like every quote
    assert list(short) == ["text", "article_id", "start", "end"] and short["text"] in answer["quotes"][0]["text"]
    assert answer["abstained"] is False and len(answer["passages"]) == 3
    assert "Katar" in answer["quotes"][0]["text"]
    said = run_cli("ask", "Wer sollte die Gespräche vermitteln?", "--index-dir", index_dir, "-k", "3", cwd=tmp_path)
    assert said.stdout.splitlines()[0] == f"Kurz: {short['text']}"  # the short answer first, as in the chat
    for quote in answer["quotes"]:
        assert list(quote) == ["text", "article_id", "title", "source", "published", "start", "end", "score", "day"]
        assert quote["source"] == "Financial Times"
    for passage in answer["passages"]:
        assert list(passage) == ["article_id", "title", "text", "start", "end", "score"]
    stored = Assistant(Settings(index_dir=index_dir))
    for item in answer["quotes"] + answer["passages"]:
        assert stored.article(item["article_id"]).text[item["start"] : item["end"]] == item["text"]


def test_errors_are_one_line_messages(tmp_path: Path) -> None:
    missing = run_cli("ask", "Wer?", "--index-dir", str(tmp_path / "none"), cwd=tmp_path, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: nothing is indexed")
    assert "(`assistant index PATH`)" in missing.stderr  # the command line adds what to type
    assert "Traceback" not in missing.stderr
    empty = run_cli("ask", "  ", "--index-dir", str(tmp_path / "none"), cwd=tmp_path, check=False)
    assert empty.returncode == 1 and "empty" in empty.stderr


def _article(n: int) -> str:
    sentences = [
        f"Meldung {n}, Satz {s}: Die Gemeinde Nummer {n} plant im Jahr {2000 + s} eine neue Brücke." for s in range(12)
    ]
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, 12, 4))


def _recorded_articles(index_dir: Path) -> int:
    try:
        with sqlite3.connect(index_dir / RECORDS_FILE, timeout=5) as db:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_indexing_ends_like_a_clean_run(tmp_path: Path, embeddings) -> None:
    news = tmp_path / "news"
    news.mkdir()
    for n in range(16):
        (news / f"{n:02}.txt").write_text(_article(n), encoding="utf-8")
    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(  # one article per embedding batch, so the kill lands between two of them
        cli("index", str(news), "--index-dir", str(killed_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ASSISTANT_INDEX_BATCH_CHARS": "1"},
    )
    deadline = time.monotonic() + 300
    while _recorded_articles(killed_dir) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "indexing finished before it could be killed: make the data larger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < _recorded_articles(killed_dir) < 16

    rerun = json.loads(run_cli("index", str(news), "--index-dir", str(killed_dir), "--json", cwd=tmp_path).stdout)
    assert rerun["added"] + rerun["unchanged"] == 16 and rerun["refused"] == []

    clean = Assistant(Settings(index_dir=tmp_path / "clean"), embeddings=embeddings)
    clean.index([news])
    killed = Assistant(Settings(index_dir=killed_dir), embeddings=embeddings)
    killed_records = killed.records()
    assert killed.status().chunks == clean.status().chunks
    assert killed.vector_store().count() == clean.vector_store().count() == clean.status().chunks
    assert killed.vector_store().ids() == killed_records.all_chunk_ids() == clean.vector_store().ids()  # no orphans
    assert killed_records.pending() == set()


def test_a_sentence_wrapped_over_lines_prints_on_one_line_and_stays_verbatim_in_json(tmp_path: Path) -> None:
    """An outlet's print layout breaks a sentence over lines; the plain-text answer shows it as one line (as the
    chat does), while `--json` keeps the verbatim text its offsets point at."""
    news = tmp_path / "news"
    news.mkdir()
    (news / "moria.txt").write_text(
        "Lage im Lager Moria\n\n"
        "Im Lager Moria auf der griechischen Insel Lesbos leben derzeit\n"
        "rund 20.000 Flüchtlinge unter katastrophalen Bedingungen. Das Lager ist für 3.000 Menschen gebaut.\n\n"
        "Hilfsorganisationen fordern seit Monaten, das Lager zu räumen.\n",
        encoding="utf-8",
    )
    index_dir = str(tmp_path / "index")
    run_cli("index", str(news), "--index-dir", index_dir, cwd=tmp_path)
    question = "Wie viele Flüchtlinge leben im Lager Moria?"
    answer = json.loads(run_cli("ask", question, "--index-dir", index_dir, "--json", cwd=tmp_path).stdout)
    first = answer["quotes"][0]
    assert "derzeit\nrund 20.000" in first["text"]  # verbatim, line break and all
    said = run_cli("ask", question, "--index-dir", index_dir, cwd=tmp_path).stdout
    assert "[1] „Im Lager Moria auf der griechischen Insel Lesbos leben derzeit rund 20.000 Flüchtlinge" in said
    assert "derzeit\n" not in said
