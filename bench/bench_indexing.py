"""Indexing throughput: `assistant index` against a plain one-pass encoder, whole processes, one run.

The same 150 10kGNAD articles (../shared/data/10kgnad/test.csv) go through:
  reference                   a plain sentence-transformers pass (torch, fp32, batch 32) over ~700-character
                              pieces of the articles: what a bare "embed the archive once" script costs
  index, onnx int8 (default)  `assistant index` on the articles as .txt files, a fresh index each time
  index, onnx float32         the same with ASSISTANT_EMBEDDING_PRECISION=float32 (exact vectors, before int8)
  index, sentence-transformers  the same with ASSISTANT_EMBEDDING_BACKEND=sentence-transformers (the old path)
Every row is a new process timed from start to exit (imports and model loading included). The ratio is
reference seconds / row seconds: 1.0 means indexing costs what one plain encoder pass costs.
Run: python bench/bench_indexing.py [--articles 150] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
PIECE_CHARS = 700

REFERENCE = """
import sys, time
from pathlib import Path
from sentence_transformers import SentenceTransformer
from assistant.embeddings.packaged_model import packaged_model_path
from assistant.settings import Settings

texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[1]).glob("*.txt"))]
pieces = []
for text in texts:
    words, piece = text.split(), ""
    for word in words:
        piece = f"{piece} {word}" if piece else word
        if len(piece) >= int(sys.argv[2]):
            pieces.append(piece)
            piece = ""
    if piece:
        pieces.append(piece)
model = SentenceTransformer(str(packaged_model_path(Settings().model_cache_dir)), device="cpu")
model.encode(pieces, prompt="passage: ", batch_size=32, normalize_embeddings=True)
print(len(pieces), "pieces")
"""


def write_articles(folder: Path, count: int) -> int:
    from assistant.evaluation import read_10kgnad_csv

    articles = read_10kgnad_csv(GNAD)[:count]
    for n, article in enumerate(articles):
        (folder / f"{n:04d}.txt").write_text(article.text, encoding="utf-8")
    return sum(len(a.text) for a in articles)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one whole process; CPU time is what to compare on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=1, help="median of this many runs per row")
    args = parser.parse_args()
    if not GNAD.is_file():
        print(f"skipped: {GNAD} not found")
        return 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assistant = [sys.executable, "-m", "assistant.cli", "index"]
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as scratch:
        folder = Path(scratch) / "articles"
        folder.mkdir()
        chars = write_articles(folder, args.articles)
        rows = {
            "reference: sentence-transformers, 700-char pieces, batch 32": (
                [sys.executable, "-c", REFERENCE, str(folder), str(PIECE_CHARS)],
                {},
            ),
            "assistant index (onnx int8, the default)": ([*assistant, str(folder)], {}),
            "assistant index (onnx float32)": (
                [*assistant, str(folder)],
                {"ASSISTANT_EMBEDDING_PRECISION": "float32"},
            ),
            "assistant index (sentence-transformers)": (
                [*assistant, str(folder)],
                {"ASSISTANT_EMBEDDING_BACKEND": "sentence-transformers"},
            ),
        }
        seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for round_ in range(args.rounds):
            for n, (name, (command, extra)) in enumerate(rows.items()):
                index_dir = Path(scratch) / f"index-{round_}-{n}"
                run_env = {**env, **extra, "ASSISTANT_INDEX_DIR": str(index_dir)}
                seconds[name].append(timed(command, run_env))
    print(f"{args.articles} 10kGNAD articles, {chars:,} characters; median of {args.rounds} run(s), whole processes")
    medians = {name: [statistics.median(v[i] for v in values) for i in (0, 1)] for name, values in seconds.items()}
    wall_ref, cpu_ref = next(iter(medians.values()))
    print(f"| {'':60s} | seconds | CPU seconds | reference / this (wall) | (CPU) |")
    print(f"|{'-' * 62}|---------|-------------|-------------------------|-------|")
    for name, (wall, cpu) in medians.items():
        print(f"| {name:60s} | {wall:7.1f} | {cpu:11.1f} | {wall_ref / wall:23.2f} | {cpu_ref / cpu:5.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
