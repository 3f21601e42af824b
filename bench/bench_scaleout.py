"""Scale-out bench: the archive in a Chroma server (`chroma run` on 127.0.0.1) against the local index folder.

One run, side by side, on the first --articles 10kGNAD test articles:

- indexing throughput (articles/s) through the server and into the folder, and their ratio. The passage
  vectors come from a stand-in embedder (random unit vectors of the real model's size): the model costs the
  same on both sides and would hide what the store adds (about 0.1 articles/s on this machine under load);
- question latency p50/p95 (the real model embeds the questions) through the server and from the folder,
  asked in turns;
- what grows with the archive on the server side: a new machine's first open (its cache filled from the
  server), one reader's refresh after another process committed an article, and one small writer run (one
  article: lease, orphan sweep, commit), at --articles and again after --grow times as many.

    .venv/bin/python bench/bench_scaleout.py                        # 300 articles, then 1,200
    .venv/bin/python bench/bench_scaleout.py --articles 50 --grow 2 --questions 10   # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Article, Assistant, Settings
from assistant.embeddings.choice import embeddings_for
from assistant.evaluation import read_10kgnad_csv

REPO = Path(__file__).resolve().parents[1]
CSV = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
CHROMA = Path(sys.executable).with_name("chroma")


class StandInEmbeddings:
    """Unit vectors derived from each text's hash: as many as the model would give, without the model."""

    def __init__(self, dimension: int, model_name: str) -> None:
        self.dimension = dimension
        self.model_name = model_name

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([self._vector(text) for text in texts]) if texts else np.zeros((0, self.dimension))

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
        return vector / np.linalg.norm(vector)


def read_articles(count: int) -> list[str]:
    return [article.text for article in read_10kgnad_csv(CSV)[:count]]


def start_chroma(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(CHROMA), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("chroma run did not start")


def articles_of(texts: list[str], prefix: str) -> list[Article]:
    return [Article(id=f"{prefix}-{n:05}", text=text, title=text[:60]) for n, text in enumerate(texts)]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def question_of(text: str) -> str:
    return " ".join(text.split()[:10]) + "?"


def server_growth(url: str, scratch: Path, stand_in: StandInEmbeddings, texts: list[str], prefix: str) -> dict:
    """Costs on the server side that grow with the archive (seconds)."""
    settings = Settings(index_dir=scratch / f"fresh-{prefix}", chroma_url=url)
    fresh = Assistant(settings, embeddings=stand_in)
    first_open = timed(lambda: fresh.records())
    writer = Assistant(Settings(index_dir=scratch / f"writer-{prefix}", chroma_url=url), embeddings=stand_in)
    writer.records()  # on a server the record is there already (nothing to create)
    small_runs, refreshes = [], []
    for n in range(3):  # medians of three: the machine is shared
        one = articles_of([texts[n] + f" ({prefix})"], f"small-{prefix}{n}")
        small_runs.append(timed(lambda one=one: writer.index(one)))
        refreshes.append(timed(lambda: fresh.records().refresh(force=True)))
    small_run, refresh = float(np.median(small_runs)), float(np.median(refreshes))
    articles = fresh.status().articles
    fresh.close()
    writer.close()
    return {"articles": articles, "first_open": first_open, "small_run": small_run, "refresh": refresh}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--grow", type=int, default=4, help="grow the server archive to this many times --articles")
    args = parser.parse_args()
    if not CSV.exists():
        sys.exit(f"10kGNAD test set not found at {CSV}")
    texts = read_articles(args.articles)
    real = embeddings_for(Settings())
    dimension = len(real.embed_query_array("Probe"))
    stand_in = StandInEmbeddings(dimension, real.model_name)
    questions = [question_of(text) for text in texts[:: max(1, len(texts) // args.questions)]][: args.questions]
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as scratch_name:
        scratch = Path(scratch_name)
        chroma, url = start_chroma(scratch / "chroma-server")
        try:
            report(run_all(args, texts, questions, stand_in, real, scratch, url))
        finally:
            chroma.terminate()
            chroma.wait(timeout=30)


def run_all(args, texts, questions, stand_in, real, scratch: Path, url: str) -> dict:
    results: dict = {"n": len(texts)}
    readers = {}
    for name, chroma_url in (("folder", None), ("server", url)):
        settings = Settings(index_dir=scratch / name, chroma_url=chroma_url)
        writer = Assistant(settings, embeddings=stand_in)
        results[name] = {"index_s": timed(lambda w=writer: w.index(articles_of(texts, "gnad")))}
        writer.close()
        readers[name] = Assistant(settings, embeddings=real)
        readers[name].ask(questions[0])  # warm: model, keyword index, client
    latencies = {name: [] for name in readers}
    for question in questions:  # interleaved, so a busy moment of the shared machine hits both alike
        for name, reader in readers.items():
            latencies[name].append(timed(lambda r=reader, q=question: r.ask(q)) * 1000)
    for name, reader in readers.items():
        results[name]["ask_ms"] = np.array(latencies[name])
        reader.close()
    results["growth"] = [server_growth(url, scratch, stand_in, texts, "a")]
    if args.grow > 1:
        grower = Assistant(Settings(index_dir=scratch / "grower", chroma_url=url), embeddings=stand_in)
        for copy in range(1, args.grow):
            grower.index(articles_of([f"{text} (Kopie {copy})" for text in texts], f"copy{copy}"))
        grower.close()
        results["growth"].append(server_growth(url, scratch, stand_in, texts, "b"))
    return results


def report(results: dict) -> None:
    n = results["n"]
    folder, server = results["folder"], results["server"]
    print(
        f"\nindexing {n} articles (stand-in vectors): folder {n / folder['index_s']:.1f} articles/s, "
        f"server {n / server['index_s']:.1f} articles/s, server/folder {folder['index_s'] / server['index_s']:.2f}"
    )
    for name, data in (("folder", folder), ("server", server)):
        ms = data["ask_ms"]
        print(
            f"ask from the {name}: p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms "
            f"({len(ms)} questions)"
        )
    print(
        "\n| articles on the server | new machine's first open s | refresh after one commit s | "
        "one-article writer run s |"
    )
    print("|---|---|---|---|")
    for row in results["growth"]:
        print(f"| {row['articles']:,} | {row['first_open']:.2f} | {row['refresh']:.2f} | {row['small_run']:.2f} |")


if __name__ == "__main__":
    main()
