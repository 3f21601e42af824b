"""Growth: what adding articles, a question, memory and disk cost as the archive grows to 100,000 articles.

Articles are real 10kGNAD text (../shared/data/10kgnad/test.csv) recombined into new ones: article k keeps the
sentences of one article and swaps every third for a sentence of another, plus a line naming it, so every
article is different and reads like news. The encoder is replaced by a fast deterministic stand-in (hashed
words and word pairs into 384 dimensions, a LangChain `Embeddings`), so 100,000 articles build in an hour
instead of days; `--encoder real` uses the bundled model instead (for 1,000 articles).

The sizes are grown one after another in one index folder (1,000, then 9,000 more, ...). At each size a new
process (like a chat server) opens the index, answers `--questions` questions (a few to warm up first), then
adds `--add` articles `--rounds` times and deletes them again, and reports its resident memory. Questions are
pieces of indexed sentences, so keyword and dense search both have something to find.

    python bench/bench_scale.py --sizes 1000,10000            # a quick run
    python bench/bench_scale.py                                 # 1,000, 10,000 and 100,000 articles
    python bench/bench_scale.py --sizes 1000 --encoder real     # the bundled model
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from assistant import Article, Assistant

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
DIM = 384
_WORD = re.compile(r"\w+")
GROW_BATCH_CHARS = 2_000_000
"""Text per store write while growing (fewer, larger writes: building is not what is measured)."""
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=2_000_000)
def _code(gram: str | tuple[str, str]) -> int:
    """A word's or word pair's stable hash (crc32: the same in every process, unlike `hash`)."""
    return zlib.crc32(gram.encode() if isinstance(gram, str) else f"{gram[0]} {gram[1]}".encode())


class HashingEmbeddings(Embeddings):
    """Words and word pairs hashed into signed buckets, normalized: similar texts get similar vectors, in
    microseconds (a stand-in for the encoder, so growth can be measured without a day of encoding)."""

    model_name = "bench-hashing-384"

    def _vector(self, text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        codes = np.fromiter(map(_code, itertools.chain(words, itertools.pairwise(words))), dtype=np.int64)
        signs = np.where(codes & 1, 1.0, -1.0)
        vector = np.bincount((codes >> 1) % DIM, weights=signs, minlength=DIM).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()


# --- articles --------------------------------------------------------------------------------------
def source_sentences() -> list[list[str]]:
    from assistant.evaluation import read_10kgnad_csv

    return [_SENTENCE.split(a.text.strip()) for a in read_10kgnad_csv(GNAD)]


def make_article(k: int, pool: list[list[str]]) -> Article:
    """Article k: one source article's sentences, every third swapped for another article's, and a dateline."""
    from assistant import Article

    rng = random.Random(k)
    base = pool[k % len(pool)]
    other = pool[rng.randrange(len(pool))]
    sentences = [other[rng.randrange(len(other))] if n % 3 == 2 else s for n, s in enumerate(base)]
    text = f"Meldung {k}. " + " ".join(sentences)
    return Article(id=f"bench/{k:06d}", text=text, title=f"Meldung {k}", source=f"Quelle {k % 17}")


def questions(pool: list[list[str]], count: int, limit: int) -> list[str]:
    """Pieces of sentences of indexed articles, phrased as questions."""
    rng = random.Random(7)
    out = []
    while len(out) < count:
        sentence = pool[rng.randrange(min(limit, len(pool)))]
        words = rng.choice(sentence).split()
        if len(words) >= 6:
            start = rng.randrange(len(words) - 5)
            out.append("Was ist mit " + " ".join(words[start : start + 6]).strip(".,;:") + "?")
    return out


# --- one size, in a new process ---------------------------------------------------------------------
def probe(index_dir: Path, size: int, args: argparse.Namespace) -> dict:
    """Open the index like a server, answer questions, add and delete articles; timings, memory."""
    from assistant import Assistant, Settings

    pool = source_sentences()
    assistant = Assistant(Settings(index_dir=index_dir), embeddings=embeddings_for(args.encoder))
    asked = questions(pool, args.questions + 3, size)
    for question in asked[:3]:  # warm up: store, keyword segments, record
        assistant.ask(question)
    seconds = []
    for question in asked[3:]:
        start = time.perf_counter()
        assistant.ask(question)
        seconds.append(time.perf_counter() - start)
    adds, deletes = add_and_delete(assistant, pool, size, args)
    assistant.close()
    wall = [w for w, _ in adds]
    return {
        "ask_p50_ms": 1000 * float(np.percentile(seconds, 50)),
        "ask_p95_ms": 1000 * float(np.percentile(seconds, 95)),
        "add_median_s": statistics.median(wall),
        "add_mean_s": statistics.mean(wall),
        "add_max_s": max(wall),
        "add_cpu_median_s": statistics.median(c for _, c in adds),
        "delete_median_s": statistics.median(deletes),
        "rss_mb": rss_mb(),
    }


def add_and_delete(
    assistant: Assistant, pool: list[list[str]], size: int, args: argparse.Namespace
) -> tuple[list[tuple[float, float]], list[float]]:
    """(Wall, CPU) seconds to add `args.add` new articles, `args.rounds` times; then to delete each batch again."""
    adds, deletes, batches = [], [], []
    for r in range(args.rounds):
        batch = [make_article(10_000_000 + size + r * args.add + n, pool) for n in range(args.add)]
        start, cpu = time.perf_counter(), time.process_time()
        report = assistant.index(batch)
        adds.append((time.perf_counter() - start, time.process_time() - cpu))
        assert len(report.added) == args.add, report.to_dict()
        batches.append(batch)
    for batch in batches:
        start = time.perf_counter()
        for article in batch:
            assistant.delete(article.id)
        deletes.append(time.perf_counter() - start)
    return adds, deletes


def rss_mb() -> float:
    """Resident memory now (not the peak: what a server that answered keeps)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def embeddings_for(encoder: str) -> Embeddings:
    if encoder == "hashing":
        return HashingEmbeddings()
    from assistant.embedding_choice import embeddings_for as chosen
    from assistant.settings import Settings

    return chosen(Settings())


# --- building and disk ------------------------------------------------------------------------------
def grow(index_dir: Path, start: int, stop: int, encoder: Embeddings, batch: int) -> float:
    """Index articles start..stop-1 into the folder, `batch` per run; seconds taken."""
    from assistant import Assistant, Settings

    pool = source_sentences()
    settings = Settings(index_dir=index_dir, index_batch_chars=GROW_BATCH_CHARS)
    assistant = Assistant(settings, embeddings=encoder)
    began = time.perf_counter()
    for lo in range(start, stop, batch):
        articles = [make_article(k, pool) for k in range(lo, min(stop, lo + batch))]
        assistant.index(articles)
        print(f"  indexed {min(stop, lo + batch):,} ({time.perf_counter() - began:,.0f} s)", file=sys.stderr)
    assistant.close()
    return time.perf_counter() - began


def disk(index_dir: Path, articles: int) -> dict:
    """Bytes per article: chunk vectors (Chroma), sentence vectors and the rest of the record, keyword index."""
    records = index_dir / "records.sqlite3"
    db = sqlite3.connect(records)
    try:
        pages = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    finally:
        db.close()
    sentences = pages.get("sentences", 0) + pages.get("sentences_chunk", 0)
    record = sum(pages.values())
    return {
        "chroma_b": folder_bytes(index_dir / "chroma") / articles,
        "sentences_b": sentences / articles,
        "record_other_b": (record - sentences) / articles,
        "keyword_b": folder_bytes(index_dir / "keyword") / articles,
    }


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def counts(index_dir: Path) -> tuple[int, int]:
    db = sqlite3.connect(index_dir / "records.sqlite3")
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0], db.execute(
            "SELECT count(*) FROM chunks"
        ).fetchone()[0]
    finally:
        db.close()


# --- the run ----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="archive sizes, comma-separated, ascending")
    parser.add_argument("--add", type=int, default=10, help="articles per measured addition")
    parser.add_argument("--rounds", type=int, default=5, help="measured additions per size")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--encoder", choices=["hashing", "real"], default="hashing")
    parser.add_argument("--batch", type=int, default=2000, help="articles per indexing run while growing")
    parser.add_argument("--work", type=Path, help="index folder to grow (default: a temporary one, deleted)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.size, args)))
        return 0
    if not GNAD.exists():
        print(f"needs {GNAD}", file=sys.stderr)
        return 1
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = run(sizes, work / "index", args)
    print_table(rows, args)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run(sizes: list[int], index_dir: Path, args: argparse.Namespace) -> list[dict]:
    rows, built = [], 0
    encoder = embeddings_for(args.encoder)
    for size in sizes:
        grow_seconds = grow(index_dir, built, size, encoder, args.batch)
        row = {"size": size, "grow_s_per_article": grow_seconds / (size - built)}
        built = size
        command = [sys.executable, __file__, "--probe", str(index_dir), "--size", str(size)]
        command += ["--add", str(args.add), "--rounds", str(args.rounds), "--questions", str(args.questions)]
        command += ["--encoder", args.encoder]
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)  # its errors show
        row |= json.loads(result.stdout.strip().splitlines()[-1])
        row["articles"], row["chunks"] = counts(index_dir)
        row |= disk(index_dir, row["articles"])
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    return rows


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    encoder = "hashing stand-in (not the model)" if args.encoder == "hashing" else "the bundled model (ONNX)"
    print(f"encoder: {encoder}; add {args.add} articles x {args.rounds} rounds; {args.questions} questions\n")
    print(
        "| articles | chunks | s/article growing | add 10: median (mean, max) s | add 10: CPU s | delete 10 s "
        "| ask p50 / p95 ms | RSS MB | disk B/article: chunk vectors / sentence vectors / rest of record / keyword |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        adding = f"{r['add_median_s']:.3f} ({r['add_mean_s']:.3f}, {r['add_max_s']:.3f}) | {r['add_cpu_median_s']:.3f}"
        asking = f"{r['ask_p50_ms']:.0f} / {r['ask_p95_ms']:.0f}"
        size = f"{r['chroma_b']:,.0f} / {r['sentences_b']:,.0f} / {r['record_other_b']:,.0f} / {r['keyword_b']:,.0f}"
        print(
            f"| {r['articles']:,} | {r['chunks']:,} | {r['grow_s_per_article']:.4f} | {adding} "
            f"| {r['delete_median_s']:.3f} | {asking} | {r['rss_mb']:,.0f} | {size} |"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        for what in ("add_median_s", "add_cpu_median_s"):
            ratio = last[what] / first[what]
            print(f"adding {args.add} at {last['articles']:,} / at {first['articles']:,}: {ratio:.2f}x ({what})")


if __name__ == "__main__":
    raise SystemExit(main())
