"""An experiment for indexing speed: sentence vectors pooled from the chunk pass instead of a second pass.

`assistant index` encodes every chunk and, separately, every sentence (quote choice and abstention use the
sentence vectors), so the encoder reads each text about twice. Pooling the chunk pass's token states over
each sentence's tokens would make the second pass unnecessary. Whether that holds quality is what this
measures: it copies an eval index, replaces every sentence vector by the mean of the chunk's token states
within the sentence's characters (L2-normalized), and prints the seconds that took against encoding the
sentences on their own. Then run the same `assistant eval` on both indexes and compare the reports.

Run: python bench/bench_pooled_sentences.py --index-dir EVAL_INDEX --out POOLED_INDEX
     assistant eval ../shared/data/xquad/xquad.de.json --distractors ../shared/data/10kgnad/test.csv \
         --unanswerable 8 --index-dir POOLED_INDEX --json        # and the same with EVAL_INDEX
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np

from assistant import Settings
from assistant.embeddings.onnx_backend import OnnxEmbeddings

PREFIX = "passage: "


def pooled(hidden: np.ndarray, offsets: list[tuple[int, int]], start: int, end: int) -> np.ndarray | None:
    """Mean of the token states whose characters lie within [start, end) (special tokens have no characters)."""
    rows = [n for n, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
    if not rows:
        return None
    vector = hidden[rows].mean(axis=0)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(args.index_dir, args.out)
    encoder = OnnxEmbeddings(cache_dir=Settings().model_cache_dir).encoder
    db = sqlite3.connect(args.out / "records.sqlite3")
    chunks = db.execute(
        "SELECT c.id, c.start, c.end, a.text FROM chunks c JOIN articles a ON a.id = c.article_id"
    ).fetchall()
    held = db.execute("SELECT value FROM meta WHERE key = 'sentence_dtype'").fetchone()
    dtype = np.float16 if held and held[0] == "float16" else np.float32  # as the record stores them
    started, sentences_text, updates = time.perf_counter(), [], []
    for chunk_id, start, end, text in chunks:
        encoding = encoder.tokenizer.encode(PREFIX + text[start:end])
        (hidden,) = encoder.session.run(
            None,
            {
                "inputs_embeds": np.ascontiguousarray(encoder.table[np.array([encoding.ids])], dtype=np.float32),
                "attention_mask": np.ones((1, len(encoding.ids)), dtype=np.int64),
            },
        )
        shift = len(PREFIX) - start
        for s_start, s_end in db.execute("SELECT start, end FROM sentences WHERE chunk_id = ?", (chunk_id,)):
            vector = pooled(hidden[0], encoding.offsets, s_start + shift, s_end + shift)
            sentences_text.append(text[s_start:s_end])
            if vector is not None:
                updates.append((vector.astype(dtype).tobytes(), chunk_id, s_start))
    pooling_seconds = time.perf_counter() - started
    db.executemany("UPDATE sentences SET vector = ? WHERE chunk_id = ? AND start = ?", updates)
    db.commit()
    started = time.perf_counter()
    encoder.encode([PREFIX + t for t in sentences_text])
    separate_seconds = time.perf_counter() - started
    print(f"{len(chunks)} chunks, {len(updates)} sentence vectors pooled from the chunk pass")
    print(f"chunk pass with pooling, one chunk at a time: {pooling_seconds:.1f} s")
    print(f"the separate sentence pass it makes unnecessary (batched): {separate_seconds:.1f} s")


if __name__ == "__main__":
    main()
