"""The answer side of cross-lingual questions (English questions about German articles): the user's abstention
settings on their own scales, and quotes that show what the token alignment took from the sentence before (the
real model, real indexes)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.answering.extractive import ALIGNED_THRESHOLD, Abstention, ExtractiveAnswerer
from assistant.answers import Passage
from assistant.chunking import Span, split_sentences
from assistant.embeddings.alignment import TokenAligner
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.errors import ConfigurationError

MEDIATE_EN = "Who was supposed to mediate the talks?"
MEDIATE_DE = "Wer sollte die Gespräche vermitteln?"


@pytest.fixture
def assistant_with(settings: Settings, embeddings: OnnxEmbeddings, seed_index: Path) -> Iterator:
    """Opens assistants over a copy of the seed index with the given settings (closed after the test)."""
    shutil.copytree(seed_index, settings.index_dir)
    opened: list[Assistant] = []

    def open_with(**values: float) -> Assistant:
        opened.append(Assistant(Settings(index_dir=settings.index_dir, **values), embeddings=embeddings))
        return opened[-1]

    yield open_with
    for instance in opened:
        instance.close()


def test_a_same_language_threshold_leaves_cross_lingual_questions_on_their_own_scale(assistant_with) -> None:
    """0.85 is a strict-ish bar for German evidence (about 0.91 at the reference size); on the coverage scale
    (about 0.79) it would turn every English question away."""
    assistant = assistant_with(abstain_threshold=0.85)
    english = assistant.ask(MEDIATE_EN)
    assert not english.abstained and "unter Vermittlung Katars" in english.quotes[0].text
    assert not assistant.ask(MEDIATE_DE).abstained
    assert assistant.answerer.abstain_threshold() == 0.85
    assert assistant.answerer.abstain_threshold(True, aligned=True) < 0.8  # still the calibrated coverage bar


def test_the_cross_lingual_threshold_is_its_own_setting(assistant_with) -> None:
    assistant = assistant_with(abstain_threshold_cross_lingual=0.95)
    assert assistant.ask(MEDIATE_EN).abstained
    assert not assistant.ask(MEDIATE_DE).abstained  # the German path keeps its calibrated threshold
    assert assistant.answerer.abstain_threshold(True, aligned=True) == 0.95


def test_the_cross_lingual_threshold_is_read_from_the_environment_and_checked(monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_ABSTAIN_THRESHOLD_CROSS_LINGUAL", "0.8")
    assert Settings().abstain_threshold_cross_lingual == 0.8
    monkeypatch.setenv("ASSISTANT_ABSTAIN_THRESHOLD_CROSS_LINGUAL", "1.5")  # coverage never exceeds 1
    with pytest.raises(ConfigurationError, match="ASSISTANT_ABSTAIN_THRESHOLD_CROSS_LINGUAL"):
        Settings()


def test_each_user_threshold_replaces_only_its_own_calibration() -> None:
    calibrated = Abstention()
    reference = calibrated.reference_chunks
    same_language = Abstention(fixed=0.85)
    assert same_language.threshold_for(reference) == 0.85
    assert same_language.threshold_for(reference, cross_lingual=True) == 0.85  # no token states: same scale
    assert same_language.threshold_for(reference, cross_lingual=True, aligned=True) == pytest.approx(ALIGNED_THRESHOLD)
    coverage = Abstention(fixed_aligned=0.8)
    assert coverage.threshold_for(reference, cross_lingual=True, aligned=True) == 0.8
    assert coverage.threshold_for(reference) == calibrated.threshold_for(reference)


def test_seed_questions_in_english_answer_or_abstain(indexed: Assistant) -> None:
    answer = indexed.ask(MEDIATE_EN)
    assert not answer.abstained and "Vermittlung Katars" in answer.quotes[0].text
    for question in ("What is the capital of Australia?", "Which team won the Champions League final?"):
        refused = indexed.ask(question)
        assert refused.abstained and refused.answer.startswith("The articles don't say")


def test_quotes_that_each_carry_the_sentence_before_do_not_repeat_it(indexed: Assistant) -> None:
    """The seed's English question picks two neighbouring sentences, and each carried the one before it: the
    sentence between them was shown twice ("A B [1] B C [2]")."""
    answer = indexed.ask(MEDIATE_EN)
    assert len(answer.quotes) == 2 and "Vermittlung Katars" in answer.quotes[0].text
    first, second = answer.quotes
    assert first.article_id != second.article_id or first.end <= second.start or second.end <= first.start
    for quote in answer.quotes:
        assert indexed.article(quote.article_id).text[quote.start : quote.end] == quote.text


def test_coverage_alone_and_with_the_sentence_before(embeddings: OnnxEmbeddings) -> None:
    aligner = TokenAligner(embeddings)
    question = aligner.question("Which emirate mediated the ceasefire talks?")
    sentences = ["Die Waffenstillstandsgespräche begannen im Sommer.", "Vermittelt hat das Emirat Katar."]
    covered = aligner.covered(question, sentences, [True, False])
    assert covered.in_context[0] == covered.alone[0] and not covered.leans_on_previous(0)  # it starts the passage
    assert covered.in_context[1] > covered.alone[1] and covered.leans_on_previous(1)  # "talks" is in the first
    assert not aligner.covered(question, sentences, [True, True]).leans_on_previous(1)  # two passages


@pytest.mark.parametrize(
    "text",
    [
        "Die Waffenstillstandsgespräche begannen im Sommer. Vermittelt hat das Emirat Katar.",
        "Im Sommer begannen Gespräche über eine Waffenruhe. Als Vermittler trat ein Emirat auf, nämlich Katar.",
    ],
)
def test_a_cross_lingual_quote_carries_the_sentence_its_alignment_leans_on(embeddings: OnnxEmbeddings, text) -> None:
    """The answering sentence names the emirate; the talks it answers about are in the sentence before, which
    its coverage of the question counted: quoted alone it would not show them."""
    question = "Which emirate mediated the ceasefire talks?"
    answerer = ExtractiveAnswerer(embeddings, abstention=Abstention(fixed_aligned=0.0))
    passage = Passage("a", "Waffenruhe", text, 100, 100 + len(text), 1.0)
    answer = answerer.answer(question, embeddings.embed_query_array(question), [passage])
    assert [quote.text for quote in answer.quotes] == [text]
    assert (answer.quotes[0].start, answer.quotes[0].end) == (100, 100 + len(text))


def test_a_german_quote_does_not_lean_on_the_sentence_before(embeddings: OnnxEmbeddings) -> None:
    """Questions in the articles' language take the path they took before: no alignment, no antecedent unless
    the sentence refers back."""
    text = "Die Waffenstillstandsgespräche begannen im Sommer. Vermittelt hat das Emirat Katar."
    question = "Welches Emirat hat vermittelt?"
    answerer = ExtractiveAnswerer(embeddings, abstention=Abstention(fixed=0.0))
    passage = Passage("a", "Waffenruhe", text, 0, len(text), 1.0)
    answer = answerer.answer(question, embeddings.embed_query_array(question), [passage])
    assert [quote.text for quote in answer.quotes] == ["Vermittelt hat das Emirat Katar."]


SEED_PARAGRAPH = (
    "Verhandlungen über eine mögliche Deeskalation sollten ursprünglich im August 2024 unter Vermittlung Katars "
    "beginnen, wie die Washington Post unter Berufung auf anonyme Quellen berichtete. Katarische Diplomaten hatten "
    "gehofft, eine neutrale Plattform für diese Gespräche zu bieten, um eine Verständigung zwischen den Parteien zu "
    "fördern. Die Bemühungen um einen Dialog wurden jedoch durch den ukrainischen Angriff auf das russische Gebiet "
    "Kursk unterbrochen."
)


def test_a_cross_lingual_quote_does_not_depend_on_how_the_index_encoded_its_sentences(
    embeddings: OnnxEmbeddings,
) -> None:
    """int8 scales a run's activations as a whole, so a sentence encoded among others gets a vector a little off the
    one it gets alone, and the seed's English question chose between sentences within 0.004 of each other: one build
    quoted "unter Vermittlung Katars", the next did not. The aligned sentences are scored with the float32 cosines
    of the alignment's own run, which are the same whatever vectors the index stored."""
    spans = [Span(s.start + 40, s.end + 40) for s in split_sentences(SEED_PARAGRAPH)]
    texts = [SEED_PARAGRAPH[s.start - 40 : s.end - 40] for s in spans]
    passage = Passage("seed", "Gespräche", SEED_PARAGRAPH, 40, 40 + len(SEED_PARAGRAPH), 1.0, chunk_id="seed-0")
    others = ["Der Hamburger Hafen eröffnete ein Terminal.", "Gletscher schmelzen.", *(f"Zeile {n}." for n in range(9))]
    batched = OnnxEmbeddings(cache_dir=Settings().model_cache_dir, batch_size=32)
    stored = {
        "alone": embeddings.embed_passages_array(texts),
        "batch": batched.embed_passages_array(texts + others)[: len(texts)],
    }
    assert not np.allclose(stored["alone"], stored["batch"], atol=1e-4)  # the builds differ
    vector = embeddings.embed_query_array(MEDIATE_EN)
    seen = []
    for vectors in stored.values():
        by_chunk = {"seed-0": list(zip(spans, vectors, strict=True))}
        answerer = ExtractiveAnswerer(
            embeddings, sentences=lambda _, lookup=by_chunk: lookup, abstention=Abstention(fixed_aligned=0.0)
        )
        weighing = answerer.weigh(MEDIATE_EN, vector, [passage])
        assert weighing.aligned
        quotes = answerer.answer_weighed(weighing).quotes
        seen.append(([c.score for c in weighing.candidates], [(q.start, q.end) for q in quotes]))
    assert seen[0][0] == pytest.approx(seen[1][0], abs=1e-6) and seen[0][1] == seen[1][1]


def test_token_states_give_the_float32_sentence_vector_of_the_same_run(embeddings: OnnxEmbeddings) -> None:
    exact = OnnxEmbeddings(cache_dir=Settings().model_cache_dir, precision="float32")
    texts = ["Die Gespräche sollten unter Vermittlung Katars beginnen.", "Kurz."]
    for states, vector in zip(embeddings.passage_token_states(texts), exact.embed_passages_array(texts), strict=True):
        assert states.pooled is not None and np.allclose(states.pooled, vector, atol=1e-5)
    question = embeddings.query_token_states(MEDIATE_EN).pooled
    assert question is not None and np.allclose(question, exact.embed_query_array(MEDIATE_EN), atol=1e-5)
    aligner = TokenAligner(embeddings)
    covered = aligner.covered(aligner.question(MEDIATE_EN), texts, [True, True], [True, False])
    assert covered.cosines is not None and np.isnan(covered.cosines[1])  # not aligned: the stored vector's cosine
    assert covered.cosines[0] == pytest.approx(
        float(exact.embed_query_array(MEDIATE_EN) @ exact.embed_passages_array(texts[:1])[0]), abs=1e-5
    )
