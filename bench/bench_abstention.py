"""How much evidence do answerable and unanswerable questions reach as the index grows? The data behind
`Abstention`.

An unanswerable question's evidence is the best of many near misses: the more sentences an index holds, the
likelier one of them resembles the question. An answerable question's evidence comes from its own article,
but how far that article's passage stands out of the other candidates also depends on how many there are.
This bench measures both on an `assistant eval` index (XQuAD-de + 10kGNAD): for random article subsets of
growing size it asks each XQuAD question (a) with its own paragraph added to the subset and (b) with its
whole XQuAD article removed, and records the answerer's evidence (`Weights.evidence`: best sentence of the
top 3 passages, keyword match and standout of the top passage). The question path is replayed on the
subset in memory through the library (`assistant.answering.replay`: `HybridRetriever` and
`ExtractiveAnswerer.weigh` over a view of the index, with the full index's IDF), so thousands of subset
indexes need no re-embedding and the bench measures the code that answers.

It prints, per size and for the tuning (XQuAD articles 0-37) and held-out (38-47) questions: the
evidence 95% of answerable questions reach, the evidence 90% of unanswerable ones stay below, and the
shares answered and abstained at `Abstention().threshold_for(chunks)`; then the range of per-doubling
slopes that keeps the calibrated threshold between the two at every size on the tuning questions. With
--second-look it also replays `SecondLook` (token alignment of near calls; slow, so with --every 3 for a third
of the questions) and prints the shares answered and abstained by the whole rule at every size: on the
index of `--unanswerable 8`, tuning / held out, abstention held or rose at every size (at all 4,551 chunks from
0.875 to 0.894 and from 0.946 to 0.973), answering at most 0.8 points less (0.947 -> 0.943, 0.932 -> 0.959).

Run: python bench/bench_abstention.py --index-dir eval-index-de [--qa ../shared/data/xquad/xquad.de.json]
     python bench/bench_abstention.py --index-dir eval-index-de --second-look --sizes 1,10,100,300,0 --every 3
     (build the index first with `assistant eval ... --distractors ../shared/data/10kgnad/test.csv --index-dir`)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import math
import random
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answering.asking import make_question
from assistant.answering.extractive import Abstention, ExtractiveAnswerer, SecondLook
from assistant.answering.replay import IndexSnapshot, replay
from assistant.evaluation import load_squad
from assistant.question import Question

SHARED = Path(__file__).resolve().parents[2] / "shared"
TUNING_ARTICLES = 38
SECOND_LOOK = SecondLook()


def evidences(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer, question: Question, vector: np.ndarray, allowed: np.ndarray
) -> tuple[float, float]:
    """The answerer's evidence if the index held only the `allowed` chunks, and its `SecondLook` evidence (NaN
    when the answerer has no second look or the call was clear)."""
    _, weighing = replay(snapshot.view(allowed), answerer, question, vector)
    looked_again = weighing.threshold != weighing.first_threshold
    return weighing.first_evidence, weighing.evidence if looked_again else math.nan


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
    records = assistant.records()
    keyword = assistant.keyword_index.ensure_current(records)
    snapshot = IndexSnapshot.of(assistant.vector_store(), records, keyword)
    chunk_article = snapshot.article_ids()
    articles = sorted(set(chunk_article.tolist()))
    indexed = set(articles)  # `assistant eval --unanswerable` leaves some articles out
    questions = [q for a in load_squad(args.qa) for q in a.questions if q.context_id in indexed][:: args.every]
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    answerer = ExtractiveAnswerer(
        assistant.embeddings, idf=keyword.idf, second_look=SECOND_LOOK if args.second_look else None
    )
    # (size, tuning?) -> chunk counts, answerable evidence, unanswerable evidence
    found: dict[tuple[int, bool], tuple[list[int], list[tuple[float, float]], list[tuple[float, float]]]] = {}
    for question in tqdm(questions, desc="questions", file=sys.stderr):
        asked = make_question(question.question, k=10)
        vector = assistant.embeddings.embed_query_array(asked.text)
        own_article = f"squad/{question.article_index}/"
        own_paragraph = f"{own_article}{question.paragraph_index}"
        others = [a for a in articles if not a.startswith(own_article)]
        for size in sizes:
            subset = others if size == 0 else rng.sample(others, min(size, len(others)))
            without = np.isin(chunk_article, subset)
            with_own = np.ones_like(without) if size == 0 else without | (chunk_article == own_paragraph)
            key = (size, question.article_index < TUNING_ARTICLES)
            counts, answerable, unanswerable = found.setdefault(key, ([], [], []))
            counts.append(int(without.sum()))
            answerable.append(evidences(snapshot, answerer, asked, vector, with_own))
            unanswerable.append(evidences(snapshot, answerer, asked, vector, without))

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
