"""int8 encoding, each text alone against length-sorted batches of 32, side by side in one run: seconds for the
same texts (sentences and chunk-sized passages of FANG-COVID, else the seeds), and how far a text's vector moves
with its batch.

int8 quantizes a run's activations with one scale, so a batched text's vector depends on its batch; encoded alone
it depends on its text only. Alone is the default since 2026-12-07 (night) because it measured no slower here.

    python bench/bench_batching.py [--texts 1500] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from assistant import Settings
from assistant.chunking import chunk_text, split_sentences
from assistant.embeddings.onnx_backend import OnnxEmbeddings

REPO = Path(__file__).resolve().parents[1]
FANG = REPO.parent / "shared" / "data" / "fang-covid" / "articles.jsonl"


def corpus() -> list[str]:
    if FANG.is_file():
        lines = FANG.read_text(encoding="utf-8").split("\n")
        return [json.loads(line)["article"] for line in lines if line.strip()]
    return [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=1500, help="sentences (and a third as many chunks)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    articles = corpus()
    random.Random(1).shuffle(articles)
    sentences = [s.of(t) for t in articles[:200] for s in split_sentences(t)][: args.texts]
    chunks = [c.of(t) for t in articles[200:400] for c in chunk_text(t)][: args.texts // 3]
    alone = OnnxEmbeddings(cache_dir=Settings().model_cache_dir)
    batched = OnnxEmbeddings(cache_dir=Settings().model_cache_dir, batch_size=32)
    alone.embed_passages_array(sentences[:10])  # load both graphs before timing
    for name, texts in (("sentences", sentences), ("chunks", chunks)):
        seconds: dict[str, list[float]] = {"alone": [], "batches of 32": []}
        vectors = {}
        for _ in range(args.rounds):
            for label, model in (("alone", alone), ("batches of 32", batched)):
                start = time.perf_counter()
                vectors[label] = model.embed_passages_array(texts)
                seconds[label].append(time.perf_counter() - start)
        best = {label: min(s) for label, s in seconds.items()}
        cosines = np.sum(vectors["alone"] * vectors["batches of 32"], axis=1)
        chars = sum(map(len, texts)) / len(texts)
        print(
            f"{name} ({len(texts)}, {chars:.0f} chars): alone {best['alone']:.2f} s, batches of 32 "
            f"{best['batches of 32']:.2f} s, ratio {best['alone'] / best['batches of 32']:.2f}; cosine alone/batched "
            f"min {cosines.min():.4f}, mean {cosines.mean():.5f}"
        )


if __name__ == "__main__":
    main()
