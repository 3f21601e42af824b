"""The extractive answerer: the sentences of the retrieved passages that best answer, quoted verbatim.

No language model ships inside any PyPI package, so the default answer is made of the article's own
sentences. Quotes are cut from the passages by offsets, so ``article.text[start:end] == quote.text`` holds
by construction.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.answers import Answer, Passage, Quote
from assistant.chunking import Span, split_sentences
from assistant.language import guess_language

NOT_IN_ARTICLES = {
    "de": "Dazu sagen die Artikel nichts. Unten stehen die Passagen, die der Frage am nächsten kommen.",
    "en": "The articles don't say. The passages closest to the question are listed below.",
}


class PassageEmbedder(Protocol):
    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


class Answerer(Protocol):
    """A stage that turns retrieved passages into an `Answer` (extractive here; generative elsewhere)."""

    def answer(self, question: str, query_vector: np.ndarray, passages: list[Passage]) -> Answer: ...


@dataclass(frozen=True)
class _Candidate:
    passage_rank: int
    span: Span  # offsets into the article
    score: float


class ExtractiveAnswerer:
    """Scores the sentences of the top passages against the question and quotes the best one or two."""

    def __init__(
        self,
        embedder: PassageEmbedder,
        *,
        min_passage_score: float = 0.80,
        candidate_passages: int = 3,
        max_quotes: int = 2,
        second_quote_margin: float = 0.015,
        sentence_splitter: Callable[[str], list[Span]] = split_sentences,
    ) -> None:
        self.embedder = embedder
        self.min_passage_score = min_passage_score
        self.candidate_passages = candidate_passages
        self.max_quotes = max_quotes
        self.second_quote_margin = second_quote_margin
        self.split = sentence_splitter
        self._sentence_cache: OrderedDict[str, tuple[list[Span], np.ndarray]] = OrderedDict()

    def answer(self, question: str, query_vector: np.ndarray, passages: list[Passage]) -> Answer:
        language = guess_language(question)
        if not passages or passages[0].score < self.min_passage_score:
            return Answer(question, NOT_IN_ARTICLES[language], True, [], passages, language)
        chosen = self._choose(query_vector, passages)
        quotes = [_quote(passages[c.passage_rank], c) for c in chosen]
        text = " ".join(f"{q.text} [{n}]" for n, q in enumerate(quotes, start=1))
        return Answer(question, text, False, quotes, passages, language)

    def _choose(self, query_vector: np.ndarray, passages: list[Passage]) -> list[_Candidate]:
        candidates = sorted(self._candidates(query_vector, passages), key=lambda c: -c.score)
        chosen = candidates[:1]
        for candidate in candidates[1 : self.max_quotes]:
            if candidate.score >= chosen[0].score - self.second_quote_margin:
                chosen.append(candidate)
        return sorted(chosen, key=lambda c: (c.passage_rank, c.span.start))

    def _candidates(self, query_vector: np.ndarray, passages: list[Passage]) -> list[_Candidate]:
        found = []
        for rank, passage in enumerate(passages[: self.candidate_passages]):
            spans, vectors = self._sentences(passage)
            similarities = vectors @ query_vector
            for span, similarity in zip(spans, similarities, strict=True):
                # The passage's own score breaks ties towards the passage retrieval trusted most.
                score = 0.75 * float(similarity) + 0.25 * passage.score
                found.append(_Candidate(rank, Span(passage.start + span.start, passage.start + span.end), score))
        return found

    def _sentences(self, passage: Passage) -> tuple[list[Span], np.ndarray]:
        """Sentence spans (relative to the passage) and their vectors, cached per chunk."""
        key = passage.chunk_id or f"{passage.article_id}:{passage.start}:{passage.text}"
        if key in self._sentence_cache:
            self._sentence_cache.move_to_end(key)
            return self._sentence_cache[key]
        spans = self.split(passage.text) or [Span(0, len(passage.text))]
        vectors = self.embedder.embed_passages_array([s.of(passage.text) for s in spans])
        self._sentence_cache[key] = (spans, vectors)
        if len(self._sentence_cache) > 4096:
            self._sentence_cache.popitem(last=False)
        return spans, vectors


def _quote(passage: Passage, candidate: _Candidate) -> Quote:
    relative = Span(candidate.span.start - passage.start, candidate.span.end - passage.start)
    return Quote(
        text=relative.of(passage.text),
        article_id=passage.article_id,
        start=candidate.span.start,
        end=candidate.span.end,
        score=candidate.score,
        title=passage.title,
        source=passage.source,
        published=passage.published,
    )
