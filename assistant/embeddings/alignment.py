"""Token alignment across languages: how well a sentence covers a question's words, token by token.

An English question shares no word stems with a German article, so the keyword share that tells an answer
from a near miss in one language is blind across two. The encoder's last-layer token states are aligned
across languages for many words ("talks" lies near "Gespräche", 0.85), so a question's content word that has a
close token in a sentence is covered by it, whatever the language (BERTScore's recall). Not for all: "mediate"
meets "Vermittlung" at 0.65, below the 0.70-0.78 that any token finds somewhere (docs/answer-quality.md).
The states are computed at question time for the few candidate sentences only: the index keeps one vector
per sentence, not one per token. The same float32 run gives each text's sentence vector too (`TokenStates.pooled`),
whose cosines do not depend on how the index was built (`Covered.cosines`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from assistant.protocols import Embedder, TokenEmbedder

_WORD = re.compile(r"\w+")
FUNCTION_WORDS = frozenset(
    # English
    "a an the and or but if than then as at by for from in into of on to with about between "
    "is are was were be been being has have had do does did can could should would will shall may might must "
    "who whom whose what which when where why how that this these those there it its they them their he his "
    "she her we our you your i not no any some many much more most other such also one "
    # German
    "der die das des dem den ein eine einer eines einem einen und oder aber als wie wenn dann so "
    "in im an am auf aus bei mit nach von vom zu zum zur für über unter vor durch gegen seit um bis zwischen "
    "ist sind war waren wird werden wurde wurden hat haben hatte hatten sein kann können konnte soll sollte "
    "sollten muss musste will wollte wer wen wem wessen was welche welcher welches welchen wann wo warum wieso "
    "weshalb es er sie wir ihr ihm ihn ihre sein seine sich nicht kein keine auch noch viele viel mehr man".split()
)
"""Words that carry no content of a question in either language; they would match any sentence."""


@dataclass(frozen=True)
class TokenStates:
    """One text's token states: L2-normalized last-layer vectors (n, dim), without special and prompt tokens,
    and each token's character span in the text (without the prompt)."""

    vectors: np.ndarray
    spans: tuple[tuple[int, int], ...]
    pooled: np.ndarray | None = None  # the text's sentence vector from the same run (`kept_token_states`)


def kept_token_states(
    vectors: np.ndarray, offsets: list[tuple[int, int]], prompt_chars: int, every_state: np.ndarray | None = None
) -> TokenStates:
    """The states of the tokens an embedder kept, L2-normalized, with spans counted after the prompt (one home for
    the ONNX and sentence-transformers embedders, whose token states must agree); given the states of every token
    (prompt and special ones too), their L2-normalized mean as well: the text's e5 sentence vector, exactly."""
    kept = np.array(vectors, dtype=np.float32)
    kept /= np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)
    spans = tuple((max(start - prompt_chars, 0), end - prompt_chars) for start, end in offsets)
    if every_state is None:
        return TokenStates(kept, spans)
    pooled = np.asarray(every_state, dtype=np.float32).mean(axis=0)
    return TokenStates(kept, spans, pooled / max(float(np.linalg.norm(pooled)), 1e-12))


@dataclass(frozen=True)
class AlignedQuestion:
    """A question's token vectors and the weight of each (1 for tokens of content words, else 0)."""

    vectors: np.ndarray
    weights: np.ndarray
    pooled: np.ndarray | None = None  # its sentence vector (`TokenStates.pooled`)


@dataclass(frozen=True)
class Covered:
    """Per sentence, the question's coverage by it with the sentence before it (`in_context`) and by it alone
    (`alone`); where the first is higher, some question word is matched best in the sentence before. `cosines`:
    the cosine of the question's and the sentence's float32 sentence vectors, NaN where not known (a sentence not
    wanted, an embedder without them). The index's int8 vectors move by about 0.003 with how a text was encoded
    (alone or in a batch), which decided among candidate sentences within 0.004 of each other; these do not."""

    in_context: np.ndarray
    alone: np.ndarray
    cosines: np.ndarray | None = None

    def leans_on_previous(self, n: int) -> bool:
        """Whether sentence `n` covers the question better with the sentence before it."""
        return bool(self.in_context[n] > self.alone[n])


def content_weights(text: str, spans: tuple[tuple[int, int], ...]) -> np.ndarray:
    """1.0 for each token inside a content word of `text` (a word that is no function word), else 0.0;
    all 1.0 when the question has no content word ("Was ist das?")."""
    content = [m.span() for m in _WORD.finditer(text) if m.group(0).lower() not in FUNCTION_WORDS]
    weights = np.array(
        [float(any(a < end and start < b for a, b in content)) for start, end in spans], dtype=np.float32
    )
    return weights if weights.sum() > 0 else np.ones(len(spans), dtype=np.float32)


def token_matches(question: AlignedQuestion, sentence: np.ndarray) -> np.ndarray:
    """For each question token, its best cosine with a token of the sentence (0 for an empty sentence)."""
    if len(sentence) == 0 or len(question.vectors) == 0:
        return np.zeros(len(question.vectors), dtype=np.float32)
    return (question.vectors @ sentence.T).max(axis=1)


def coverage(question: AlignedQuestion, matches: np.ndarray) -> float:
    """The weighted mean of the question tokens' best matches: how much of the question a sentence covers."""
    total = float(question.weights.sum())
    return float(matches @ question.weights) / total if total > 0 else 0.0


class TokenAligner:
    """Question coverage of candidate sentences from an embedder's token states (a few kept for reuse: the
    same passages come back for a follow-up question)."""

    def __init__(self, embedder: TokenEmbedder, *, cache_size: int = 512) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()
        self._lock = threading.Lock()

    def question(self, text: str) -> AlignedQuestion:
        states = self.embedder.query_token_states(text)
        return AlignedQuestion(states.vectors, content_weights(text, states.spans), states.pooled)

    def covered(
        self, question: AlignedQuestion, sentences: list[str], starts: list[bool], wanted: list[bool] | None = None
    ) -> Covered:
        """Per sentence, the coverage of the question by it together with the sentence before it (unless it
        `starts` a passage; an answer often names its subject in the sentence before), and by it alone (see
        `Covered`). Only the `wanted` sentences are aligned (the others get 0), so only they and the ones before
        them are encoded."""
        wanted = wanted or [True] * len(sentences)
        needed = [w or (n + 1 < len(sentences) and wanted[n + 1] and not starts[n + 1]) for n, w in enumerate(wanted)]
        states = iter(self._states([s for s, need in zip(sentences, needed, strict=True) if need]))
        kept = [next(states) if need else None for need in needed]
        found = [token_matches(question, state[0]) if state is not None else None for state in kept]
        in_context = np.zeros(len(sentences), dtype=np.float32)
        alone = np.zeros(len(sentences), dtype=np.float32)
        cosines = np.full(len(sentences), np.nan, dtype=np.float32)
        for n, (matches, state) in enumerate(zip(found, kept, strict=True)):
            if not wanted[n] or matches is None or state is None:
                continue
            before = found[n - 1] if n > 0 and not starts[n] else None
            alone[n] = coverage(question, matches)
            in_context[n] = alone[n] if before is None else coverage(question, np.maximum(matches, before))
            if question.pooled is not None and state[1] is not None:
                cosines[n] = float(question.pooled @ state[1])
        return Covered(in_context, alone, cosines)

    def sentence_states(self, sentences: list[str]) -> list[np.ndarray]:
        """The token vectors of each sentence (as a passage), computed only for sentences not cached."""
        return [vectors for vectors, _ in self._states(sentences)]

    def _states(self, sentences: list[str]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Each sentence's token vectors and sentence vector (`TokenStates.pooled`), computed only when not cached."""
        with self._lock:
            missing = list(dict.fromkeys(s for s in sentences if s not in self._cache))
        computed = self.embedder.passage_token_states(missing) if missing else []
        with self._lock:
            for text, states in zip(missing, computed, strict=True):
                self._cache[text] = (states.vectors.astype(np.float16), states.pooled)
                self._cache.move_to_end(text)
            found = {s: self._cache[s] for s in sentences if s in self._cache}
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return [(found[s][0].astype(np.float32), found[s][1]) for s in sentences]


def warm_in_background(embedder: Embedder) -> threading.Thread | None:
    """Load what token states need (the float32 graph beside the int8 one, the full tokenizer) in a background
    thread, so that a running chat's first cross-lingual question or near call does not wait for it; None when
    the embedder gives no token states. They load on first use otherwise: a one-shot `assistant ask` in German
    rarely needs them."""
    if not isinstance(embedder, TokenEmbedder):
        return None
    thread = threading.Thread(target=embedder.query_token_states, args=("warm up",), name="warm-token-states")
    thread.daemon = True
    thread.start()
    return thread
