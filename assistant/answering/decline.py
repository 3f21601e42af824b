"""Whether the retrieved sentences hold what a question asks for: a small logistic model over signals of the
detail search, deciding to decline ("Die Artikel nennen dazu keine Zahl.") when the articles' sentences are
on the topic but none of them answers.

One threshold on "some sentence holds a detail of the asked kind" declined too little for day and number
questions and too much for names (HanTa misses many names of Wikipedia's world): the finders are sure to
different degrees, and whether a found detail answers depends on where it stands, how much of the question
its sentence covers, and how strongly the articles answer at all. A weighted sum of those signals says it
better. The coefficients are fitted by `bench/bench_answers.py fit` on XQuAD-de (articles 0-37, answerable
questions against the same questions with their answer sentences removed) and on the FANG-COVID questions of
three topics; the figures, on the parts kept aside too, are in docs/answer-quality.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.question import AnswerKind

SURE_KINDS: frozenset[AnswerKind] = frozenset({"day", "number"})
"""Kinds whose finders (regular expressions) rarely miss a detail that is there."""


@dataclass(frozen=True)
class DetailSignals:
    """What the detail search saw for one question (`ExtractiveAnswerer.weigh`); every value is a plain number
    so that the bench can write them out and fit the model on them."""

    kind: AnswerKind
    held: bool  # one of the best candidate sentences (or the one after it) holds a detail of the asked kind
    held_best: bool  # the best-scored candidate holds one
    holder_margin: float  # evidence of the best detail-holding sentence beyond the threshold (clipped)
    evidence_margin: float  # the answer's evidence beyond the threshold (clipped)
    holder_coverage: float  # share of the question's IDF-weighted stems found in the best detail-holding sentence
    holder_distinctive: float  # the same share, each stem also weighted by how few candidate sentences hold it
    nearness: float  # 1 / (1 + distance / 50 characters) between its detail and the nearest question word
    cross: bool  # the question is in another language than its passages

    def features(self) -> tuple[float, ...]:
        """The model's inputs, in the order of `DeclineModel.coefficients` (after the intercept)."""
        sure = self.kind in SURE_KINDS
        return (
            float(self.held and sure),
            float(self.held and not sure),
            float(self.held_best),
            self.holder_margin,
            self.evidence_margin,
            self.holder_coverage,
            self.holder_distinctive,
            self.nearness,
            float(self.cross),
            *(float(self.kind == kind) for kind in MODEL_KINDS),
        )


MODEL_KINDS: tuple[AnswerKind, ...] = ("number", "name", "place", "cause")
"""Kinds with an intercept of their own (day is the reference)."""
FEATURES = (
    "held (day, number)",
    "held (name, place, cause)",
    "held by the best sentence",
    "holder margin",
    "evidence margin",
    "holder coverage",
    "holder distinctive coverage",
    "nearness",
    "cross-lingual",
    *(f"kind {kind}" for kind in MODEL_KINDS),
)
MARGIN_CLIP = 0.3
"""Margins are clipped to ±this: far beyond the threshold every question is answered alike."""
NO_HOLDER = -MARGIN_CLIP
"""The holder margin when no sentence holds a detail."""


def clipped(margin: float) -> float:
    return max(-MARGIN_CLIP, min(MARGIN_CLIP, margin))


@dataclass(frozen=True)
class DeclineModel:
    """P(the articles answer) = logistic(intercept + coefficients · features); below `cutoff` the answer
    declines. Fitted by `python bench/bench_answers.py fit` (docs/answer-quality.md has the command)."""

    intercept: float
    coefficients: tuple[float, ...]
    cutoff: float = 0.5

    def probability(self, features: Sequence[float]) -> float:
        """P(the articles answer) for `DetailSignals.features()` (the bench replays stored ones)."""
        z = self.intercept + sum(c * x for c, x in zip(self.coefficients, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def declines(self, signals: DetailSignals) -> bool:
        return self.declines_on(signals.features())

    def declines_on(self, features: Sequence[float]) -> bool:
        """`declines` on stored features (the bench's replays). A day or number question none of whose best
        sentences holds a day or number is declined whatever the margins say: those finders rarely miss, and a
        strong match of the question's topic alone kept "Wie viele Fahrgäste …" answered with no number."""
        kinds = features[-len(MODEL_KINDS) :]
        sure = kinds[MODEL_KINDS.index("number")] == 1.0 or not any(kinds)  # day is the reference kind
        if sure and features[0] == 0.0:
            return True
        return self.probability(features) < self.cutoff


DECLINE_MODEL = DeclineModel(
    intercept=-2.156,
    coefficients=(-1.408, -1.026, 1.739, 2.720, 5.183, 1.717, 1.976, 0.417, 0.000, 0.110, -0.227, -0.161, 1.588),
    cutoff=0.10,
)
"""Fitted by `python bench/bench_answers.py fit fang.jsonl xquad.jsonl --answered 0.99` on the signals of details
that are about what was asked (`aspects`; docs/answer-quality.md): the highest cutoff that keeps answering 99%
of each set's answerable tuning questions that the evidence answers. The cutoff trades XQuAD's answered
questions against FANG-COVID's declines (the curve is in the docs); this one keeps XQuAD within 2 points in the
full eval (0.13 lost 3).
For questions in the articles' language only (`CROSS_DECLINE_MODEL` is the other one)."""

NEWS_DECLINE_MODEL = replace(DECLINE_MODEL, cutoff=0.20)
"""`DECLINE_MODEL` where the passages come from dated articles (`answers.mostly_dated`: a news archive). There the
question's topic is almost always found and what goes missing is the detail; 0.10 is held down by Wikipedia-like
text (XQuAD), where the topic itself goes missing. 0.20 is the highest cutoff that keeps every question of
FANG-COVID's tuning topics answered that 0.10 answers (docs/answer-quality.md: the curve, the topics kept aside)."""

CROSS_DECLINE_MODEL = DeclineModel(
    intercept=-0.546,
    coefficients=(-0.003, -0.310, 0.831, 0.232, 0.240, 0.0, 0.870, 1.069, -0.546, 0.0, 0.0, 0.0, 0.0),
    cutoff=0.40,
)
"""The same model for questions in another language than the articles (English questions on German news): its
margins stand on the token alignment's scale, and its coverage and nearness are read from aligned tokens
(`bridging`), so it is fitted apart, by `python bench/bench_answers.py fit --cross xquad-en.jsonl fang-en.jsonl
--ridge 1.0 --without "holder coverage" "kind number" "kind name" "kind place" "kind cause" --cutoff 0.40` on
XQuAD's English questions against the German index (articles 0-37) and FANG-COVID's English questions of three
topics: 42 news rows fit few coefficients (plain coverage and the kinds are held at 0), and the cutoff is the
lowest that declines half of FANG-COVID's English tuning questions; figures in docs/answer-quality.md."""
