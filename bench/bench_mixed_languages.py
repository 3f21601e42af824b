"""Retrieval in an archive of two languages, with and without a search per language, side by side in one run.

The archive is an `assistant eval` index of XQuAD's English articles with the 1,028 German news articles of
10kGNAD beside them (build it once, below). Every XQuAD question is asked in German (xquad.de.json: about the
English articles, the cross-lingual case) and in English (xquad.en.json: the same-language case), through the
real `Assistant.retrieve`, once with the default retriever and once with one that never searches another
language than the question's (the retriever before per-language pools), alternating question by question so
that both see the same load. Prints hit@1 / hit@5 per part (tuning: articles 0-37; held out: 38-47), and the
retrieval latency p50 / p95 of both and their ratio. Questions about articles the eval left out are skipped.

Build:  assistant eval ../shared/data/xquad/xquad.en.json --distractors ../shared/data/10kgnad/test.csv \\
            --unanswerable 8 --index-dir eval-index-en
Run:    python bench/bench_mixed_languages.py --index-dir eval-index-en [--limit 400]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import time
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answering.retrieval import HybridRetriever, hybrid_retriever
from assistant.evaluation import SquadQuestion, hit_rank, load_squad, with_questions_from
from assistant.indexing.records import Records
from assistant.protocols import KeywordSearch, VectorStore

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "xquad"
TUNING_ARTICLES = 38


def one_language_only(store: VectorStore, keyword: KeywordSearch, records: Records) -> HybridRetriever:
    """The default retriever, except that it never searches another language than the question's."""
    retriever = hybrid_retriever(store, keyword, records)
    retriever.has_language = lambda language: False
    return retriever


def questions(asked_in: str) -> list[SquadQuestion]:
    english = load_squad(DATA / "xquad.en.json")
    squad = with_questions_from(english, load_squad(DATA / f"xquad.{asked_in}.json")) if asked_in != "en" else english
    return [q for article in squad for paragraph in article.paragraphs for q in paragraph.questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0, help="ask at most N questions per language, evenly spread")
    args = parser.parse_args()
    settings = Settings(index_dir=args.index_dir)
    variants = {"per language": Assistant(settings), "one language": Assistant(settings, retriever=one_language_only)}
    indexed = {a.id for a in variants["per language"].records().articles()}
    for asked_in in ("de", "en"):
        asked = [q for q in questions(asked_in) if q.context_id in indexed]
        if args.limit:
            asked = asked[:: max(1, len(asked) // args.limit)][: args.limit]
        ranks: dict[str, list[tuple[int, int | None]]] = {name: [] for name in variants}
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        for question in asked:
            for name, assistant in variants.items():
                start = time.perf_counter()
                passages = assistant.retrieve(question.question, k=10)
                seconds[name].append(time.perf_counter() - start)
                ranks[name].append((question.article_index, hit_rank([p.text for p in passages], question.answers)))
        print(f"\n{asked_in} questions on English articles + German news ({len(asked)} questions)")
        print("| retriever | part | hit@1 | hit@5 | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
        for name in variants:
            p50, p95 = np.percentile(np.array(seconds[name]) * 1000, [50, 95])
            for part, tuning in (("tuning", True), ("held out", False)):
                found = [rank for article, rank in ranks[name] if (article < TUNING_ARTICLES) == tuning]
                hit1 = sum(rank == 1 for rank in found) / max(len(found), 1)
                hit5 = sum(rank is not None and rank <= 5 for rank in found) / max(len(found), 1)
                print(f"| {name} | {part} | {hit1:.3f} | {hit5:.3f} | {p50:.0f} | {p95:.0f} |")
        ratio = np.percentile(seconds["per language"], 50) / np.percentile(seconds["one language"], 50)
        print(f"p50 per language / one language: {ratio:.2f}")
    for assistant in variants.values():
        assistant.close()


if __name__ == "__main__":
    main()
