"""Load bench: N concurrent askers on a running chat server while `assistant index` adds articles to its folder.

For each N (default 10, 20, 50): a copy of a base index (the first --base 10kGNAD test articles), `assistant
serve` on it, N threads asking `/ask` in a loop through gradio_client, and --seconds of asking before, the
CLI run that indexes --articles further articles into the same folder, and --seconds after. Prints errors
(must be 0) and p50/p95/max latency per phase, and how soon the server answered from the new articles.

    .venv/bin/python bench/bench_shared_index.py                 # 10/20/50 askers, 300 new articles
    .venv/bin/python bench/bench_shared_index.py --askers 10 --articles 60 --base 40   # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from assistant.evaluation import read_10kgnad_csv  # noqa: E402
from tests.ports import free_port  # noqa: E402  (after the repo is on the path)

CSV = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"


@dataclass
class Call:
    started: float
    seconds: float
    error: str | None


@dataclass
class Run:
    askers: int
    calls: list[Call] = field(default_factory=list)
    write_start: float = 0.0
    write_end: float = 0.0
    new_answered_after: float | None = None


def read_articles(path: Path) -> list[str]:
    return [article.text for article in read_10kgnad_csv(path)]


def write_folder(folder: Path, texts: list[str], first: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, text in enumerate(texts, start=first):
        (folder / f"gnad-{n:04}.txt").write_text(text, encoding="utf-8")
    return folder


def question_of(text: str) -> str:
    """The article's first words as a question: answerable, and cheap to make for hundreds of articles."""
    return " ".join(text.split()[:10]) + "?"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", *args]


def start_server(index_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    server = subprocess.Popen(
        cli("serve", "--port", str(port), "--index-dir", str(index_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = server.stdout.readline()
    if "Chat läuft auf" not in line:
        raise RuntimeError(f"the server did not start: {line!r}")
    return server, f"http://127.0.0.1:{port}"


def ask_loop(url: str, questions: list[str], offset: int, stop: threading.Event, run: Run) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    turn = offset
    while not stop.is_set():
        question = questions[turn % len(questions)]
        turn += 7
        started = time.monotonic()
        try:
            client.predict(question, api_name="/ask")
            error = None
        except Exception as failure:  # every error counts
            error = " ".join(str(failure).split())[:200]
        run.calls.append(Call(started, time.monotonic() - started, error))


def first_new_answer(url: str, new_texts: list[str], run: Run, stop: threading.Event) -> None:
    """Seconds from the writer's end until a question about its last article quotes that article."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    question, wanted = question_of(new_texts[-1]), f"gnad-{len(new_texts) - 1 + FIRST_NEW:04}.txt"
    while not stop.is_set():
        if run.write_end:
            result = client.predict(question, api_name="/ask")
            if any(p["article_id"].endswith(wanted) for p in result["passages"]):
                run.new_answered_after = time.monotonic() - run.write_end
                return
        time.sleep(0.2)


FIRST_NEW = 100_000  # file numbers of the new articles (apart from the base ones)


def one_run(base_index: Path, new_folder: Path, questions: list[str], new_texts: list[str], args) -> Run:
    run = Run(args.askers_now)
    with tempfile.TemporaryDirectory(prefix="bench-shared-", ignore_cleanup_errors=True) as scratch:
        index_dir = Path(scratch) / "index"
        shutil.copytree(base_index, index_dir)
        server, url = start_server(index_dir)
        stop = threading.Event()
        threads = [
            threading.Thread(target=ask_loop, args=(url, questions, n, stop, run), daemon=True)
            for n in range(run.askers)
        ]
        threads.append(threading.Thread(target=first_new_answer, args=(url, new_texts, run, stop), daemon=True))
        try:
            for thread in threads:
                thread.start()
            time.sleep(args.seconds)
            run.write_start = time.monotonic()
            subprocess.run(
                cli("index", str(new_folder), "--index-dir", str(index_dir)),
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            run.write_end = time.monotonic()
            time.sleep(args.seconds)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
            server.terminate()
            server.wait(timeout=60)
    return run


def phase_rows(run: Run) -> list[str]:
    phases = {
        "before": [c for c in run.calls if c.started < run.write_start],
        "during": [c for c in run.calls if run.write_start <= c.started < run.write_end],
        "after": [c for c in run.calls if c.started >= run.write_end],
    }
    rows = []
    for name, calls in phases.items():
        ok = np.array([c.seconds for c in calls if c.error is None]) * 1000
        errors = sum(c.error is not None for c in calls)
        p50, p95, top = (np.percentile(ok, 50), np.percentile(ok, 95), ok.max()) if len(ok) else (0, 0, 0)
        rows.append(f"| {run.askers} | {name} | {len(calls)} | {errors} | {p50:.0f} | {p95:.0f} | {top:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--askers", default="10,20,50", help="concurrent askers per run (comma-separated)")
    parser.add_argument("--articles", type=int, default=300, help="articles the CLI adds during each run")
    parser.add_argument("--base", type=int, default=100, help="articles indexed before each run")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of asking before and after the write")
    parser.add_argument("--csv", type=Path, default=CSV, help="10kGNAD test.csv")
    args = parser.parse_args()
    if not args.csv.exists():
        sys.exit(f"needs the 10kGNAD data: {args.csv}")
    texts = read_articles(args.csv)
    base_texts, new_texts = texts[: args.base], texts[args.base : args.base + args.articles]
    questions = [question_of(t) for t in base_texts + new_texts]
    with tempfile.TemporaryDirectory(prefix="bench-shared-data-", ignore_cleanup_errors=True) as data:
        root = Path(data)
        base_index = root / "base-index"
        base_folder = write_folder(root / "base", base_texts, 0)
        new_folder = write_folder(root / "new", new_texts, FIRST_NEW)
        subprocess.run(
            cli("index", str(base_folder), "--index-dir", str(base_index)), check=True, capture_output=True, text=True
        )
        print(
            f"{args.base} articles indexed, {len(new_texts)} added during each run, {args.seconds:.0f} s of "
            "asking before and after; latency of /ask in ms\n"
        )
        print("| askers | phase | questions | errors | p50 | p95 | max |\n|---|---|---|---|---|---|---|")
        for askers in [int(n) for n in args.askers.split(",")]:
            args.askers_now = askers
            run = one_run(base_index, new_folder, questions, new_texts, args)
            for row in phase_rows(run):
                print(row, flush=True)
            seen = f"{run.new_answered_after:.1f} s" if run.new_answered_after is not None else "never"
            print(
                f"|   | write: {run.write_end - run.write_start:.0f} s, last new article answered after {seen} "
                "| | | | | |",
                flush=True,
            )


if __name__ == "__main__":
    main()
