"""How many of the true nearest chunks Chroma's approximate (HNSW) search returns, at several search breadths.

A question asks the store for its 40 nearest chunks (the retriever's candidate pool). This compares them with an
exact search (every chunk vector times the question's) for every 10th eval question, on a copy of an eval
index's Chroma folder (the copy's collection setting is changed per breadth; the index itself is not touched).
It reports recall@40, how often the nearest chunk was found, and the time per search, side by side.

Run: python bench/bench_search_recall.py --index-dir eval-index-de --details eval-details.jsonl
     (the index from `assistant eval ... --index-dir`, the questions from its `--details` file)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.indexing.store import never_embed_function, open_client

POOL = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--details", type=Path, required=True, help="an `assistant eval --details` file")
    parser.add_argument("--breadths", default="100,200,400", help="ef_search values, comma-separated")
    parser.add_argument("--every", type=int, default=10, help="use every n-th question")
    args = parser.parse_args()
    settings = Settings(index_dir=args.index_dir)
    embed = Assistant(settings).embeddings.embed_query_array
    questions = [json.loads(line)["question"] for line in args.details.open(encoding="utf-8")][:: args.every]
    vectors = np.stack([embed(q) for q in questions])
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "chroma"
        shutil.copytree(args.index_dir / "chroma", copy)
        client = open_client(copy)
        got = client.get_collection(settings.collection, embedding_function=never_embed_function()).get(
            include=["embeddings"]
        )
        ids, matrix = np.array(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)
        exact = [ids[np.argsort(-(matrix @ v))[:POOL]] for v in vectors]
        print(f"{len(ids)} chunks, {len(questions)} questions, {POOL} candidates each")
        for breadth in (int(b) for b in args.breadths.split(",")):
            collection = client.get_collection(settings.collection, embedding_function=never_embed_function())
            collection.modify(configuration={"hnsw": {"ef_search": breadth}})
            client.close()  # a loaded HNSW index keeps its breadth: reopen to search with the new one
            client = open_client(copy)
            collection = client.get_collection(settings.collection, embedding_function=never_embed_function())
            recall, nearest, seconds = [], 0, 0.0
            for vector, truth in zip(vectors, exact, strict=True):
                start = time.perf_counter()
                found = collection.query(query_embeddings=[vector], n_results=POOL, include=[])["ids"][0]
                seconds += time.perf_counter() - start
                recall.append(len(set(found) & set(truth)) / POOL)
                nearest += found[0] == truth[0]
            print(
                f"ef_search {breadth:4d}: recall@{POOL} {np.mean(recall):.3f} (lowest {min(recall):.3f}), "
                f"nearest found {nearest / len(questions):.3f}, {1000 * seconds / len(questions):.1f} ms per search"
            )


if __name__ == "__main__":
    main()
