"""From a question to the passages most likely to hold the answer: dense e5 vectors fused with BM25."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.asking import as_question
from assistant.answers import Passage
from assistant.indexing.store import Hit, StoredChunk
from assistant.language import LANGUAGES, cross_lingual, guess_language
from assistant.protocols import KeywordSearch, VectorStore
from assistant.question import Question, SearchFilter

if TYPE_CHECKING:
    from assistant.indexing.records import Records


SentenceMatrices = Callable[[list[str]], dict[str, np.ndarray]]
"""Given chunk ids, each chunk's sentence vectors as a matrix (from the record)."""
HasLanguage = Callable[[str], bool]
"""Whether the index holds articles in a language (from the record)."""
CurrentChunks = Callable[[Iterable[str]], set[str]]
"""Given chunk ids, those of committed articles: what a killed writer left in the store is never a candidate,
and neither is a chunk the keyword index still names after its article changed."""


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the z-normalized signals; fitted on XQuAD-de articles 0-37 with 10kGNAD distractors,
    checked on articles 38-47 (docs/decisions.md)."""

    dense: float = 0.40  # cosine of question and chunk
    keyword: float = 0.25  # BM25 on German stems
    sentence: float = 0.35  # best cosine of question and one of the chunk's sentences


CROSS_LINGUAL_FUSION = FusionWeights(dense=0.40, keyword=0.15, sentence=0.45)
"""For a question in another language than the articles it finds (fitted like `FusionWeights`, on English
questions about XQuAD-de articles 0-37): BM25 on the articles' stems sees only the names and numbers."""
LANGUAGE_SAMPLE = 5
"""The articles' language is the majority language of this many best dense candidates."""
OTHER_LANGUAGE_MARGIN = 0.2
"""In an archive of two languages, how much further (in fused z-score) a passage in another language than the
question must stand out of its language to rank level with one in the question's language: the smallest
margin at which English questions gained, while German questions' hit@5 falls as the margin grows; chosen on
XQuAD articles 0-37, the sweep in docs/decisions.md ("Archives in two languages")."""
WIDER_FIRST_SEARCH = 3
"""In an archive of two languages the first search asks for 3x the candidates: when the other language's
nearest are among them, they spare the search restricted to it (on the eval archive a plain search of 120
took 8 ms, one restricted to its larger language 20 ms: it scans most of the archive)."""
MIN_LANGUAGE_GROUP = 10
"""Candidates in other languages are normalized among themselves when there are at least this many of them and
of the question's language; fewer are too few to tell a language's own level of scores."""


def fusion_weights_for(question: Question | str, nearest_texts: list[str]) -> FusionWeights:
    """The fusion weights for `question` over these candidates: cross-lingual when most of the nearest ones are
    in another language than the question."""
    asked = as_question(question)
    if cross_lingual(asked.text, nearest_texts[:LANGUAGE_SAMPLE], asked=asked.language):
        return CROSS_LINGUAL_FUSION
    return FusionWeights()


@dataclass
class _Candidate:
    chunk: StoredChunk
    dense: float
    keyword: float
    sentence: float = 0.0
    fused: float = 0.0


class HybridRetriever:
    """Weighted fusion of z-normalized chunk-dense, BM25 and best-sentence scores over the candidates of both.

    Reciprocal-rank fusion throws the score gaps away; weighting normalized scores beat it here, and the
    best single sentence catches answers that a whole chunk's vector dilutes (hit@1 0.922 -> 0.936 on the
    tuning set).
    """

    def __init__(
        self,
        store: VectorStore,
        keyword: KeywordSearch,
        *,
        sentence_matrices: SentenceMatrices | None = None,
        current: CurrentChunks | None = None,
        has_language: HasLanguage | None = None,
        weights: FusionWeights | None = None,
        candidates: int = 40,
    ) -> None:
        self.store = store
        self.keyword = keyword
        self.sentence_matrices = sentence_matrices
        self.current = current
        self.has_language = has_language  # None: every language is searched
        self.weights = weights  # None: chosen per question (`fusion_weights_for`)
        self.candidates = candidates

    def retrieve(
        self, question: Question | str, query_vector: np.ndarray, k: int, search_filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The `k` best passages; a `search_filter` given here wins over the question's own."""
        question = as_question(question)
        search_filter = search_filter or question.search_filter
        where = search_filter.to_where() if search_filter else None
        n = max(self.candidates, k)
        asked = question.language
        other_languages = self._other_languages_held(asked)
        nearest = self.store.search(query_vector, n * WIDER_FIRST_SEARCH if other_languages else n, where)
        found = self._dense_candidates(nearest[:n])
        weights = self.weights or fusion_weights_for(question, [c.chunk.text for c in found.values()])
        chunk_ids, keyword_scores = self.keyword.scores(list(question.stems))
        allowed = self.store.matching_ids(where) if where else None
        self._add_keyword_candidates(found, chunk_ids, keyword_scores, allowed, query_vector, n)
        others = self._nearest_in(other_languages, nearest, query_vector, n, where, found, keyword_scores)
        self._add_sentence_scores(found | others, query_vector)
        ranked = _fuse(list(found.values()), weights)
        if other_languages:
            foreign_weights = self.weights or CROSS_LINGUAL_FUSION
            ranked = _rank_across_languages(ranked, list(others.values()), asked, weights, foreign_weights)
        return [_passage(c) for c in ranked[:k]]

    def _dense_candidates(self, hits: list[Hit]) -> dict[str, _Candidate]:
        kept = self.current(hit.id for hit in hits) if self.current else {hit.id for hit in hits}
        return {
            hit.id: _Candidate(StoredChunk(hit.id, hit.text, hit.metadata), hit.score, 0.0)
            for hit in hits
            if hit.id in kept
        }

    def _other_languages_held(self, asked: str) -> list[str]:
        """The languages other than the question's that the archive holds, if it holds the question's too (an
        archive in one language needs no second search: its nearest chunks are all in it)."""
        holds = self.has_language or (lambda language: True)
        if not holds(asked):
            return []
        return [language for language in LANGUAGES if language != asked and holds(language)]

    def _nearest_in(
        self,
        languages: list[str],
        nearest: list[Hit],
        query_vector: np.ndarray,
        n: int,
        where: dict[str, object] | None,
        found: dict[str, _Candidate],
        keyword_scores: np.ndarray,
    ) -> dict[str, _Candidate]:
        """The `n` nearest chunks of each of `languages` that are not `found` already: from the first search
        when it holds that many, else from a search restricted to the language.

        e5 puts text in the question's own language closer to it: for 300 German questions about XQuAD's
        English articles, with 1,028 German news articles beside them, the answering passage was among the 10
        nearest chunks for 59% of them, and among the 10 that stood out most of their own language's 40
        nearest for 96% (dense vectors alone). An index made before the language tags searches as it did
        until `assistant index` tags it."""
        others: dict[str, _Candidate] = {}
        for language in languages:
            hits = [hit for hit in nearest if hit.metadata.get("language") == language][:n]
            if len(hits) < n:
                hits = self.store.search(query_vector, n, _in_language(where, language))
            others.update(self._dense_candidates([hit for hit in hits if hit.id not in found]))
        self._give_keyword_scores(others.values(), keyword_scores)
        return others

    def _give_keyword_scores(self, candidates: Iterable[_Candidate], scores: np.ndarray) -> None:
        """Each dense candidate's BM25 score for this question (0 for a chunk the keyword index lacks)."""
        position = self.keyword.position
        for candidate in candidates:
            i = position(candidate.chunk.id)
            candidate.keyword = float(scores[i]) if i is not None else 0.0

    def _add_keyword_candidates(
        self,
        found: dict[str, _Candidate],
        chunk_ids: Sequence[str],
        scores: np.ndarray,
        allowed: set[str] | None,
        query_vector: np.ndarray,
        n: int,
    ) -> None:
        """Give dense candidates their BM25 score; add the best BM25 chunks dense search missed."""
        self._give_keyword_scores(found.values(), scores)
        order = _top(scores, n * 2)
        fresh = {chunk_ids[i]: float(scores[i]) for i in order if scores[i] > 0 and chunk_ids[i] not in found}
        wanted = [cid for cid in fresh if allowed is None or cid in allowed]
        if self.current:
            kept = self.current(wanted)
            wanted = [cid for cid in wanted if cid in kept]
        wanted = wanted[:n]
        for chunk, vector in self.store.fetch(wanted):
            found[chunk.id] = _Candidate(chunk, float(vector @ query_vector), fresh[chunk.id])

    def _add_sentence_scores(self, found: dict[str, _Candidate], query_vector: np.ndarray) -> None:
        matrices = self.sentence_matrices(list(found)) if self.sentence_matrices else {}
        for chunk_id, candidate in found.items():
            matrix = matrices.get(chunk_id)
            candidate.sentence = float((matrix @ query_vector).max()) if matrix is not None else candidate.dense


def hybrid_retriever(store: VectorStore, keyword: KeywordSearch, records: Records) -> HybridRetriever:
    """The default `RetrieverFactory`: fusion over the store and keyword views of this question, with the
    record's sentence vectors, and only chunks of committed articles as candidates."""
    return HybridRetriever(
        store,
        keyword,
        sentence_matrices=records.sentence_matrix,
        current=records.current_chunk_ids,
        has_language=records.has_language,
    )


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest scores, best first, without sorting all of them (the question path)."""
    if len(scores) <= n:
        return np.argsort(-scores)
    best = np.argpartition(-scores, n)[:n]
    return best[np.argsort(-scores[best])]


def _zscores(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def fused_scores(dense: np.ndarray, keyword: np.ndarray, sentence: np.ndarray, weights: FusionWeights) -> np.ndarray:
    """The candidates' fused scores: a weighted sum of each signal's z-scores among the candidates."""
    return weights.dense * _zscores(dense) + weights.keyword * _zscores(keyword) + weights.sentence * _zscores(sentence)


def _fuse(candidates: list[_Candidate], weights: FusionWeights) -> list[_Candidate]:
    if not candidates:
        return []
    fused = fused_scores(
        np.array([c.dense for c in candidates]),
        np.array([c.keyword for c in candidates]),
        np.array([c.sentence for c in candidates]),
        weights,
    )
    for candidate, score in zip(candidates, fused, strict=True):
        candidate.fused = float(score)
    return sorted(candidates, key=lambda c: -c.fused)


def _in_language(where: dict[str, object] | None, language: str) -> dict[str, object]:
    clause: dict[str, object] = {"language": language}
    return {"$and": [where, clause]} if where else clause


def _language_of(chunk: StoredChunk) -> str:
    """The article's language as tagged at indexing, else guessed from the chunk (an untagged index)."""
    return str(chunk.metadata.get("language") or guess_language(chunk.text))


def _rank_across_languages(
    ranked: list[_Candidate],
    others: list[_Candidate],
    asked: str,
    weights: FusionWeights,
    foreign_weights: FusionWeights,
) -> list[_Candidate]:
    """Merge the other languages' nearest chunks into the question's ranking.

    The question's language keeps the scores it had: its candidates are fused among the first search's pool
    as in an archive of one language. A passage in another language scores lower on every signal, the answer
    and its near misses alike, so those are fused among themselves (z-scores say how far a passage stands out
    of its own language, which both languages share), with `foreign_weights`, and must stand out by
    `OTHER_LANGUAGE_MARGIN` more. With fewer than `MIN_LANGUAGE_GROUP` candidates of either side, all are
    fused together with the first search's `weights`."""
    pool = ranked + others
    foreign = [c for c in pool if _language_of(c.chunk) != asked]
    if min(len(foreign), len(pool) - len(foreign)) < MIN_LANGUAGE_GROUP:
        return _fuse(pool, weights)
    _fuse(foreign, foreign_weights)
    for candidate in foreign:
        candidate.fused -= OTHER_LANGUAGE_MARGIN
    return sorted(pool, key=lambda c: -c.fused)


def _passage(candidate: _Candidate) -> Passage:
    meta = candidate.chunk.metadata
    return Passage(
        article_id=meta["article_id"],
        title=meta.get("title", ""),
        text=candidate.chunk.text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=candidate.fused,
        source=meta.get("source", ""),
        published=meta.get("published") or None,
        url=meta.get("url", ""),
        chunk_id=candidate.chunk.id,
        dense_score=candidate.dense,
        keyword_score=candidate.keyword,
    )
