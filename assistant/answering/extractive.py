"""The extractive answerer: the sentences of the retrieved passages that best answer, quoted verbatim.

No language model ships inside any PyPI package, so the default answer is made of the article's own
sentences. Quotes are cut from the article by offsets, so ``article.text[start:end] == quote.text`` holds
by construction. A sentence is chosen by its own e5 similarity to the question, the question words it
shares (weighted by their rarity in the index and among the candidate sentences, found in the sentence
alone and together with the one before it), and the score of the passage it stands in. Whether the
articles answer at all is decided by similar signals that do not depend on the other candidates, and a near
call by how well a sentence covers the question token by token (`SecondLook`). A
question about a whole article ("Worum geht es?") is answered with the article's lead. A question in another
language than its passages is weighed with `CROSS_LINGUAL` and a lower threshold: its words are not theirs;
with an embedder that gives token states, by how well a sentence covers the question token by token
(`ALIGNED`, `assistant.embeddings.alignment`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.answer_kinds import names_its_type
from assistant.answering.article_overview import is_overview_question
from assistant.answering.asking import as_question
from assistant.answering.bridging import bridged_signals
from assistant.answering.decline import (
    DECLINE_MODEL,
    NEWS_DECLINE_MODEL,
    NO_HOLDER,
    SURE_KINDS,
    DeclineModel,
    DetailSignals,
    clipped,
)
from assistant.answering.details import (
    SCANNED,
    Holding,
    Sentence,
    asks_for_detail,
    holdings,
    nearness,
    short_answer_in,
)
from assistant.answering.spans import with_counted_noun
from assistant.answers import Answer, Passage, Quote, ShortAnswer, as_stream, mostly_dated, on_one_line
from assistant.chunking import Span, split_sentences
from assistant.embeddings.alignment import Covered, TokenAligner
from assistant.indexing.keyword_index import tokenize
from assistant.language import cross_lingual
from assistant.phrases import phrase
from assistant.protocols import PassageEmbedder, TokenEmbedder
from assistant.question import AnswerKind, Question

MAX_QUOTE_CHARS = 400
"""The longest quote: a longer sentence is cut to its clauses (evaluation's quote_hit counts only quotes this long)."""
STEM_PREFIX = 6
"""Stems match on their first characters: the Snowball stemmer leaves 'vermitteln' and 'Vermittlung' apart."""

SentenceLookup = Callable[[list[Passage]], dict[str, list[tuple[Span, np.ndarray]]]]
"""Given passages, each chunk's sentences (article offsets) with their vectors."""
Coverage = Callable[[list[str], list[bool], list[bool]], Covered]
"""Given sentences, whether each starts a passage and whether it is wanted, how well each wanted one (with the
one before it, and alone) covers the question."""
ALIGNED_SENTENCES = 6
"""Cross-lingual questions align only this many candidate sentences, those of highest cosine: on the tuning
questions aligning all (about 16) answered and abstained no better, at almost three times the encoder time."""
CandidateSentence = tuple[int, Passage, Span, np.ndarray, set[str]]
"""A sentence of a top passage: the passage's rank, the passage, the sentence's span, its vector, its stems."""
LeadLookup = Callable[[str], Passage | None]
"""Given an article id, its first passage (where a news article says what it is about)."""


@dataclass(frozen=True)
class Weights:
    """How the signals combine. Fitted on XQuAD-de articles 0-37 with the 10kGNAD news as distractors and
    checked on articles 38-47 (docs/decisions.md); never fitted to single questions."""

    sentence: float = 1.0  # e5 cosine of question and sentence
    overlap: float = 0.1  # share of the question's IDF-weighted stems found in the sentence (abstention)
    distinctive: float = 0.1  # the same share, each stem also weighted by how few candidate sentences hold it
    in_context: float = 0.05  # the distinctive share found in the sentence or the one before it
    passage: float = 0.02  # fused retrieval score of the sentence's passage (z-score scale)
    keyword: float = 0.1  # top passage's BM25 score per unit of question IDF (abstention only)
    standout: float = 0.04  # top passage's fused z-score beyond `standout_from` (abstention only)
    standout_from: float = 2.0  # no pool of 5 candidates reaches a z-score of 2: small indexes get no bonus by chance
    coverage: float = 0.0  # token-alignment coverage of the question (sentence and the one before), see ALIGNED

    def evidence(self, best_sentence: float, keyword_per_idf: float, top_fused: float) -> float:
        """The abstention evidence from its parts (also used by bench/bench_abstention.py)."""
        standout = max(0.0, top_fused - self.standout_from)
        return best_sentence + self.keyword * keyword_per_idf + self.standout * standout


CROSS_LINGUAL = Weights(keyword=0.0)
"""For a question in another language than its passages: the question's stems are not the article's, so only
names and numbers overlap, and the cosine of a question and a sentence in another language runs lower.
Fitted on English questions about XQuAD-de articles 0-37 (bench/bench_crosslingual.py)."""

ALIGNED = Weights(keyword=0.0, coverage=2.0)
"""For a question in another language when the embedder gives token states (`assistant.embeddings.alignment`): the
sentence that covers most of the question's words, token by token, is quoted first, and that coverage alone
is the abstention evidence. Fitted on English questions about XQuAD-de articles 0-37."""


ALIGNED_THRESHOLD = 0.786
"""Coverage a cross-lingual answer needs at the reference size (`Abstention.aligned`): the most-answering one
that abstains on the tuning part's English questions (own article removed) at least as often as the evidence
without alignment did, 0.770 against 0.766, answering 0.905 instead of 0.839 (bench/bench_crosslingual.py)."""


@dataclass(frozen=True)
class SecondLook:
    """A near call of a question in the articles' language is weighed again with token alignment.

    The evidence leans on the question's own words: a question worded unlike its answer (a paraphrase, a
    translation) shares fewer of them, so its answer falls below the threshold with the near misses. When the
    evidence lies within `band` of the threshold and the embedder gives token states, the best coverage of the
    question by a candidate sentence (`embeddings.alignment`, as for cross-lingual questions: "vermitteln" finds
    "Vermittlung") and more weight on how far the top passage stands out of all retrieval candidates (a z-score,
    free of the score scale) decide instead, against a threshold of their own. Fitted on XQuAD-de articles
    0-37 and checked on 38-47, on XQuAD-en and on English questions weighed as if they were German: the sweep
    and its figures are in docs/decisions.md ("A second look at near calls"; bench/bench_crosslingual.py).
    """

    band: float = 0.05  # the smallest band whose decisions on the tuning part equal those of the rule everywhere
    coverage: float = 3.0  # weight of the best coverage: any of 2-5 (standout 0.03 x (1 + weight)) fits as well
    standout: float = 0.06  # added to Weights.standout (0.04): 0.1 per unit of the top's fused z-score beyond 2
    threshold: float = 3.425  # at Abstention.reference_chunks: answers 95.6% of the tuning questions
    per_doubling: float = 0.024  # 0.006 for the evidence + 3 x 0.006 for coverage (as `Abstention.aligned` moves)

    def evidence(self, evidence: float, top_fused: float, coverage: float, standout_from: float) -> float:
        """The second look's evidence from the first one, the top passage's fused score and the best coverage."""
        return evidence + self.standout * max(0.0, top_fused - standout_from) + self.coverage * coverage

    def threshold_for(self, chunks: int, reference_chunks: int) -> float:
        """Its threshold in an index of `chunks` chunks (clamped like `Abstention.threshold_for`)."""
        doublings = math.log2(max(chunks, 1) / reference_chunks)
        return self.threshold + min(max(self.per_doubling * doublings, -0.4), 0.12)


@dataclass(frozen=True)
class Abstention:
    """Below which evidence the assistant says the articles don't answer.

    The best evidence that *unrelated* passages reach grows with the index: the more sentences, the likelier
    one of them resembles any question. `bench/bench_abstention.py` replays the question path on random
    article subsets of the eval index (XQuAD-de + 10kGNAD): the 90th percentile of unanswerable questions'
    evidence rises from 0.81 at 4 chunks to 0.91 at 4,608, while 95% of answerable questions stay above
    0.89-0.97 at every size. So the threshold is calibrated at a reference size and moves with log2 of the
    size; any slope from 0.0017 to 0.0070 per doubling keeps it between the two on the tuning questions, and
    0.006, near its top, leans towards answering in small indexes.
    """

    threshold: float = 0.910  # at the reference size: answers 95.5% of answerable tuning questions (a margin)
    reference_chunks: int = 4615  # chunks of the eval index the threshold was calibrated on
    per_doubling: float = 0.006  # see above; the bench prints the range that fits
    fixed: float | None = None  # a user's own threshold for questions in the articles' language (see below)
    cross_lingual: float = -0.088  # for a question in another language than its passages (see CROSS_LINGUAL)
    aligned: float = ALIGNED_THRESHOLD  # the same with token alignment: on the coverage scale (see ALIGNED)
    fixed_aligned: float | None = None  # a user's own threshold on the coverage scale (see below)

    def threshold_for(self, chunks: int, *, cross_lingual: bool = False, aligned: bool = False) -> float:
        """The threshold for an index of `chunks` chunks (clamped: the fit spans 4 to 4,615 chunks); `aligned`
        is for a cross-lingual question weighed by token alignment.

        The two evidences have their own scales (about 0.91 and 0.79 at the reference size), so a user's
        threshold replaces only the calibration on its own scale: `fixed` (ASSISTANT_ABSTAIN_THRESHOLD) that of
        the cosine-and-overlap evidence (questions in the articles' language, and cross-lingual ones weighed
        without token states), `fixed_aligned` (ASSISTANT_ABSTAIN_THRESHOLD_CROSS_LINGUAL) that of coverage."""
        shift = min(max(self.per_doubling * math.log2(max(chunks, 1) / self.reference_chunks), -0.1), 0.03)
        if aligned:
            return self.fixed_aligned if self.fixed_aligned is not None else self.aligned + shift
        if self.fixed is not None:
            return self.fixed
        return self.threshold + shift + (self.cross_lingual if cross_lingual else 0.0)


@dataclass(frozen=True)
class QuestionTerms:
    """The question's stems and their IDF weights, computed once per question (the benches replay them too)."""

    idf: dict[str, float]
    weight: float  # total IDF of the question's stems (at least 1)

    @classmethod
    def of(cls, question: str, idf: Callable[[str], float]) -> QuestionTerms:
        return cls.from_stems(tokenize(question), idf)

    @classmethod
    def from_stems(cls, stems: Iterable[str], idf: Callable[[str], float]) -> QuestionTerms:
        weights = {stem: idf(stem) for stem in set(stems)}
        return cls(weights, sum(weights.values()) or 1.0)

    def shared_weight(self, text: str, *, prefix: int = STEM_PREFIX) -> float:
        """IDF of the question stems found in `text`, matching stems on their first `prefix` characters."""
        return self.share_of(stem_prefixes(text, prefix), prefix=prefix) * self.weight

    def share_of(self, found: set[str], *, prefix: int = STEM_PREFIX) -> float:
        """The share of the question's weight whose stems (first `prefix` characters) are in `found`."""
        return sum(w for stem, w in self.idf.items() if stem[:prefix] in found) / self.weight

    def distinctive_among(self, sentences: list[set[str]]) -> QuestionTerms:
        """The same stems, each weight also scaled by how few of `sentences` hold it (an IDF within them).

        A topic word the question shares with every sentence of the passages ("Panthers") cannot tell them
        apart; the words the question shares with few of them point at the one that answers."""
        n = len(sentences)
        weights = {
            stem: w * math.log((n + 1) / (sum(stem[:STEM_PREFIX] in found for found in sentences) + 0.5))
            for stem, w in self.idf.items()
        }
        return QuestionTerms(weights, sum(weights.values()) or 1.0)


def stem_prefixes(text: str, prefix: int = STEM_PREFIX) -> set[str]:
    """The text's stems cut to `prefix` characters, the form in which question and sentence words are compared."""
    return {t[:prefix] for t in tokenize(text)}


@dataclass(frozen=True)
class _SentenceCandidate:
    """A sentence of a retrieved passage that may be quoted, with its scores."""

    passage_rank: int
    span: Span  # offsets into the article
    score: float  # ranks sentences for quoting: cosine + distinctive overlap + the passage's score
    evidence: float = 0.0  # cosine + overlap, for abstention (independent of the other candidates)
    previous: Span | None = None  # the sentence before it in the same passage
    leans_on_previous: bool = False  # its coverage of the question takes words from the sentence before


HOLDER_FIRST = 1.0
"""More than any two quote scores differ: a sentence holding the detail outranks every one that does not."""


@dataclass(frozen=True)
class DetailWeights:
    """How the detail a question asks for (`answering.details`) weighs in. Tuned on the FANG-COVID questions of
    three topics (toennies, heinsberg, warnapp), checked on the other two, and held against XQuAD-de
    (docs/answer-quality.md). Whether a question in the articles' language is declined for a missing detail is
    the decline model's call (`answering.decline`), across languages `cross_model`'s; without models a
    question is declined only for a missing day or number, by the margin rule below: one margin for every kind
    declined 0.70 of FANG-COVID's on-topic questions but cost XQuAD 10 points of answered ones."""

    bonus: float = 0.02  # added to the quote score of a sentence that holds the detail
    neighbour: float = 0.02  # taken off again when the detail stands in the next sentence
    margin: float | None = 0.0  # evidence beyond the threshold the best detail-holding sentence needs (see below)

    # The margin: the topic of an on-topic question is found, so some sentence on it clears the threshold; the
    # sentence that holds a detail of the asked kind must clear it too (by `margin`). A near call that only the
    # second look answered is weighed on another scale, so there only "no sentence holds one" declines.

    cross_margin: float | None = 0.0  # the same for a question in another language (on its own scale)
    cross_bonus: float = 0.10  # the bonus for a question in another language: its scores stand on the
    # alignment's scale, where +0.02 moved no quote (docs/answer-quality.md, round five)
    cross_preferred: frozenset[str] = frozenset({"day", "number"})  # the kinds whose detail is preferred across
    # languages: the finders of days and numbers are regular expressions, sure in any language's question; for
    # names the bonus picked stray names there, so the token alignment alone chooses
    declines: frozenset[str] = frozenset({"day", "number"})  # without a model: the kinds declined (see below)
    model: DeclineModel | None = DECLINE_MODEL  # decides the declines in the articles' language (None: see above)
    cross_model: DeclineModel | None = None  # the same for questions in another language: off by default
    # (`CROSS_DECLINE_MODEL` is fitted, but it declines the seed's "Who was supposed to mediate the talks?": the
    # token alignment does not bridge "talks" and "Verhandlungen"; docs/answer-quality.md, round five)
    news_model: DeclineModel | None = NEWS_DECLINE_MODEL  # `model` where the passages come from dated articles
    # (news: the detail goes missing, not the topic); across languages `cross_model` holds there too: turned on
    # in news it declined four of the seed's English questions that it answers right (docs/answer-quality.md)

    typed_names: bool = False  # across languages, prefer a name for "which newspaper …" too (measured: see docs)
    holder_first: bool = False  # for a day or number question, quote a sentence that holds one before any that
    # does not (measured in docs/answer-quality.md, round of 2026-12-07 night)

    def margin_for(self, cross: bool) -> float | None:
        return self.cross_margin if cross else self.margin

    def decline_model(self, passages: Sequence[Passage], *, cross: bool) -> DeclineModel | None:
        """The model that decides whether a question on these passages is declined for a missing detail."""
        if cross:
            return self.cross_model
        return self.news_model if mostly_dated(passages) else self.model

    def preferred(
        self, candidate: _SentenceCandidate, holding: Holding | None, *, cross: bool = False, first: bool = False
    ) -> _SentenceCandidate:
        """The candidate scored for holding the detail; quoted with the next sentence when that holds it. `first`:
        a sentence that holds the detail itself outranks every other (`holder_first`)."""
        if holding is None:
            return candidate
        bonus = (self.cross_bonus if cross else self.bonus) + (HOLDER_FIRST if first and holding.own else 0.0)
        if holding.own:  # quoted through the end of its sentence (a hard-wrapped line is no sentence's end)
            whole = Span(candidate.span.start, max(candidate.span.end, holding.end))
            span = whole if whole.end - whole.start <= MAX_QUOTE_CHARS else candidate.span
            return dataclasses.replace(candidate, span=span, score=candidate.score + bonus)
        if holding.after is None:
            return candidate
        score = candidate.score + bonus - self.neighbour
        both = Span(candidate.span.start, holding.after.end)
        span = both if both.end - both.start <= MAX_QUOTE_CHARS else holding.after
        return dataclasses.replace(candidate, span=span, score=score)


@dataclass(frozen=True)
class Weighing:
    """One question weighed against its passages (`ExtractiveAnswerer.weigh`): what the answer is decided on.
    `evidence` and `threshold` decide whether the articles answer (a near call's second look, if it had one);
    `first_evidence` and `first_threshold` are those before it. `held` and `signals` are set for a question
    that asks for a detail and is not declined already."""

    asked: Question
    terms: QuestionTerms
    passages: list[Passage]
    cross: bool = False
    aligned: bool = False
    sentences: list[CandidateSentence] = dataclasses.field(default_factory=list)
    candidates: list[_SentenceCandidate] = dataclasses.field(default_factory=list)
    evidence: float = 0.0
    threshold: float = 0.0
    first_evidence: float = 0.0
    first_threshold: float = 0.0
    held: dict[int, Holding] = dataclasses.field(default_factory=dict)
    signals: DetailSignals | None = None
    overview: Answer | None = None  # an overview question's answer (the article's lead)

    @property
    def abstains(self) -> bool:
        """Whether the articles do not answer at all (before any detail is looked for)."""
        return self.overview is None and (not self.candidates or self.evidence < self.threshold)


class ExtractiveAnswerer:
    """Scores the sentences of the top passages against the question and quotes the best ones."""

    def __init__(
        self,
        embedder: PassageEmbedder,
        *,
        sentences: SentenceLookup | None = None,
        idf: Callable[[str], float] = lambda token: 1.0,
        weights: Weights = Weights(),
        cross_weights: Weights | None = None,
        aligned_weights: Weights = ALIGNED,
        abstention: Abstention | None = None,
        second_look: SecondLook | None = SecondLook(),
        index_size: Callable[[], int] | None = None,
        lead: LeadLookup | None = None,
        candidate_passages: int = 3,
        detail: DetailWeights = DetailWeights(),
        max_quotes: int = 2,
        second_quote_margin: float = 0.01,
        continuation: bool = True,
    ) -> None:
        self.embedder = embedder
        self.sentences = sentences
        self.idf = idf
        self.weights = weights
        self.cross_weights = cross_weights or CROSS_LINGUAL
        self.aligned_weights = aligned_weights
        self.aligner = TokenAligner(embedder) if isinstance(embedder, TokenEmbedder) else None  # else: stems only
        self.abstention = abstention or Abstention()
        self.second_look = second_look if abstention is None or abstention.fixed is None else None  # a user's own
        self.index_size = index_size
        self.lead = lead
        self.candidate_passages = candidate_passages
        self.detail = detail
        self.max_quotes = max_quotes
        self.second_quote_margin = second_quote_margin
        self.continuation = continuation  # an open question's quote runs on into a sentence that continues it
        # (`_continued`; docs/answer-quality.md, round of 2026-12-07 night)

    def on_index(self, sentences: SentenceLookup, index_size: Callable[[], int]) -> ExtractiveAnswerer:
        """The same answerer over another index's sentences and size (a replay on part of an index)."""
        other = copy.copy(self)
        other.sentences, other.index_size = sentences, index_size
        return other

    def answer(self, question: Question | str, query_vector: np.ndarray, passages: list[Passage]) -> Answer:
        return self.answer_weighed(self.weigh(question, query_vector, passages))

    def weigh(self, question: Question | str, query_vector: np.ndarray, passages: list[Passage]) -> Weighing:
        """Everything the answer is decided on: the candidate sentences and their scores, the evidence and the
        threshold, and for a question that asks for a detail, where one is found and the signals the decline
        model reads. The benches replay questions through this (one code path with `answer`)."""
        asked = as_question(question)
        text, language = asked.text, asked.language
        terms = QuestionTerms.from_stems(asked.stems, self.idf)
        overview = self._overview(text, terms, passages, language)
        if overview is not None:
            return Weighing(asked, terms, passages, overview=overview)
        cross = cross_lingual(text, [p.text for p in passages[:1]], asked=language)  # the passage leaned on most
        coverage = self._coverage_of(text) if cross else None
        weights = self.aligned_weights if coverage is not None else self.cross_weights if cross else self.weights
        sentences = self._sentences_of(passages[: self.candidate_passages]) if passages else []
        cosines = [float(vector @ query_vector) for _, _, _, vector, _ in sentences]
        candidates = self._candidates(terms, sentences, cosines, weights, coverage)
        evidence = self.evidence(terms, passages, candidates, weights, aligned=coverage is not None)
        chunks = self._index_chunks()
        threshold = self.abstention.threshold_for(chunks, cross_lingual=cross, aligned=coverage is not None)
        weighing = Weighing(
            asked,
            terms,
            passages,
            cross=cross,
            aligned=coverage is not None,
            sentences=sentences,
            candidates=candidates,
            evidence=evidence,
            threshold=threshold,
            first_evidence=evidence,
            first_threshold=threshold,
        )
        if candidates and not cross:
            second = self._second_look(text, passages, sentences, cosines, evidence, threshold, chunks)
            weighing = dataclasses.replace(weighing, evidence=second[0], threshold=second[1])
        if weighing.abstains or not asks_for_detail(asked.kind):
            return weighing
        held, texts = self._holdings(asked, candidates, sentences)
        signals = self._signals(weighing, held, texts)
        return dataclasses.replace(weighing, held=held, signals=signals)

    def answer_weighed(self, weighing: Weighing) -> Answer:
        """The answer decided on `weighing` (of `weigh`): declined, or quoted from its best sentences."""
        asked, passages = weighing.asked, weighing.passages
        text, language = asked.text, asked.language
        if weighing.overview is not None:
            return weighing.overview
        if weighing.abstains:
            return Answer(text, phrase(language, "not_in_articles"), True, [], passages, language)
        candidates, held = weighing.candidates, weighing.held
        if weighing.signals is not None:
            if self._declines(weighing, weighing.signals):
                return Answer(text, phrase(language, f"missing_{asked.kind}"), True, [], passages, language)
            if not weighing.cross or asked.kind in self.detail.cross_preferred or self._typed_name(asked):
                first = self.detail.holder_first and asked.kind in SURE_KINDS
                preferred = functools.partial(self.detail.preferred, cross=weighing.cross, first=first)
                candidates = [preferred(c, held.get(n)) for n, c in enumerate(candidates)]
        terms = weighing.terms
        picked = self._choose(candidates)
        if self.continuation and not asks_for_detail(asked.kind):
            picked = [_continued(c, weighing.candidates, passages[c.passage_rank]) for c in picked]
        extended = [self._quotable(terms, passages[c.passage_rank], c) for c in picked]
        alone = [self._shorten(terms, passages[c.passage_rank], c) for c in picked]
        chosen = _distinct(extended, alone, [passages[c.passage_rank].article_id for c in picked])
        quotes = [_quote(passages[c.passage_rank], c) for c in chosen]
        answer = _quoted_answer(text, quotes, passages, language)
        details = _details_in(quotes[0].article_id, held, candidates, passages)
        short = _short_answer(quotes[0], details, text, asked.kind)
        return dataclasses.replace(answer, short_answer=short) if short else answer

    def _typed_name(self, asked: Question) -> bool:
        """A question for a name of a kind it names ("Which newspaper reported …?"): across languages its detail is
        preferred like a day's (`DetailWeights.typed_names`); a bare "who" is not (stray names, round five)."""
        return self.detail.typed_names and asked.kind == "name" and names_its_type(asked.text)

    def _declines(self, weighing: Weighing, signals: DetailSignals) -> bool:
        """Whether a question asking for a detail is declined: by the decline model (questions in the articles'
        language that the first evidence answers; `cross_model` for questions in another language), or else
        when a kind of `DetailWeights.declines` finds no detail, or only in sentences below the margin. A near
        call that only the second look answered is worded unlike its answer (the reason for the second look),
        so the model's question coverage says nothing there: its detail must stand in the best sentence itself
        (a number question answered with a sentence about the group, without the number, is the failure)."""
        first_answers = weighing.first_evidence >= weighing.first_threshold
        model = self.detail.decline_model(weighing.passages, cross=weighing.cross)
        if model is not None:
            if weighing.cross or first_answers:
                return model.declines(signals)
            if model.cutoff > 0:
                return not signals.held_best  # only the second look answered: the detail must be in the best one
        if weighing.asked.kind not in self.detail.declines:
            return False
        margin = self.detail.margin_for(weighing.cross) if first_answers else None
        holders = [weighing.candidates[n] for n in weighing.held]
        detail_evidence = self.evidence(
            weighing.terms, weighing.passages, holders, self._weights_of(weighing), aligned=weighing.aligned
        )
        return not weighing.held or (margin is not None and detail_evidence < weighing.first_threshold + margin)

    def _weights_of(self, weighing: Weighing) -> Weights:
        return self.aligned_weights if weighing.aligned else self.cross_weights if weighing.cross else self.weights

    def _signals(self, weighing: Weighing, held: dict[int, Holding], texts: list[Sentence]) -> DetailSignals:
        """What the decline model reads of the detail search (see `answering.decline`)."""
        candidates = weighing.candidates
        best = max(range(len(candidates)), key=lambda n: candidates[n].score)
        kind = weighing.asked.kind
        margin = weighing.first_evidence - weighing.first_threshold
        if not held:
            return DetailSignals(kind, False, False, NO_HOLDER, clipped(margin), 0.0, 0.0, 0.0, weighing.cross)
        holder = max(held, key=lambda n: candidates[n].score)
        holders = [candidates[n] for n in held]
        evidence = self.evidence(
            weighing.terms, weighing.passages, holders, self._weights_of(weighing), aligned=weighing.aligned
        )
        found = held[holder]
        around: tuple[Sentence, ...] = (texts[holder],)
        if found.after is not None:
            passage = weighing.passages[candidates[holder].passage_rank]
            around = (texts[holder], Sentence(found.after, _text_in(passage, found.after)))
        details = (*found.own, *found.in_after)
        cross_model = self.detail.decline_model(weighing.passages, cross=True) if weighing.cross else None
        if cross_model is not None and self.aligner is not None:  # no shared stems
            # across languages: aligned tokens instead (only the cross-language model reads them)
            ranked = sorted(range(len(candidates)), key=lambda n: -candidates[n].score)[:SCANNED]
            bridged = bridged_signals(self.aligner, weighing.asked.text, around, [texts[n] for n in ranked], details)
            coverage, distinctive, near = bridged.coverage, bridged.distinctive, bridged.nearness
        else:
            coverage = weighing.terms.share_of(weighing.sentences[holder][4])
            distinctive = weighing.terms.distinctive_among([stems for *_, stems in weighing.sentences]).share_of(
                weighing.sentences[holder][4]
            )
            near = nearness(details, around, weighing.asked.text)
        return DetailSignals(
            kind,
            True,
            best in held,
            clipped(evidence - weighing.first_threshold),
            clipped(margin),
            coverage,
            distinctive,
            near,
            weighing.cross,
        )

    def _holdings(
        self, asked: Question, candidates: list[_SentenceCandidate], sentences: list[CandidateSentence]
    ) -> tuple[dict[int, Holding], list[Sentence]]:
        """Which of the best candidates hold a detail of the asked kind, in their sentence or the next one (and
        each candidate's whole sentence)."""
        ends = [_whole_sentence_end(sentences, n) for n in range(len(sentences))]
        texts = [
            Sentence(
                Span(span.start, sentences[ends[n]][2].end),
                _text_in(passage, Span(span.start, sentences[ends[n]][2].end)),
            )
            for n, (_, passage, span, *_) in enumerate(sentences)
        ]
        nexts = [
            texts[ends[n] + 1] if ends[n] + 1 < len(sentences) and sentences[ends[n] + 1][0] == rank else None
            for n, (rank, *_) in enumerate(sentences)
        ]
        ranked = sorted(range(len(candidates)), key=lambda n: -candidates[n].score)
        found = holdings(asked.kind, asked.text, ranked, texts, nexts)
        return {n: h for n, h in found.items() if h.own or not _leans_back(candidates[n], texts[n].text)}, texts

    def stream(
        self, question: Question | str, query_vector: np.ndarray, passages: list[Passage]
    ) -> Iterator[str | Answer]:
        """The `Answerer` stream: quotes are chosen all at once, so the whole text is one piece."""
        return as_stream(self.answer(question, query_vector, passages))

    def _quotable(self, terms: QuestionTerms, passage: Passage, candidate: _SentenceCandidate) -> _SentenceCandidate:
        """The sentence as it can stand alone: with the sentence it refers back to, cut to MAX_QUOTE_CHARS."""
        return self._shorten(terms, passage, _with_antecedent(passage, candidate))

    def _overview(self, question: str, terms: QuestionTerms, passages: list[Passage], language: str) -> Answer | None:
        """An overview question about one article (all passages from it) is answered with the article's lead:
        its first sentences, where news articles say what they report. None when that does not apply."""
        if not passages or self.lead is None or not is_overview_question(question):
            return None
        if len({p.article_id for p in passages}) > 1:
            return None  # which article is meant is unclear: answer like any other question
        lead = self.lead(passages[0].article_id)
        if lead is None:
            return None
        sentences = [_SentenceCandidate(0, span, 0.0) for span in _sentence_spans(lead)[: self.max_quotes]]
        quotes = [_quote(lead, self._shorten(terms, lead, sentence)) for sentence in sentences]
        return _quoted_answer(question, quotes, passages, language)

    def abstain_threshold(self, cross_lingual: bool = False, *, aligned: bool = False) -> float:
        """The evidence an answer needs in this index (see `Abstention`)."""
        return self.abstention.threshold_for(self._index_chunks(), cross_lingual=cross_lingual, aligned=aligned)

    def _index_chunks(self) -> int:
        """The index's size, which thresholds follow (the reference size when it is not known)."""
        return self.index_size() if self.index_size else self.abstention.reference_chunks

    def _second_look(
        self,
        question: str,
        passages: list[Passage],
        sentences: list[CandidateSentence],
        cosines: list[float],
        evidence: float,
        threshold: float,
        chunks: int,
    ) -> tuple[float, float]:
        """The evidence and threshold that decide: for a near call with token states those of `SecondLook`
        (aligning only its few candidate sentences, so clear calls cost nothing more), else the ones given."""
        look = self.second_look
        if look is None or self.aligner is None or abs(evidence - threshold) >= look.band:
            return evidence, threshold
        covered = self._covered(
            functools.partial(self.aligner.covered, self.aligner.question(question)), sentences, cosines
        )
        second = look.evidence(evidence, passages[0].score, float(covered.in_context.max()), self.weights.standout_from)
        return second, look.threshold_for(chunks, self.abstention.reference_chunks)

    def evidence(
        self,
        terms: QuestionTerms,
        passages: list[Passage],
        candidates: list[_SentenceCandidate],
        weights: Weights,
        *,
        aligned: bool = False,
    ) -> float:
        """How strongly the articles answer: best sentence (cosine + overlap), the top passage's keyword match,
        and how far the top passage stands out of the other candidates. A near miss may have one sentence
        that resembles the question, but rarely a passage that beats the rest on every signal; each alone
        separated answerable from unanswerable questions worse than the sum. Across languages with token
        states, the best coverage of the question alone (adding the others separated no better)."""
        if not candidates:
            return 0.0
        if aligned:
            return max(c.evidence for c in candidates)
        top = passages[0]
        return weights.evidence(max(c.evidence for c in candidates), top.keyword_score / terms.weight, top.score)

    def _choose(self, candidates: list[_SentenceCandidate]) -> list[_SentenceCandidate]:
        ranked = sorted(candidates, key=lambda c: -c.score)
        chosen = ranked[:1]
        for candidate in ranked[1 : self.max_quotes]:
            if candidate.score >= chosen[0].score - self.second_quote_margin:
                chosen.append(candidate)
        return sorted(chosen, key=lambda c: (c.passage_rank, c.span.start))

    def _shorten(self, terms: QuestionTerms, passage: Passage, candidate: _SentenceCandidate) -> _SentenceCandidate:
        """A sentence longer than MAX_QUOTE_CHARS is cut to its clauses that share most with the question."""
        text = _text_in(passage, candidate.span)
        if len(text) <= MAX_QUOTE_CHARS:
            return candidate

        def shared(window: Span) -> tuple[float, int]:  # most question weight, then the most context
            whole_stems = terms.shared_weight(window.of(text), prefix=1_000)
            return whole_stems, window.end - window.start

        best = max(clause_windows(text, MAX_QUOTE_CHARS), key=shared)
        start = candidate.span.start
        span = Span(start + best.start, start + best.end)
        return _SentenceCandidate(candidate.passage_rank, span, candidate.score, candidate.evidence)

    def _candidates(
        self,
        terms: QuestionTerms,
        sentences: list[CandidateSentence],
        cosines: list[float],
        w: Weights,
        coverage: Coverage | None = None,
    ) -> list[_SentenceCandidate]:
        """Each candidate sentence (of the top passages, with its cosine to the question) scored for quoting and
        for abstention."""
        covered_by = self._covered(coverage, sentences, cosines) if coverage is not None else None
        leaning = covered_by.leans_on_previous if covered_by is not None else lambda n: False
        distinctive = terms.distinctive_among([stems for *_, stems in sentences])
        found = []
        before: set[str] = set()  # stems of the previous sentence in the same passage
        previous_rank, previous = -1, None
        for n, (rank, passage, span, _, stems) in enumerate(sentences):
            if rank != previous_rank:
                before, previous_rank, previous = set(), rank, None
            cosine = w.sentence * _exact_cosine(covered_by, n, cosines[n])
            covered = float(covered_by.in_context[n]) if covered_by is not None else 0.0
            score = (
                cosine
                + w.distinctive * distinctive.share_of(stems)
                + w.in_context * distinctive.share_of(stems | before)
                + w.passage * passage.score
                + w.coverage * covered
            )
            evidence = covered if covered_by is not None else cosine + w.overlap * terms.share_of(stems)
            found.append(_SentenceCandidate(rank, span, score, evidence, previous, leaning(n)))
            before, previous = stems, span
        return found

    def _sentences_of(self, top: list[Passage]) -> list[CandidateSentence]:
        """The passages' sentences, in order."""
        by_chunk = self.sentences(top) if self.sentences else {}
        return [
            (rank, passage, span, vector, stem_prefixes(_text_in(passage, span)))
            for rank, passage in enumerate(top)
            for span, vector in by_chunk.get(passage.chunk_id) or self._embed_sentences(passage)
        ]

    def _coverage_of(self, question: str) -> Coverage | None:
        """How sentences cover this question token by token, if the embedder gives token states."""
        if self.aligner is None:
            return None
        return functools.partial(self.aligner.covered, self.aligner.question(question))

    @staticmethod
    def _covered(coverage: Coverage, sentences: list[CandidateSentence], cosines: list[float]) -> Covered:
        """The coverage of the question by the ALIGNED_SENTENCES of highest cosine, each with the sentence
        before it in the same passage (0 for the others)."""
        texts = [_text_in(passage, span) for _, passage, span, *_ in sentences]
        starts = [n == 0 or sentences[n - 1][0] != rank for n, (rank, *_) in enumerate(sentences)]
        best = set(np.argsort(cosines)[::-1][:ALIGNED_SENTENCES].tolist())
        return coverage(texts, starts, [n in best for n in range(len(sentences))])

    def _embed_sentences(self, passage: Passage) -> list[tuple[Span, np.ndarray]]:
        """Fallback for chunks indexed without sentence vectors: embed them now."""
        spans = _sentence_spans(passage)
        vectors = self.embedder.embed_passages_array([_text_in(passage, span) for span in spans])
        return list(zip(spans, vectors, strict=True))


def _exact_cosine(covered: Covered | None, n: int, stored: float) -> float:
    """Sentence `n`'s cosine to the question: the float32 one that the token alignment's run gave, where it gave one
    (`Covered.cosines`), else the one of the stored (int8) vectors. Across languages the candidates stand within a
    few thousandths; the stored vectors' cosines move that much with how the index was built."""
    exact = covered.cosines[n] if covered is not None and covered.cosines is not None else math.nan
    return stored if math.isnan(exact) else float(exact)


REFERS_BACK = re.compile(r"\b(?:diese[rsmn]?|dies|dort|damals|deshalb|daher|this|these|those)\b", re.IGNORECASE)
"""Words by which a sentence takes its subject from the one before ("Katarische Diplomaten hatten gehofft, eine
neutrale Plattform für diese Gespräche zu bieten"): quoted alone, it hides what it is about."""


SENTENCE_END = frozenset('.!?:;"“”»«)')
"""A line that ends otherwise is a hard-wrapped part of a sentence ("Der Bus trägt den Namen" / "„Blauer
Falke“ und fährt …"): the detail search reads on into the next line."""


def _whole_sentence_end(sentences: list[CandidateSentence], n: int, most: int = 2) -> int:
    """The index of the last candidate sentence that belongs to sentence `n` (at most `most` lines more)."""
    end = n
    while (
        end - n < most
        and end + 1 < len(sentences)
        and sentences[end + 1][0] == sentences[n][0]
        and _text_in(sentences[end][1], sentences[end][2]).rstrip()[-1:] not in SENTENCE_END
    ):
        end += 1
    return end


CONTINUES = re.compile(r"(?:Er|Sie|He|She|They)\s+\w")
"""A sentence opening with a personal pronoun as its subject goes on about the subject of the one before it ("…
Selenskij hat hervorgehoben, dass … Er ist jedoch der Ansicht, dass Moskau …")."""


def _continued(
    candidate: _SentenceCandidate, candidates: list[_SentenceCandidate], passage: Passage
) -> _SentenceCandidate:
    """The candidate quoted through the next sentence of its passage when that one continues it (`CONTINUES`) and
    both fit in one quote."""
    follower = next(
        (f for f in candidates if f.passage_rank == candidate.passage_rank and f.previous == candidate.span), None
    )
    if follower is None or follower.span.end - candidate.span.start > MAX_QUOTE_CHARS:
        return candidate
    if not CONTINUES.match(_text_in(passage, follower.span)):
        return candidate
    return dataclasses.replace(candidate, span=Span(candidate.span.start, follower.span.end))


def _leans_back(candidate: _SentenceCandidate, text: str) -> bool:
    """Whether a sentence is quoted with the one before it: then the one after it is not quoted as well (the
    detail there is two sentences from the question's words)."""
    return candidate.leans_on_previous or bool(REFERS_BACK.search(text))


def _with_antecedent(passage: Passage, candidate: _SentenceCandidate) -> _SentenceCandidate:
    """The candidate with the sentence before it when it refers back to that one, or when its token alignment
    took some of the question's words from that one (cross-lingual questions), and both fit in one quote.
    Referring back raised quote_hit a little in both languages; the alignment's own reason raised English
    questions' quote_hit by 3 points on the tuning part and on the held-out part (bench/bench_crosslingual.py)."""
    before = candidate.previous
    if before is None or candidate.span.end - before.start > MAX_QUOTE_CHARS:
        return candidate
    if not (candidate.leans_on_previous or REFERS_BACK.search(_text_in(passage, candidate.span))):
        return candidate
    span = Span(before.start, candidate.span.end)
    return _SentenceCandidate(candidate.passage_rank, span, candidate.score, candidate.evidence)


def _distinct(
    extended: list[_SentenceCandidate], alone: list[_SentenceCandidate], articles: list[str]
) -> list[_SentenceCandidate]:
    """Quotes that repeat no text. Each chosen sentence comes `extended` by its antecedent and `alone`; a quote that
    a longer one of the same article contains is dropped, and one that overlaps a quote kept before it is kept
    as its sentence alone (when that overlaps too, it is dropped): two sentences that each carry the one before
    them ("A B", "B C") showed B twice."""
    spans = list(zip(articles, [c.span for c in extended], strict=True))
    kept: list[tuple[str, _SentenceCandidate]] = []
    for article, quote, own in zip(articles, extended, alone, strict=True):
        if any(a == article and span != quote.span and _holds(span, quote.span) for a, span in spans):
            continue
        free = [c for c in (quote, own) if not any(a == article and _overlap(k.span, c.span) for a, k in kept)]
        if free:
            kept.append((article, free[0]))
    return [quote for _, quote in kept]


def _holds(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _overlap(one: Span, other: Span) -> bool:
    return one.start < other.end and other.start < one.end


def _sentence_spans(passage: Passage) -> list[Span]:
    """The passage's sentences as article offsets (the whole passage if it has no sentence break)."""
    spans = split_sentences(passage.text) or [Span(0, len(passage.text))]
    return [Span(passage.start + s.start, passage.start + s.end) for s in spans]


_CLAUSE_BREAK = re.compile(
    r"(?<=[,;:])\s+|\s+(?=[–—-]\s)|\s+(?=(?:und|oder|aber|sondern|während|weil|and|but|while)\s)"
)


def clause_windows(text: str, max_chars: int) -> list[Span]:
    """Runs of consecutive clauses of `text` that fit in `max_chars` (each stripped of outer whitespace)."""
    cuts = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(text)), len(text)]
    pieces = [Span(a, b) for a, b in itertools.pairwise(cuts) if text[a:b].strip()]
    windows = []
    for i, first in enumerate(pieces):
        for last in pieces[i:]:
            if last.end - first.start > max_chars:
                break
            windows.append(_strip(text, Span(first.start, last.end)))
    return windows or [_strip(text, Span(0, max_chars))]


def _strip(text: str, span: Span) -> Span:
    piece = text[span.start : span.end]
    start = span.start + len(piece) - len(piece.lstrip())
    end = span.end - (len(piece) - len(piece.rstrip()))
    return Span(start, end)


def _text_in(passage: Passage, span: Span) -> str:
    """The text of an article span that lies inside `passage` (whose text starts at passage.start)."""
    return passage.text[span.start - passage.start : span.end - passage.start]


def _quoted_answer(question: str, quotes: list[Quote], passages: list[Passage], language: str) -> Answer:
    text = " ".join(f"{on_one_line(q.text)} [{n}]" for n, q in enumerate(quotes, start=1))  # prose: no print layout
    return Answer(question, text, False, quotes, passages, language)


def _details_in(
    article_id: str, held: dict[int, Holding], candidates: list[_SentenceCandidate], passages: list[Passage]
) -> tuple[Span, ...]:
    """The details found in one article's candidate sentences (offsets of different articles never mix)."""
    mine = [h for n, h in held.items() if passages[candidates[n].passage_rank].article_id == article_id]
    return tuple(d for holding in mine for d in (*holding.own, *holding.in_after))


def _short_answer(quote: Quote, details: tuple[Span, ...], question: str, kind: AnswerKind) -> ShortAnswer | None:
    """The detail inside the first quote, if the quote holds one (it may have been cut to its clauses); a number
    with the noun it counts ("über 1.000 Quadratkilometer", not "über 1.000")."""
    found = short_answer_in(Span(quote.start, quote.end), quote.text, details, question)
    if found is None:
        return None
    start, end = found.start - quote.start, found.end - quote.start
    if kind == "number":
        end = with_counted_noun(quote.text, start, end)
    return ShortAnswer(quote.text[start:end], quote.article_id, quote.start + start, quote.start + end)


def _quote(passage: Passage, candidate: _SentenceCandidate) -> Quote:
    return Quote(
        text=_text_in(passage, candidate.span),
        article_id=passage.article_id,
        start=candidate.span.start,
        end=candidate.span.end,
        score=candidate.score,
        title=passage.title,
        source=passage.source,
        published=passage.published,
    )
