"""How much evidence do answerable and unanswerable questions reach as the index grows? The data behind
`Abstention`.

An unanswerable question's evidence is the best of many near misses: the more sentences an index holds, the
likelier one of them resembles the question. An answerable question's evidence comes from its own article,
but how far that article's passage stands out of the other candidates also depends on how many there are.
This bench measures both on an `assistant eval` index (XQuAD-de + 10kGNAD): for random article subsets of
growing size it asks each XQuAD question (a) with its own paragraph added to the subset and (b) with its
whole XQuAD article removed, and records the answerer's evidence (`Weights.evidence`: best sentence of the
top 3 passages, keyword match and standout of the top passage). The question path is replayed on the
subset in memory (the retriever's candidate pool, z-score fusion and sentence scores, with the full
index's IDF), so thousands of subset indexes need no re-embedding.

It prints, per size and for the tuning (XQuAD articles 0-37) and held-out (38-47) questions: the
evidence 95% of answerable questions reach, the evidence 90% of unanswerable ones stay below, and the
shares answered and abstained at `Abstention().threshold_for(chunks)`; then the range of per-doubling
slopes that keeps the calibrated threshold between the two at every size on the tuning questions.

Run: python bench/bench_abstention.py --index-dir /tmp/eval-index-de [--qa ../shared/data/xquad/xquad.de.json]
     (build the index first with `assistant eval ... --distractors ../shared/data/10kgnad/test.csv --index-dir`)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.evaluation import load_squad
from assistant.extractive import Abstention, QuestionTerms, Weights, stem_prefixes
from assistant.keyword import tokenize
from assistant.retrieval import FusionWeights, fused_scores

SHARED = Path(__file__).resolve().parents[2] / "shared"
TUNING_ARTICLES = 38


@dataclass
class IndexArrays:
    """Everything the replayed question path needs, in memory: chunk and sentence vectors, stems, BM25 order."""

    chunk_vectors: np.ndarray
    chunk_article: np.ndarray
    keyword_position: np.ndarray
    sentence_vectors: np.ndarray
    sentence_stems: list[set[str]]
    first_sentence: np.ndarray  # per chunk: its sentences are rows first..last-1
    last_sentence: np.ndarray


def load_arrays(assistant: Assistant) -> IndexArrays:
    records = assistant.records()
    texts = {article.id: article.text for article in records.articles()}
    chunks = records.all_chunks()
    ids = [chunk.id for chunk in chunks]
    vectors: dict[str, np.ndarray] = {}
    store = assistant.vector_store()
    for lo in range(0, len(ids), 500):
        vectors.update((stored.id, vector) for stored, vector in store.fetch(ids[lo : lo + 500]))
    sentences = records.sentences_of(ids)
    rows, owner, stems = [], [], []
    for n, chunk in enumerate(chunks):
        for sentence in sentences[chunk.id]:
            rows.append(sentence.vector)
            owner.append(n)
            stems.append(stem_prefixes(texts[chunk.article_id][sentence.start : sentence.end]))
    owner_array = np.array(owner)
    return IndexArrays(
        chunk_vectors=np.stack([vectors[i] for i in ids]),
        chunk_article=np.array([chunk.article_id for chunk in chunks]),
        keyword_position=np.array([assistant.keyword_index.position(i) for i in ids]),
        sentence_vectors=np.stack(rows),
        sentence_stems=stems,
        first_sentence=np.searchsorted(owner_array, np.arange(len(ids))),
        last_sentence=np.searchsorted(owner_array, np.arange(len(ids)), side="right"),
    )


@dataclass
class QuestionScores:
    """One question's scores against every chunk and sentence of the full index."""

    dense: np.ndarray
    keyword: np.ndarray
    best_sentence: np.ndarray
    sentence: np.ndarray
    terms: QuestionTerms


def replay_evidence(index: IndexArrays, q: QuestionScores, allowed: np.ndarray, pool: int = 40) -> float:
    """The answerer's evidence if the index held only the `allowed` chunks (as `HybridRetriever` does it)."""
    chunks = np.flatnonzero(allowed)
    dense_top = chunks[np.argsort(-q.dense[chunks])[:pool]]
    in_dense = set(dense_top.tolist())
    keyword_top = chunks[np.argsort(-q.keyword[chunks])[: 2 * pool]]
    fresh = [c for c in keyword_top.tolist() if q.keyword[c] > 0 and c not in in_dense][:pool]
    candidates = np.concatenate([dense_top, np.array(fresh, dtype=int)])
    fused = fused_scores(q.dense[candidates], q.keyword[candidates], q.best_sentence[candidates], FusionWeights())
    order = np.argsort(-fused)
    weights = Weights()
    best = -1.0
    for chunk in candidates[order[:3]]:
        for s in range(index.first_sentence[chunk], index.last_sentence[chunk]):
            overlap = q.terms.share_of(index.sentence_stems[s])
            best = max(best, weights.sentence * float(q.sentence[s]) + weights.overlap * overlap)
    top = candidates[order[0]]
    return weights.evidence(best, float(q.keyword[top]) / q.terms.weight, float(fused[order[0]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--qa", type=Path, default=SHARED / "data" / "xquad" / "xquad.de.json")
    parser.add_argument("--sizes", default="1,3,10,30,100,300,0", help="articles per subset; 0 = all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.qa.exists():
        sys.exit(f"{args.qa} not found (the shared data sets are not part of the repo)")

    assistant = Assistant(Settings(index_dir=args.index_dir))
    assistant.keyword_index.ensure_current(assistant.records())
    index = load_arrays(assistant)
    articles = sorted(set(index.chunk_article.tolist()))
    questions = [q for a in load_squad(args.qa) for q in a.questions]
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    # (size, tuning?) -> chunk counts, answerable evidence, unanswerable evidence
    found: dict[tuple[int, bool], tuple[list[int], list[float], list[float]]] = {}
    has_sentences = index.last_sentence > index.first_sentence
    for question in tqdm(questions, desc="questions", file=sys.stderr):
        vector = assistant.embeddings.embed_query_array(question.question)
        _, keyword = assistant.keyword_index.scores(tokenize(question.question))
        dense = index.chunk_vectors @ vector
        sentence = index.sentence_vectors @ vector
        best_sentence = dense.copy()
        best_sentence[has_sentences] = np.maximum.reduceat(sentence, index.first_sentence[has_sentences])
        scores = QuestionScores(
            dense, keyword[index.keyword_position], best_sentence, sentence,
            QuestionTerms.of(question.question, assistant.keyword_index.idf),
        )  # fmt: skip
        own_article = f"squad/{question.article_index}/"
        own_paragraph = f"{own_article}{question.paragraph_index}"
        others = [a for a in articles if not a.startswith(own_article)]
        for size in sizes:
            subset = others if size == 0 else rng.sample(others, min(size, len(others)))
            without = np.isin(index.chunk_article, subset)
            with_own = np.ones_like(without) if size == 0 else without | (index.chunk_article == own_paragraph)
            key = (size, question.article_index < TUNING_ARTICLES)
            counts, answerable, unanswerable = found.setdefault(key, ([], [], []))
            counts.append(int(without.sum()))
            answerable.append(replay_evidence(index, scores, with_own))
            unanswerable.append(replay_evidence(index, scores, without))

    abstention = Abstention()
    print("| questions | articles | chunks | answerable p5 | unanswerable p90 | threshold | answered | abstained |")
    print("|---|---|---|---|---|---|---|---|")
    slope_low, slope_high = 0.0, math.inf
    for tuning in (True, False):
        for size in sizes:
            counts, answerable, unanswerable = (np.array(v) for v in found[(size, tuning)])
            chunks = float(counts.mean())
            threshold = abstention.threshold_for(round(chunks))
            p5, p90 = float(np.quantile(answerable, 0.05)), float(np.quantile(unanswerable, 0.9))
            print(
                f"| {'tuning' if tuning else 'held out'} | {size or len(articles)} | {chunks:.0f} | {p5:.3f} | "
                f"{p90:.3f} | {threshold:.3f} | {np.mean(answerable >= threshold):.3f} | "
                f"{np.mean(unanswerable < threshold):.3f} |",
                flush=True,
            )
            doublings = math.log2(abstention.reference_chunks / chunks)
            if tuning and doublings > 1:
                slope_low = max(slope_low, (abstention.threshold - p5) / doublings)
                slope_high = min(slope_high, (abstention.threshold - p90) / doublings)
    print(
        f"\nper-doubling slopes that keep the threshold between the tuning p90 and p5 at every smaller size: "
        f"{slope_low:.4f} to {slope_high:.4f} (in use: {abstention.per_doubling})"
    )


if __name__ == "__main__":
    main()
