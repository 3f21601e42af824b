"""How much evidence do *unrelated* passages reach, as the index grows? The data behind `Abstention`.

An answerable question's evidence comes from its own article, whatever else the index holds; an
unanswerable question's evidence is the best of many near misses, and the more sentences an index holds the
likelier one resembles the question. This bench measures that on an `assistant eval` index (XQuAD-de +
10kGNAD): for random article subsets of growing size it takes the tuning questions (XQuAD articles 0-37),
removes their own XQuAD article from the subset, and records the best sentence evidence (e5 cosine + 0.1 x
IDF-weighted stem overlap, the answerer's sentence evidence without the keyword term) among the subset's
sentences. It prints, per size, the 50th and 90th percentiles and the fitted rise per doubling of the chunk
count, which `assistant.answering.Abstention.per_doubling` uses.

Run: python bench/bench_abstention.py --index-dir /tmp/eval-index-de [--qa ../shared/data/xquad/xquad.de.json]
     (build the index first with `assistant eval ... --distractors ../shared/data/10kgnad/test.csv --index-dir`)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import random
import sys
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answering import STEM_PREFIX, Weights, _QuestionTerms
from assistant.evaluation import load_squad
from assistant.keyword import tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _sentences(assistant: Assistant) -> tuple[np.ndarray, np.ndarray, list[frozenset[str]], dict[str, int]]:
    """Every sentence vector of the index, its article id, its stem prefixes; and chunks per article."""
    records = assistant._open_records(create=False)
    texts = {article.id: article.text for article in records.articles()}
    chunks = records.all_chunks()
    chunks_per_article: dict[str, int] = {}
    for chunk in chunks:
        chunks_per_article[chunk.article_id] = chunks_per_article.get(chunk.article_id, 0) + 1
    article_of_chunk = {chunk.id: chunk.article_id for chunk in chunks}
    vectors, articles, stems = [], [], []
    for chunk_id, sentences in records.sentences_of(article_of_chunk).items():
        article_id = article_of_chunk[chunk_id]
        for sentence in sentences:
            vectors.append(sentence.vector)
            articles.append(article_id)
            stems.append(frozenset(t[:STEM_PREFIX] for t in tokenize(texts[article_id][sentence.start : sentence.end])))
    return np.stack(vectors), np.array(articles), stems, chunks_per_article


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--qa", type=Path, default=SHARED / "data" / "xquad" / "xquad.de.json")
    parser.add_argument("--sizes", default="1,3,10,30,100,300,0", help="articles per subset; 0 = all")
    parser.add_argument("--tuning-articles", type=int, default=38)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.qa.exists():
        sys.exit(f"{args.qa} not found (the shared data sets are not part of the repo)")

    assistant = Assistant(Settings(index_dir=args.index_dir))
    assistant.keyword_index.ensure_current(assistant._open_records(create=False))
    vectors, article_of, stems, chunks_per_article = _sentences(assistant)
    all_articles = sorted(chunks_per_article)
    questions = [q for a in load_squad(args.qa) if a.index < args.tuning_articles for q in a.questions][::2]
    query_vectors = np.stack([assistant.embeddings.embed_query_array(q.question) for q in questions])
    overlap_weight = Weights().overlap
    rng = random.Random(args.seed)

    print("| articles | chunks (mean) | unanswerable evidence p50 | p90 |")
    print("|---|---|---|---|")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        evidence, chunk_counts = [], []
        for question, query_vector in zip(questions, query_vectors, strict=True):
            own = f"squad/{question.article_index}/"
            others = [a for a in all_articles if not a.startswith(own)]
            subset = others if size == 0 else rng.sample(others, min(size, len(others)))
            chunk_counts.append(sum(chunks_per_article[a] for a in subset))
            rows_in = np.flatnonzero(np.isin(article_of, subset))
            cosines = vectors[rows_in] @ query_vector
            terms = _QuestionTerms.of(question.question, assistant.keyword_index.idf)
            best = -1.0
            for i in np.argsort(-cosines)[:20]:
                shared = sum(w for stem, w in terms.idf.items() if stem[:STEM_PREFIX] in stems[rows_in[i]])
                best = max(best, float(cosines[i]) + overlap_weight * shared / terms.weight)
            evidence.append(best)
        chunks = float(np.mean(chunk_counts))
        p50, p90 = np.quantile(evidence, [0.5, 0.9])
        rows.append((chunks, p90))
        print(f"| {size or len(all_articles)} | {chunks:.0f} | {p50:.3f} | {p90:.3f} |", flush=True)
    slope = np.polyfit(np.log2([c for c, _ in rows]), [p for _, p in rows], 1)[0]
    print(f"\nrise of the 90th percentile per doubling of the chunk count: {slope:.4f}")


if __name__ == "__main__":
    main()
