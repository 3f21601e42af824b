"""A cold question: `assistant ask` in a new process, and `assistant serve` until its first answer.

Both backends of the bundled model side by side in one run, alternating: ONNX Runtime (the default) and
sentence-transformers on torch (ASSISTANT_EMBEDDING_BACKEND=sentence-transformers, the path before). The
index (the bundled seeds, built once here unless --index-dir is given) and the model are on disk, as for a
user at a terminal. Prints the median and spread of whole-process seconds per backend and the ratio, and
which heavy modules the default `ask` imported (none is the goal: no torch on the question path). With
--english-runs, the first English question of a chat that is up (model loaded, as `assistant serve` has it)
with and without the background warm-up of token states that `serve` starts (`alignment.warm_in_background`),
alternating, each in a new process.
Run: python bench/bench_cold_start.py [--runs 7] [--serve-runs 2] [--english-runs 5] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.ports import free_port  # noqa: E402  (after the repo is on the path)

QUESTION = "Wer sollte die Gespräche vermitteln?"
ENGLISH = "Who was supposed to mediate the talks?"
BACKENDS = {"onnx (default)": {}, "sentence-transformers": {"ASSISTANT_EMBEDDING_BACKEND": "sentence-transformers"}}
HEAVY = ["torch", "sentence_transformers", "transformers", "langchain_huggingface", "sklearn"]


def ask_seconds(env: dict[str, str], index_dir: Path) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one `assistant ask` process; CPU time also means something on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--index-dir", str(index_dir), QUESTION],
        check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def first_english_seconds(env: dict[str, str], index_dir: Path, *, warmed: bool) -> float:
    """The first English question's `ask` in a process whose model is loaded as `serve` loads it, after the
    background warm-up has finished (`warmed`) or without it."""
    script = (
        "import time\nfrom pathlib import Path\nfrom assistant import Assistant, Settings\n"
        "from assistant.embeddings.alignment import warm_in_background\n"
        f"assistant = Assistant(Settings(index_dir=Path({str(index_dir)!r})))\n"
        "assistant.embeddings.embed_query('warm up')\n"
        + ("warm_in_background(assistant.embeddings).join()\n" if warmed else "")
        + f"started = time.perf_counter()\nassistant.ask({ENGLISH!r})\nprint(time.perf_counter() - started)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=REPO, capture_output=True, text=True)
    return float(done.stdout.strip().rpartition("\n")[2])


def heavy_imports(env: dict[str, str], index_dir: Path) -> list[str]:
    script = (
        "import json, sys\nfrom assistant.cli import main\n"
        f"main(['ask', '--index-dir', {str(index_dir)!r}, {QUESTION!r}])\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=REPO, capture_output=True, text=True)
    return json.loads(done.stdout.strip().rpartition("\n")[2])


def serve_seconds(env: dict[str, str], index_dir: Path) -> float:
    """From starting `assistant serve` to the first answer through the /ask API endpoint."""
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--index-dir", str(index_dir), "--port", str(port)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                    break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        Client(f"http://127.0.0.1:{port}", verbose=False).predict(QUESTION, api_name="/ask")
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold `ask` processes per backend")
    parser.add_argument("--serve-runs", type=int, default=2, help="server starts per backend (0: skip)")
    parser.add_argument("--english-runs", type=int, default=0, help="first English questions per variant (0: skip)")
    parser.add_argument("--index-dir", type=Path, help="an existing index (default: the seeds, indexed here)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False"}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        index_dir = args.index_dir or Path(scratch) / "index"
        if args.index_dir is None:
            command = [sys.executable, "-m", "assistant.cli", "index", "--index-dir", str(index_dir)]
            subprocess.run(command, check=True, env=env, cwd=REPO, capture_output=True)
        for backend_env in BACKENDS.values():  # warm the page cache and any one-time export
            ask_seconds({**env, **backend_env}, index_dir)
        asks: dict[str, list[tuple[float, float]]] = {name: [] for name in BACKENDS}
        serves: dict[str, list[float]] = {name: [] for name in BACKENDS}
        for _ in range(args.runs):
            for name, backend_env in BACKENDS.items():
                asks[name].append(ask_seconds({**env, **backend_env}, index_dir))
        for _ in range(args.serve_runs):
            for name, backend_env in BACKENDS.items():
                serves[name].append(serve_seconds({**env, **backend_env}, index_dir))
        english: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.english_runs):
            for warmed in english:
                english[warmed].append(first_english_seconds(env, index_dir, warmed=warmed))
        heavy = heavy_imports(env, index_dir)
    print(f"cold `assistant ask` (new process, index and model on disk), {os.cpu_count()} cores")
    for name, values in asks.items():
        cpu = statistics.median(v[1] for v in values)
        print(f"  {name:24s} {summary([v[0] for v in values])}; CPU {cpu:.2f} s")
    walls = {name: statistics.median(v[0] for v in values) for name, values in asks.items()}
    print(f"  ratio sentence-transformers / onnx: {walls['sentence-transformers'] / walls['onnx (default)']:.2f}x")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    if args.serve_runs:
        print("`assistant serve` from start to its first answer (/ask)")
        for name, values in serves.items():
            print(f"  {name:24s} {summary(values)}")
    if args.english_runs:
        print(f"the first English question of a chat that is up ({ENGLISH!r})")
        for warmed, values in english.items():
            print(f"  {'token states warmed' if warmed else 'loaded on first use':24s} {summary(values)}")
        ratio = statistics.median(english[False]) / statistics.median(english[True])
        print(f"  ratio on first use / warmed: {ratio:.2f}x")
    print(f"heavy modules imported by the default `ask`: {heavy or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
