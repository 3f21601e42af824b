"""The decline model's coverage and nearness for a question in another language than its articles.

In one language they are read off shared word stems: how much of the question the detail's sentence covers, and
how close the detail stands to a question word. An English question shares no stem with a German sentence, so
both were 0 across languages and the cross-language model leaned on margins alone: it declined "Who was to
mediate the talks?" with "unter Vermittlung Katars" in hand. The encoder's token states bridge the languages
("talks" lies near "Gespräche", "Pusch" near "Pusch"): a question word is found in a sentence when one of its
tokens has a close token there, and where that token stands is where the question's word stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.answering.details import Sentence, nearness_at
from assistant.chunking import Span
from assistant.embeddings.alignment import FUNCTION_WORDS, TokenAligner

MATCH = 0.83
"""The cosine at which two tokens are taken for the same word: translations ("talks", "Gespräche") reach 0.85,
while any token of a question finds some token of any sentence at 0.70-0.80 (docs/answer-quality.md)."""
MIN_WORD = 3
"""Shorter words (the "s" of "Heinsberg's") match some token of every sentence."""
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class BridgedSignals:
    """The cross-language readings of `DetailSignals.holder_coverage`, `holder_distinctive` and `nearness`."""

    coverage: float
    distinctive: float
    nearness: float


def bridged_signals(
    aligner: TokenAligner,
    question: str,
    holder: tuple[Sentence, ...],
    scanned: list[Sentence],
    details: tuple[Span, ...],
) -> BridgedSignals:
    """Coverage of the question's content words by the `holder` sentences (a candidate and the one after it that
    holds the detail), the same share with each word weighted by how few of the `scanned` candidates hold it,
    and how near the `details` stand to a word of the question (`details.nearness`)."""
    words = _question_words(aligner, question)
    if not words:
        return BridgedSignals(0.0, 0.0, 0.0)
    states = aligner.embedder.passage_token_states([s.text for s in holder])
    found = np.zeros(len(words), dtype=bool)
    at: list[int] = []
    for sentence, state in zip(holder, states, strict=True):
        found |= _found(words, state.vectors)
        near = np.zeros(len(state.vectors), dtype=bool)
        for word in words:
            near |= (word @ state.vectors.T).max(axis=0) >= MATCH
        at += [sentence.span.start + state.spans[n][0] for n in np.flatnonzero(near)]
    holders = np.zeros(len(words))
    for vectors in aligner.sentence_states([s.text for s in scanned]):
        holders += _found(words, vectors)
    weights = 1.0 / (1.0 + holders)
    return BridgedSignals(
        float(found.mean()),
        float(weights @ found / weights.sum()),
        nearness_at(details, at),
    )


def _question_words(aligner: TokenAligner, question: str) -> list[np.ndarray]:
    """The token vectors of each content word of the question (no function word, no short word)."""
    states = aligner.embedder.query_token_states(question)
    words = [
        m.span()
        for m in _WORD.finditer(question)
        if len(m.group()) >= MIN_WORD and m.group().lower() not in FUNCTION_WORDS
    ]
    groups = [[n for n, (a, b) in enumerate(states.spans) if a < end and start < b] for start, end in words]
    return [states.vectors[group] for group in groups if group]


def _found(words: list[np.ndarray], sentence: np.ndarray) -> np.ndarray:
    """Per question word, whether one of its tokens has a close token in the sentence."""
    if len(sentence) == 0:
        return np.zeros(len(words), dtype=bool)
    return np.array([float((word @ sentence.T).max()) >= MATCH for word in words])
