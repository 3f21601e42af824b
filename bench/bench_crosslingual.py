"""Replay the question path for German and English questions on the German eval index, to fit and check the
answerer's weights across languages without re-running `assistant eval` (minutes per try instead of an hour).

For every XQuAD question, asked in German (xquad.de.json) and in English (xquad.en.json, same ids, same gold
answers that stand in the German text), it scores once against every chunk and sentence of an `assistant
eval` index (XQuAD-de + 10kGNAD) and caches the scores. Then it replays retrieval (the retriever's candidate
pool and z-score fusion) and the answerer (sentence scores, token alignment of cross-lingual questions,
abstention evidence, quote choice) in memory, (a) on the whole index and (b) with the question's own XQuAD
article removed (it must abstain), and prints hit@5, quote hit, answered and abstained per language and per
part: tuning (XQuAD articles 0-37) and held out (38-47); articles that `assistant eval --unanswerable` left
out of the index count only as unanswerable. Every weight and threshold is chosen on the tuning part only;
the table of coverage thresholds below it is what `Abstention.aligned` was chosen from.

On the full eval index (4,558 chunks, `--unanswerable 8`, float32 encoder), English questions, tuning / held
out: without alignment (--no-align) quote_hit 0.595 / 0.614, answered 0.839 / 0.845, abstained 0.766 / 0.818;
with token alignment 0.654 / 0.650, 0.903 / 0.882, 0.775 / 0.827 (hit@5 0.960 / 0.968 either way). On the
index of the default int8 encoder, with quotes that carry the sentence before when the alignment leans on it:
quote_hit 0.684 / 0.677 (0.654 / 0.650 without that), answered 0.902 / 0.882, abstained 0.770 / 0.823, hit@5
0.957 / 0.959; German questions 0.738 / 0.750, 0.956 / 0.955, 0.899 / 0.927 (unchanged).
Tried on the tuning part and dropped: intermediate encoder layers, centred token vectors, rarity weights,
F-score, a lexicon of words embedded alone, adding the previous evidence, margins, rank agreement and
one-to-one token matches to the abstention evidence (docs/decisions.md, "Across languages").

German questions' near calls get the answerer's second look (`SecondLook`; --no-second-look for the first
look alone): tuning / held out answered 0.956 / 0.955, abstained 0.911 / 0.945 (0.899 / 0.927 before). Its
checks: --proxy weighs English questions as if they were German (no alignment, no cross-lingual threshold):
answered 0.548 / 0.527 instead of 0.472 / 0.418, abstained 0.965 / 0.986 (0.974 / 0.986); and English
questions on an XQuAD-en eval index (--articles en --questions en): 0.975 / 0.977 answered both ways,
abstained 0.869 / 0.932 (0.861 / 0.927).

Run: python bench/bench_crosslingual.py --index-dir /tmp/eval-index-de [--cache scores.pkl] [--no-align]
     python bench/bench_crosslingual.py --index-dir /tmp/eval-index-de --cache scores.pkl --proxy --questions en
     python bench/bench_crosslingual.py --index-dir /tmp/eval-index-en --cache en.pkl --articles en --questions en
     python bench/bench_crosslingual.py --index-dir /tmp/eval-index-de --latency 200 [--questions de]  (answer step)
     (build the index with `assistant eval ../shared/data/xquad/xquad.de.json --distractors
     ../shared/data/10kgnad/test.csv --unanswerable 8 --index-dir /tmp/eval-index-de`)
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import pickle
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answering.extractive import (
    ALIGNED,
    ALIGNED_SENTENCES,
    CROSS_LINGUAL,
    MAX_QUOTE_CHARS,
    REFERS_BACK,
    Abstention,
    ExtractiveAnswerer,
    QuestionTerms,
    SecondLook,
    Weights,
)
from assistant.answering.retrieval import fused_scores, fusion_weights_for
from assistant.embeddings.alignment import AlignedQuestion, Covered, TokenAligner
from assistant.evaluation import contains_any, load_squad, with_questions_from
from assistant.indexing.keyword_index import tokenize
from assistant.language import cross_lingual

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_abstention import load_arrays

SHARED = Path(__file__).resolve().parents[2] / "shared"
TUNING_ARTICLES = 38
POOL = 40
SECOND_LOOK = SecondLook()


@dataclass
class Asked:
    """One question's scores against the whole index (cached)."""

    id: str
    language: str  # of the question file
    article_index: int
    answers: tuple[str, ...]
    question: str
    dense: np.ndarray
    keyword: np.ndarray
    sentence: np.ndarray  # float16, every sentence of the index


def score_questions(assistant: Assistant, index, contexts: Path, files: dict[str, Path]) -> list[Asked]:
    """Every question of `files` (parallel to `contexts`, by id), with the gold answers of `contexts`."""
    indexed = load_squad(contexts)
    asked = []
    for language, path in files.items():
        questions = [q for a in with_questions_from(indexed, load_squad(path)) for q in a.questions]
        for q in tqdm(questions, desc=language, file=sys.stderr):
            vector = assistant.embeddings.embed_query_array(q.question)
            _, keyword = assistant.keyword_index.scores(tokenize(q.question))
            asked.append(
                Asked(
                    q.id, language, q.article_index, q.answers, q.question,
                    (index.chunk_vectors @ vector).astype(np.float32), keyword[index.keyword_position],
                    (index.sentence_vectors @ vector).astype(np.float16),
                )
            )  # fmt: skip
    return asked


@dataclass
class Replayed:
    hit_rank: int | None
    evidence: float
    threshold_features: dict[str, float]
    quote_hit: bool
    sentences: list[tuple]
    ranked: np.ndarray  # the best chunks, best first (the top 10)
    fused: np.ndarray  # their fused scores
    coverage: np.ndarray | None = None  # per sentence row: token-alignment coverage (aligned questions only)
    second: float | None = None  # the `SecondLook` evidence of a near call in the articles' language


def replay(
    index,
    texts,
    spans,
    idf,
    q: Asked,
    allowed: np.ndarray,
    weights: Weights,
    fusion_for,
    aligner: Aligning | None,
    threshold: float = -np.inf,
    *,
    proxy: bool = False,
) -> Replayed:
    """Retrieval and answer of one question if the index held only the `allowed` chunks; a question in the
    articles' language whose evidence is within `SecondLook.band` of `threshold` gets the second look. With
    `proxy`, a question in another language is weighed as if it were in the articles' language."""  # fmt: skip
    chunks = np.flatnonzero(allowed)
    dense_top = chunks[np.argsort(-q.dense[chunks])[:POOL]]
    in_dense = set(dense_top.tolist())
    keyword_top = chunks[np.argsort(-q.keyword[chunks])[: 2 * POOL]]
    fresh = [c for c in keyword_top.tolist() if q.keyword[c] > 0 and c not in in_dense][:POOL]
    candidates = np.concatenate([dense_top, np.array(fresh, dtype=int)])
    sentence = q.sentence.astype(np.float32)
    best_sentence = np.array(
        [
            sentence[index.first_sentence[c] : index.last_sentence[c]].max()
            if index.last_sentence[c] > index.first_sentence[c]
            else q.dense[c]
            for c in candidates
        ]
    )
    fusion = fusion_for(q.question, [texts[c] for c in candidates[np.argsort(-q.dense[candidates])[:5]]])
    fused = fused_scores(q.dense[candidates], q.keyword[candidates], best_sentence, fusion)
    order = np.argsort(-fused)
    ranked = candidates[order]
    hit = next((n for n, c in enumerate(ranked[:10], 1) if contains_any(texts[c], q.answers)), None)
    terms = QuestionTerms.of(q.question, idf)
    top3 = ranked[:3]
    cross = cross_lingual(q.question, [texts[top3[0]]]) and not proxy
    rows = sentence_rows(index, spans, terms, sentence, top3, fused[order[:3]], q.answers)
    parts = aligner.coverage(q.question, spans, rows) if cross and aligner else None
    covered = parts.in_context if parts is not None else None
    w = ALIGNED if covered is not None else CROSS_LINGUAL if cross else Weights()
    aligned = covered if covered is not None else np.zeros(len(rows))
    quote_scores = [
        w.sentence * r[0] + w.distinctive * r[1] + w.in_context * r[2] + w.passage * r[3] + w.coverage * c
        for r, c in zip(rows, aligned, strict=True)
    ]
    chosen = int(np.argmax(quote_scores))
    best = rows[chosen]
    top = ranked[0]
    features = {
        "best": max(w.sentence * r[0] + w.overlap * r[4] for r in rows),
        "cosine": max(r[0] for r in rows),
        "keyword": float(q.keyword[top]) / terms.weight,
        "fused": float(fused[order[0]]),
        "cross": float(cross),
        "second": float(fused[order[1]]) if len(order) > 1 else 0.0,
        "pool": float(len(candidates)),
    }
    features.update(pool_features(index, q, candidates, best_sentence, fused, order))
    features.update(name_features(q.question, [texts[c] for c in top3], [r for r in rows]))
    features["aligned"] = float(covered is not None)
    evidence = w.evidence(features["best"], features["keyword"], features["fused"])
    if covered is not None:
        evidence = float(covered.max())
    holds = quote_holds(spans, best, q.answers, leans=parts is not None and parts.leans_on_previous(chosen))
    second = None
    if not cross and aligner is not None and abs(evidence - threshold) < SECOND_LOOK.band:
        best_coverage = float(aligner.coverage(q.question, spans, rows).in_context.max())
        second = SECOND_LOOK.evidence(evidence, features["fused"], best_coverage, w.standout_from)
        features["coverage"] = best_coverage
    return Replayed(hit, evidence, features, holds, rows, ranked[:10], fused[order[:10]], covered, second)


class Aligning:
    """The answerer's token alignment (`assistant.embeddings.alignment`), with every sentence's states kept for the run
    and each question's tokens computed once (answerable and unanswerable replays share them)."""

    def __init__(self, embedder) -> None:
        self.aligner = TokenAligner(embedder, cache_size=10**6)
        self.questions: dict[str, AlignedQuestion] = {}

    def coverage(self, question: str, spans: list[str], rows: list[tuple]) -> Covered:
        """Each row's coverage of the question, as the answerer aligns them (`ExtractiveAnswerer._covered`)."""
        if question not in self.questions:
            self.questions[question] = self.aligner.question(question)
        sentences, starts = [spans[r[6]] for r in rows], [r[7] for r in rows]
        best = set(np.argsort([r[0] for r in rows])[::-1][:ALIGNED_SENTENCES].tolist())
        wanted = [n in best for n in range(len(rows))]
        return self.aligner.covered(self.questions[question], sentences, starts, wanted)


def quote_holds(spans: list[str], best: tuple, answers: tuple[str, ...], *, leans: bool = False) -> bool:
    """Whether the quote made of the best sentence (with the one before when it refers back, or when its
    alignment `leans` on that one) holds an answer."""
    text, s, first = spans[best[6]], best[6], best[7]
    joined = leans or REFERS_BACK.search(text)
    if not first and joined and len(spans[s - 1]) + 1 + len(text) <= MAX_QUOTE_CHARS:
        text = f"{spans[s - 1]} {text}"
    return len(text) <= MAX_QUOTE_CHARS and contains_any(text, answers)


_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b(?:[A-ZÄÖÜ][\w-]+|\w*\d[\w.,]*)")


def question_names(question: str) -> set[str]:
    """Names and numbers of a question (capitalized words not opening it, tokens with digits), lowercased."""
    return {m.group(0).lower().strip(".,") for m in _NAME.finditer(question.strip())}


def name_features(question: str, top_texts: list[str], rows) -> dict[str, float]:
    names = question_names(question)
    if not names:
        return {"names": 0.0, "names_top": 0.0, "names_any": 0.0}
    words = [set(re.findall(r"[\w.,-]+", t.lower())) | set(re.findall(r"\w+", t.lower())) for t in top_texts]
    return {
        "names": float(len(names)),
        "names_top": sum(n in words[0] for n in names) / len(names),
        "names_any": sum(any(n in w for w in words) for n in names) / len(names),
    }


def pool_features(index, q: Asked, candidates, best_sentence, fused, order) -> dict[str, float]:
    """Scale-free evidence: how the top candidate stands out of the retrieval pool."""
    ranked_articles = index.chunk_article[candidates[order]]
    other = next((i for i, a in enumerate(ranked_articles) if a != ranked_articles[0]), None)
    spread = best_sentence.std() + 1e-9
    dense = q.dense[candidates]
    return {
        "sent_z": float((best_sentence[order[0]] - best_sentence.mean()) / spread),
        "sent_max_z": float((best_sentence.max() - best_sentence.mean()) / spread),
        "dense_z": float((dense[order[0]] - dense.mean()) / (dense.std() + 1e-9)),
        "gap": float(fused[order[0]] - fused[order[1]]),
        "gap_article": float(fused[order[0]] - fused[order[other]]) if other is not None else 0.0,
        "sent_gap": float(best_sentence.max() - np.median(best_sentence)),
        "agree": float(np.argmax(dense) == np.argmax(best_sentence) == order[0]),
    }


def sentence_rows(index, spans, terms, sentence, top3, fused_top3, answers) -> list[tuple]:
    """Per candidate sentence: cosine, distinctive share, the same with the sentence before, passage score,
    plain overlap share, whether it holds a gold answer."""
    stems_of = [[index.sentence_stems[s] for s in range(index.first_sentence[c], index.last_sentence[c])] for c in top3]
    distinctive = terms.distinctive_among([stems for group in stems_of for stems in group])
    rows = []
    for c, passage_score in zip(top3, fused_top3, strict=True):
        before: set[str] = set()
        for s in range(index.first_sentence[c], index.last_sentence[c]):
            stems = index.sentence_stems[s]
            rows.append(
                (
                    float(sentence[s]), distinctive.share_of(stems), distinctive.share_of(stems | before),
                    float(passage_score), terms.share_of(stems), contains_any(spans[s], answers),
                    s, s == index.first_sentence[c],
                )
            )  # fmt: skip
            before = stems
    return rows


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
    parser.add_argument("--no-second-look", action="store_true", help="decide near calls as before (SecondLook)")
    parser.add_argument("--latency", type=int, metavar="N", help="only time the answer step of N English questions")
    args = parser.parse_args()
    assistant = Assistant(Settings(index_dir=args.index_dir))
    assistant.keyword_index.ensure_current(assistant.records())
    index = load_arrays(assistant)
    records = assistant.records()
    articles = {a.id: a.text for a in records.articles()}
    chunks = records.all_chunks()
    texts = [articles[c.article_id][c.start : c.end] for c in chunks]
    sentences = records.sentences_of([c.id for c in chunks])
    spans = [articles[c.article_id][s.start : s.end] for c in chunks for s in sentences[c.id]]
    if args.latency:
        language = args.questions.split(",")[-1]  # English by default, German with --questions de
        asked = [q for a in load_squad(args.data / f"xquad.{language}.json") for q in a.questions]
        print_latency(assistant, [q.question for q in asked[:: max(1, len(asked) // args.latency)]], language)
        return
    if args.cache and args.cache.exists():
        asked = pickle.loads(args.cache.read_bytes())
    else:
        files = {language: args.data / f"xquad.{language}.json" for language in args.questions.split(",")}
        asked = score_questions(assistant, index, args.data / f"xquad.{args.articles}.json", files)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(asked))
    asked = [q for q in asked if q.language in args.questions.split(",")]
    weights, abstention = Weights(), Abstention()
    fusion_for = fusion_weights_for

    aligner = None if args.no_align else Aligning(assistant.embeddings)
    near = -np.inf if args.no_second_look else abstention.threshold_for(len(chunks))  # where near calls lie

    def threshold_of(replayed: Replayed) -> float:
        cross, aligned = (bool(replayed.threshold_features[k]) for k in ("cross", "aligned"))
        return abstention.threshold_for(len(chunks), cross_lingual=cross, aligned=aligned)

    def answers(replayed: Replayed) -> bool:
        """As the answerer decides: a near call by its second look (replayed only within the band)."""
        if replayed.second is not None:
            return replayed.second >= SECOND_LOOK.threshold_for(len(chunks), abstention.reference_chunks)
        return replayed.evidence >= threshold_of(replayed)

    present = {int(a.split("/")[1]) for a in set(index.chunk_article.tolist()) if a.startswith("squad/")}
    rows = []
    for q in tqdm(asked, desc="replay", file=sys.stderr):
        own = np.char.startswith(index.chunk_article.astype(str), f"squad/{q.article_index}/")
        idf = assistant.keyword_index.idf
        answerable, unanswerable = (
            replay(index, texts, spans, idf, q, allowed, weights, fusion_for, aligner, near, proxy=args.proxy)
            for allowed in (np.ones(len(chunks), bool), ~own)
        )
        rows.append((q, answerable, unanswerable))
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
            answered = np.array([answers(a) for a in held])
            quote = np.mean(np.array([a.quote_hit for a in held]) & answered)
            abstained = np.mean([not answers(u) for _, u, _ in group])
            print(f"| {language} | {part} | {hit5:.3f} | {quote:.3f} | {answered.mean():.3f} | {abstained:.3f} |")
    if aligner is not None:
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
