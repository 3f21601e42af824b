"""Replay the question path for German and English questions on the German eval index, to fit and check the
answerer's weights across languages without re-running `assistant eval` (minutes per try instead of an hour).

For every XQuAD question, asked in German (xquad.de.json) and in English (xquad.en.json, same ids, same gold
answers that stand in the German text), it replays the question path through the library
(`assistant.answering.replay`: `HybridRetriever` and `ExtractiveAnswerer.weigh` over an in-memory view of an
`assistant eval` index, XQuAD-de + 10kGNAD; the question vectors can be cached), (a) on the whole index and
(b) with the question's own XQuAD article removed (it must abstain), and prints hit@5, quote hit, answered and
abstained per language and per part: tuning (XQuAD articles 0-37) and held out (38-47); articles that
`assistant eval --unanswerable` left out of the index count only as unanswerable. Every weight and threshold
is chosen on the tuning part only; the table of coverage thresholds below it is what `Abstention.aligned` was
chosen from.

On the full eval index (4,558 chunks, `--unanswerable 8`, float32 encoder), English questions, tuning / held
out: without alignment (--no-align) quote_hit 0.595 / 0.614, answered 0.839 / 0.845, abstained 0.766 / 0.818;
with token alignment 0.654 / 0.650, 0.903 / 0.882, 0.775 / 0.827 (hit@5 0.960 / 0.968 either way). On the
index of the default int8 encoder, with quotes that carry the sentence before when the alignment leans on it:
quote_hit 0.684 / 0.677 (0.654 / 0.650 without that), answered 0.902 / 0.882, abstained 0.770 / 0.823, hit@5
0.957 / 0.959; German questions 0.738 / 0.750, 0.956 / 0.955, 0.899 / 0.927 (unchanged).
Tried on the tuning part and dropped: intermediate encoder layers, centred token vectors, rarity weights,
F-score, a lexicon of words embedded alone, adding the previous evidence, margins, rank agreement and
one-to-one token matches to the abstention evidence (docs/decisions.md, "Across languages"; the features of
those tries left this bench when it moved onto the library's question path).

German questions' near calls get the answerer's second look (`SecondLook`; --no-second-look for the first
look alone): tuning / held out answered 0.956 / 0.955, abstained 0.911 / 0.945 (0.899 / 0.927 before). Its
checks: --proxy asks English questions as if they were German (no alignment, no cross-lingual threshold):
answered 0.548 / 0.527 instead of 0.472 / 0.418, abstained 0.965 / 0.986 (0.974 / 0.986); and English
questions on an XQuAD-en eval index (--articles en --questions en): 0.975 / 0.977 answered both ways,
abstained 0.869 / 0.932 (0.861 / 0.927).

Run: python bench/bench_crosslingual.py --index-dir eval-index-de [--cache scores.pkl] [--no-align]
     python bench/bench_crosslingual.py --index-dir eval-index-de --cache scores.pkl --proxy --questions en
     python bench/bench_crosslingual.py --index-dir eval-index-en --cache en.pkl --articles en --questions en
     python bench/bench_crosslingual.py --index-dir eval-index-de --latency 200 [--questions de]  (answer step)
     (build the index with `assistant eval ../shared/data/xquad/xquad.de.json --distractors
     ../shared/data/10kgnad/test.csv --unanswerable 8 --index-dir eval-index-de`)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import dataclasses
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answering.asking import make_question
from assistant.answering.extractive import ExtractiveAnswerer, SecondLook
from assistant.answering.replay import IndexSnapshot, SubsetView, replay
from assistant.evaluation import contains_any, is_quote_hit, load_squad, with_questions_from
from assistant.question import Question

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_answers import never_declining

SHARED = Path(__file__).resolve().parents[2] / "shared"
TUNING_ARTICLES = 38
POOL = 40
SECOND_LOOK = SecondLook()


@dataclass
class Asked:
    """One question and its vector (cached)."""

    id: str
    language: str  # of the question file
    article_index: int
    answers: tuple[str, ...]
    question: str
    vector: np.ndarray


def embed_questions(assistant: Assistant, contexts: Path, files: dict[str, Path]) -> list[Asked]:
    """Every question of `files` (parallel to `contexts`, by id), with the gold answers of `contexts`."""
    indexed = load_squad(contexts)
    asked = []
    for language, path in files.items():
        questions = [q for a in with_questions_from(indexed, load_squad(path)) for q in a.questions]
        for q in tqdm(questions, desc=language, file=sys.stderr):
            vector = assistant.embeddings.embed_query_array(q.question)
            asked.append(Asked(q.id, language, q.article_index, q.answers, q.question, vector))
    return asked


@dataclass
class Replayed:
    hit_rank: int | None
    evidence: float  # before any second look (on the coverage scale for an aligned question)
    cross: bool
    aligned: bool
    answered: bool  # as the answerer decides (a near call by its second look)
    quote_hit: bool  # the first quote holds a gold answer (the quote as chosen, whether or not answered)
    second: float | None = None  # the `SecondLook` evidence of a near call in the articles' language


def replay_one(view: SubsetView, answerer: ExtractiveAnswerer, q: Asked, question: Question) -> Replayed:
    """Retrieval and answer of one question on the index `view` shows, through the library's question path."""
    passages, weighing = replay(view, answerer, question, q.vector)
    hit = next((n for n, p in enumerate(passages, 1) if contains_any(p.text, q.answers)), None)
    quoted = dataclasses.replace(weighing, evidence=weighing.threshold)  # quoted whatever the evidence
    answer = never_declining(answerer).answer_weighed(quoted) if weighing.candidates else None
    quote = answer.quotes[0].text if answer is not None and answer.quotes else None
    looked_again = weighing.threshold != weighing.first_threshold
    return Replayed(
        hit,
        weighing.first_evidence,
        weighing.cross,
        weighing.aligned,
        not weighing.abstains,
        is_quote_hit(quote, q.answers),
        weighing.evidence if looked_again else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--cache", type=Path, help="keep the questions' scores in this file for the next run")
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "xquad")
    parser.add_argument("--dump", type=Path, help="write every replayed feature to this pickle")
    parser.add_argument("--no-align", action="store_true", help="cross-lingual questions without token alignment")
    parser.add_argument("--articles", default="de", help="the language of the indexed XQuAD file (de or en)")
    parser.add_argument("--questions", default="de,en", help="the languages of the question files asked")
    parser.add_argument(
        "--proxy", action="store_true", help="weigh questions in another language as if in the articles' language"
    )
    parser.add_argument("--every", type=int, default=1, help="replay every n-th question only (a quick look)")
    parser.add_argument("--no-second-look", action="store_true", help="decide near calls as before (SecondLook)")
    parser.add_argument("--latency", type=int, metavar="N", help="only time the answer step of N English questions")
    args = parser.parse_args()
    assistant = Assistant(Settings(index_dir=args.index_dir))
    records = assistant.records()
    keyword = assistant.keyword_index.ensure_current(records)
    if args.latency:
        language = args.questions.split(",")[-1]  # English by default, German with --questions de
        asked = [q for a in load_squad(args.data / f"xquad.{language}.json") for q in a.questions]
        print_latency(assistant, [q.question for q in asked[:: max(1, len(asked) // args.latency)]], language)
        return
    snapshot = IndexSnapshot.of(assistant.vector_store(), records, keyword)
    chunk_article = snapshot.article_ids()
    if args.cache and args.cache.exists():
        asked = pickle.loads(args.cache.read_bytes())
    else:
        files = {language: args.data / f"xquad.{language}.json" for language in args.questions.split(",")}
        asked = embed_questions(assistant, args.data / f"xquad.{args.articles}.json", files)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(asked))
    asked = [q for q in asked if q.language in args.questions.split(",")][:: args.every]
    embedder = VectorsOnly(assistant.embeddings) if args.no_align else assistant.embeddings
    answerer = ExtractiveAnswerer(embedder, idf=keyword.idf, second_look=None if args.no_second_look else SECOND_LOOK)
    present = {int(a.split("/")[1]) for a in set(chunk_article.tolist()) if a.startswith("squad/")}
    whole = snapshot.view()
    rows = []
    for q in tqdm(asked, desc="replay", file=sys.stderr):
        question = make_question(q.question, k=10)
        if args.proxy:  # weighed as if asked in the articles' language
            question = dataclasses.replace(question, language=args.articles)
        own = np.char.startswith(chunk_article.astype(str), f"squad/{q.article_index}/")
        rows.append(
            (q, replay_one(whole, answerer, q, question), replay_one(snapshot.view(~own), answerer, q, question))
        )
    if args.dump:
        args.dump.write_bytes(pickle.dumps([(q.id, q.language, q.article_index, a, u) for q, a, u in rows]))
    print("| questions | part | hit@5 | quote_hit | answered | abstained |")
    print("|---|---|---|---|---|---|")
    for language in args.questions.split(","):
        for part, chosen in (("tuning", True), ("held out", False)):
            group = [
                (a, u, q.article_index in present)
                for q, a, u in rows
                if q.language == language and (q.article_index < TUNING_ARTICLES) == chosen
            ]
            held = [a for a, _, indexed in group if indexed]  # `assistant eval --unanswerable` left some out
            hit5 = np.mean([a.hit_rank is not None and a.hit_rank <= 5 for a in held])
            answered = np.array([a.answered for a in held])
            quote = np.mean(np.array([a.quote_hit for a in held]) & answered)
            abstained = np.mean([not u.answered for _, u, _ in group])
            print(f"| {language} | {part} | {hit5:.3f} | {quote:.3f} | {answered.mean():.3f} | {abstained:.3f} |")
    if not args.no_align:
        print_aligned_fit(rows, present)


class VectorsOnly:
    """The same embedder without token states, as a LangChain `Embeddings` a user brings would be."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.inner.embed_passages_array(texts, show_progress)


def print_latency(assistant: Assistant, questions: list[str], language: str) -> None:
    """The answer step's time per question, alternating, on the same passages (retrieval is the same for both):
    English questions with and without token alignment, German ones with and without the second look at near
    calls; sentence states are not reused across questions (a cold cache)."""
    base = assistant.answerer
    variants = (
        {"aligned": (assistant.embeddings, SECOND_LOOK), "stems only": (VectorsOnly(assistant.embeddings), None)}
        if language == "en"
        else {"second look": (assistant.embeddings, SECOND_LOOK), "first look only": (assistant.embeddings, None)}
    )
    times: dict[str, list[float]] = {name: [] for name in variants}
    for question in tqdm(questions, desc="latency", file=sys.stderr):
        vector = assistant.embeddings.embed_query_array(question)
        passages = assistant.retrieve(question, k=10)
        for name, (embedder, look) in variants.items():
            answerer = ExtractiveAnswerer(
                embedder, sentences=base.sentences, idf=base.idf, index_size=base.index_size, second_look=look
            )
            start = time.perf_counter()
            answerer.answer(question, vector, passages)
            times[name].append(1000 * (time.perf_counter() - start))
    for name, values in times.items():
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        print(f"{name}: answer step p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms over {len(values)} questions")


def print_aligned_fit(rows: list[tuple], present: set[int]) -> None:
    """Answered and abstained shares of the English questions per coverage threshold (`Abstention.aligned`),
    by part: the threshold is the highest-answering one that abstains on the tuning part at least as often as
    the evidence without alignment did (0.766 at -0.088)."""
    english = [(q, a, u) for q, a, u in rows if q.language == "en"]
    print(
        "\n| coverage threshold | answered (tuning) | abstained (tuning) | answered (held out) | abstained (held out) |"
    )
    print("|---|---|---|---|---|")
    for threshold in np.arange(0.76, 0.86, 0.005):
        shares = []
        for chosen in (True, False):
            part = [(q, a, u) for q, a, u in english if (q.article_index < TUNING_ARTICLES) == chosen]
            answered = np.mean([a.evidence >= threshold for q, a, _ in part if q.article_index in present])
            abstained = np.mean([u.evidence < threshold for _, _, u in part])
            shares += [answered, abstained]
        print(f"| {threshold:.3f} | " + " | ".join(f"{x:.3f}" for x in shares) + " |")


if __name__ == "__main__":
    main()
