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
slopes that keeps the calibrated threshold between the two at every size on the tuning questions. With
--second-look it also replays `SecondLook` (token alignment of near calls; slow, so with --every 3 for a third
of the questions) and prints the shares answered and abstained by the whole rule at every size: on the
index of `--unanswerable 8`, tuning / held out, abstention held or rose at every size (at all 4,551 chunks from
0.875 to 0.894 and from 0.946 to 0.973), answering at most 0.8 points less (0.947 -> 0.943, 0.932 -> 0.959).

Run: python bench/bench_abstention.py --index-dir /tmp/eval-index-de [--qa ../shared/data/xquad/xquad.de.json]
     python bench/bench_abstention.py --index-dir /tmp/eval-index-de --second-look --sizes 1,10,100,300,0 --every 3
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
from assistant.answering.extractive import (
    ALIGNED_SENTENCES,
    Abstention,
    QuestionTerms,
    SecondLook,
    Weights,
    stem_prefixes,
)
from assistant.answering.retrieval import FusionWeights, fused_scores
from assistant.embeddings.alignment import AlignedQuestion, TokenAligner
from assistant.evaluation import load_squad
from assistant.indexing.keyword_index import tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared"
TUNING_ARTICLES = 38
SECOND_LOOK = SecondLook()


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
    sentence_texts: list[str]
    sentence_owner: np.ndarray  # per sentence row: its chunk


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
    rows, owner, stems, sentence_texts = [], [], [], []
    for n, chunk in enumerate(chunks):
        for sentence in sentences[chunk.id]:
            rows.append(sentence.vector)
            owner.append(n)
            sentence_texts.append(texts[chunk.article_id][sentence.start : sentence.end])
            stems.append(stem_prefixes(sentence_texts[-1]))
    owner_array = np.array(owner)
    return IndexArrays(
        chunk_vectors=np.stack([vectors[i] for i in ids]),
        chunk_article=np.array([chunk.article_id for chunk in chunks]),
        keyword_position=np.array([assistant.keyword_index.position(i) for i in ids]),
        sentence_vectors=np.stack(rows),
        sentence_stems=stems,
        first_sentence=np.searchsorted(owner_array, np.arange(len(ids))),
        last_sentence=np.searchsorted(owner_array, np.arange(len(ids)), side="right"),
        sentence_texts=sentence_texts,
        sentence_owner=owner_array,
    )


@dataclass
class QuestionScores:
    """One question's scores against every chunk and sentence of the full index."""

    dense: np.ndarray
    keyword: np.ndarray
    best_sentence: np.ndarray
    sentence: np.ndarray
    terms: QuestionTerms
    aligned: AlignedQuestion | None = None  # the question's token states, for the second look


def replay_evidence(
    index: IndexArrays, q: QuestionScores, allowed: np.ndarray, pool: int = 40, aligner: TokenAligner | None = None
) -> tuple[float, float]:
    """The answerer's evidence if the index held only the `allowed` chunks (as `HybridRetriever` does it), and
    its `SecondLook` evidence (NaN without an `aligner` or for a clear call)."""
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
    rows = [
        s for chunk in candidates[order[:3]] for s in range(index.first_sentence[chunk], index.last_sentence[chunk])
    ]
    for s in rows:
        overlap = q.terms.share_of(index.sentence_stems[s])
        best = max(best, weights.sentence * float(q.sentence[s]) + weights.overlap * overlap)
    top = candidates[order[0]]
    evidence = weights.evidence(best, float(q.keyword[top]) / q.terms.weight, float(fused[order[0]]))
    near = abs(evidence - Abstention().threshold_for(int(allowed.sum()))) < SECOND_LOOK.band
    if aligner is None or q.aligned is None or not rows or not near:
        return evidence, math.nan  # the answerer aligns only near calls
    wanted = set(np.argsort([-float(q.sentence[s]) for s in rows])[:ALIGNED_SENTENCES].tolist())
    starts = [s == index.first_sentence[index.sentence_owner[s]] for s in rows]
    covered = aligner.covered(
        q.aligned, [index.sentence_texts[s] for s in rows], starts, [n in wanted for n in range(len(rows))]
    )
    return evidence, SECOND_LOOK.evidence(
        evidence, float(fused[order[0]]), float(covered.in_context.max()), weights.standout_from
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--qa", type=Path, default=SHARED / "data" / "xquad" / "xquad.de.json")
    parser.add_argument("--sizes", default="1,3,10,30,100,300,0", help="articles per subset; 0 = all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--second-look", action="store_true", help="also replay `SecondLook` (token alignment)")
    parser.add_argument("--every", type=int, default=1, help="ask every n-th question only (the second look is slow)")
    args = parser.parse_args()
    if not args.qa.exists():
        sys.exit(f"{args.qa} not found (the shared data sets are not part of the repo)")

    assistant = Assistant(Settings(index_dir=args.index_dir))
    assistant.keyword_index.ensure_current(assistant.records())
    index = load_arrays(assistant)
    articles = sorted(set(index.chunk_article.tolist()))
    indexed = set(index.chunk_article.tolist())  # `assistant eval --unanswerable` leaves some articles out
    questions = [q for a in load_squad(args.qa) for q in a.questions if q.context_id in indexed][:: args.every]
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    aligner = TokenAligner(assistant.embeddings, cache_size=10**6) if args.second_look else None
    # (size, tuning?) -> chunk counts, answerable evidence, unanswerable evidence
    found: dict[tuple[int, bool], tuple[list[int], list[tuple[float, float]], list[tuple[float, float]]]] = {}
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
            aligner.question(question.question) if aligner else None,
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
            answerable.append(replay_evidence(index, scores, with_own, aligner=aligner))
            unanswerable.append(replay_evidence(index, scores, without, aligner=aligner))

    abstention = Abstention()
    print_sizes(found, sizes, len(articles), abstention.threshold, abstention.per_doubling, abstention.threshold_for)
    if args.second_look:
        print("\nThe second look's evidence of near calls, its threshold, and the shares the whole rule decides:\n")
        print_sizes(
            found, sizes, len(articles), SECOND_LOOK.threshold, SECOND_LOOK.per_doubling,
            lambda chunks: SECOND_LOOK.threshold_for(chunks, abstention.reference_chunks), second=True,
        )  # fmt: skip


def decided(evidence: np.ndarray, second: np.ndarray, chunks: int) -> np.ndarray:
    """Whether each question is answered, as the answerer decides (a near call by its second look)."""
    threshold = Abstention().threshold_for(chunks)
    near = np.abs(evidence - threshold) < SECOND_LOOK.band
    return np.where(
        near, second >= SECOND_LOOK.threshold_for(chunks, Abstention().reference_chunks), evidence >= threshold
    )


def nan_quantile(values: np.ndarray, q: float) -> float:
    """The quantile of the values that are not NaN (the second look's evidence exists only for near calls)."""
    found = values[~np.isnan(values)]
    return float(np.quantile(found, q)) if len(found) else math.nan


def print_sizes(found, sizes, articles, threshold0, per_doubling, threshold_for, *, second: bool = False) -> None:
    """Per size: where answerable and unanswerable evidence lie, the threshold, the shares answered and abstained
    (by the whole rule with `second`), and the slopes that keep the threshold between the two percentiles."""
    print("| questions | articles | chunks | answerable p5 | unanswerable p90 | threshold | answered | abstained |")
    print("|---|---|---|---|---|---|---|---|")
    slope_low, slope_high = 0.0, math.inf
    for tuning in (True, False):
        for size in sizes:
            counts, answerable, unanswerable = (np.array(v) for v in found[(size, tuning)])
            chunks = float(counts.mean())
            threshold = threshold_for(round(chunks))
            which = 1 if second else 0
            p5, p90 = nan_quantile(answerable[:, which], 0.05), nan_quantile(unanswerable[:, which], 0.9)
            if second:
                answered = decided(answerable[:, 0], answerable[:, 1], round(chunks))
                abstained = ~decided(unanswerable[:, 0], unanswerable[:, 1], round(chunks))
            else:
                answered, abstained = answerable[:, 0] >= threshold, unanswerable[:, 0] < threshold
            print(
                f"| {'tuning' if tuning else 'held out'} | {size or articles} | {chunks:.0f} | {p5:.3f} | "
                f"{p90:.3f} | {threshold:.3f} | {np.mean(answered):.3f} | {np.mean(abstained):.3f} |",
                flush=True,
            )
            doublings = math.log2(Abstention().reference_chunks / chunks)
            if tuning and doublings > 1:
                slope_low = max(slope_low, (threshold0 - p5) / doublings)
                slope_high = min(slope_high, (threshold0 - p90) / doublings)
    if second:  # percentiles of near calls only: the hard cases by construction, so no slope fits between them
        print(f"\n(the second look's percentiles are of near calls only; its slope in use: {per_doubling})")
        return
    print(
        f"\nper-doubling slopes that keep the threshold between the tuning p90 and p5 at every smaller size: "
        f"{slope_low:.4f} to {slope_high:.4f} (in use: {per_doubling})"
    )


if __name__ == "__main__":
    main()
