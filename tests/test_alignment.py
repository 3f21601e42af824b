"""Token alignment across languages: the bundled model's token states, a question's coverage by a sentence in
another language, and the answerer that uses it for cross-lingual questions (the real model, real indexes)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.answering.extractive import ALIGNED_THRESHOLD, Abstention, ExtractiveAnswerer
from assistant.embeddings.alignment import TokenAligner, TokenStates, content_weights, warm_in_background
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.protocols import TokenEmbedder

QUESTION = "Who was supposed to mediate the talks?"
TRANSLATION = "Die Gespräche sollten unter Vermittlung Katars beginnen."
UNRELATED = "Der Fußballverein gewann am Sonntag das Spiel gegen Bayern München."


class VectorsOnly:
    """An embedder that gives vectors but no token states, like a LangChain `Embeddings` a user brings."""

    def __init__(self, inner: OnnxEmbeddings) -> None:
        self.inner = inner
        self.model_name = inner.model_name

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.inner.embed_passages_array(texts, show_progress)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self.inner.embed_query_array(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_token_states_keep_every_word_of_the_text_and_none_of_the_prompt(embeddings: OnnxEmbeddings) -> None:
    states = embeddings.query_token_states(QUESTION)
    words = [QUESTION[start:end].strip() for start, end in states.spans]
    assert words[0] == "Who"  # the first word shares its offset with the prompt's trailing space
    assert "".join(words) == QUESTION.replace(" ", "")
    assert states.vectors.shape == (len(states.spans), embeddings.dimension)
    assert np.allclose(np.linalg.norm(states.vectors, axis=1), 1.0, atol=1e-5)
    passages = embeddings.passage_token_states([TRANSLATION, "Kurz."])
    assert [TRANSLATION[a:b].strip() for a, b in passages[0].spans][:2] == ["Die", "Gespräch"]
    assert len(passages[1].spans) == 2  # "Kurz" and "."


def test_function_words_and_punctuation_carry_no_weight() -> None:
    text = "Who was supposed to mediate the talks?"
    spans = ((0, 3), (3, 7), (7, 16), (16, 19), (19, 25), (25, 27), (27, 31), (31, 36), (36, 37), (37, 38))
    assert content_weights(text, spans).tolist() == [0, 0, 1, 0, 1, 1, 0, 1, 1, 0]
    assert content_weights("Was ist das?", ((0, 3), (3, 7), (7, 11), (11, 12))).tolist() == [1, 1, 1, 1]


def test_a_translation_covers_the_question_better_than_an_unrelated_sentence(embeddings: OnnxEmbeddings) -> None:
    aligner = TokenAligner(embeddings)
    question = aligner.question(QUESTION)
    translated, unrelated = aligner.covered(question, [TRANSLATION, UNRELATED], [True, True]).in_context
    assert translated > unrelated + 0.1
    together = aligner.covered(question, [UNRELATED, TRANSLATION, UNRELATED], [True, False, False]).in_context
    assert together[1] == pytest.approx(translated) and together[2] == pytest.approx(translated)  # the one before
    assert together[0] == pytest.approx(unrelated)


class Recording:
    """The bundled embedder's token states, remembering which sentences went through the encoder."""

    def __init__(self, inner: OnnxEmbeddings) -> None:
        self.inner = inner
        self.encoded: list[str] = []

    def query_token_states(self, text: str) -> TokenStates:
        return self.inner.query_token_states(text)

    def passage_token_states(self, texts: list[str]) -> list[TokenStates]:
        self.encoded += texts
        return self.inner.passage_token_states(texts)


def test_only_wanted_sentences_are_aligned_and_encoded_with_the_ones_before_them(embeddings: OnnxEmbeddings) -> None:
    recording = Recording(embeddings)
    aligner = TokenAligner(recording)
    question = aligner.question(QUESTION)
    sentences = [UNRELATED, TRANSLATION, "Das Wetter bleibt kühl.", "Die Börse schloss im Plus."]
    covered = aligner.covered(question, sentences, [True, False, False, False], [False, False, True, False]).in_context
    assert recording.encoded == [TRANSLATION, "Das Wetter bleibt kühl."]
    assert covered[0] == covered[1] == covered[3] == 0.0
    alone = aligner.covered(question, sentences, [True] * 4).in_context
    assert covered[2] >= alone[1] and covered[2] > alone[2] + 0.05  # the sentence before covers the question


def test_only_embedders_with_token_states_align(embeddings: OnnxEmbeddings) -> None:
    assert isinstance(embeddings, TokenEmbedder)
    assert not isinstance(VectorsOnly(embeddings), TokenEmbedder)
    assert ExtractiveAnswerer(embeddings).aligner is not None
    assert ExtractiveAnswerer(VectorsOnly(embeddings)).aligner is None


class RecordingTokenStates(VectorsOnly):
    """The bundled embedder's token states, with a record of the questions asked for them."""

    def __init__(self, inner: OnnxEmbeddings) -> None:
        super().__init__(inner)
        self.asked: list[str] = []

    def query_token_states(self, text: str) -> TokenStates:
        self.asked.append(text)
        return self.inner.query_token_states(text)

    def passage_token_states(self, texts: list[str]) -> list[TokenStates]:
        return self.inner.passage_token_states(texts)


def test_a_chat_loads_token_states_in_the_background_when_its_embedder_has_them(embeddings: OnnxEmbeddings) -> None:
    """`serve` starts this once the chat is up: the float32 graph and the full tokenizer then wait for no question."""
    recording = RecordingTokenStates(embeddings)
    thread = warm_in_background(recording)
    assert thread is not None and thread.daemon
    thread.join(timeout=120)
    assert not thread.is_alive() and recording.asked == ["warm up"]
    assert warm_in_background(VectorsOnly(embeddings)) is None


def test_the_aligned_threshold_is_on_the_coverage_scale_and_a_users_own_threshold_still_wins() -> None:
    calibrated = Abstention()
    assert calibrated.threshold_for(calibrated.reference_chunks, aligned=True) == pytest.approx(ALIGNED_THRESHOLD)
    assert calibrated.threshold_for(calibrated.reference_chunks, cross_lingual=True, aligned=True) == pytest.approx(
        ALIGNED_THRESHOLD
    )
    assert Abstention(fixed_aligned=0.7).threshold_for(4615, cross_lingual=True, aligned=True) == 0.7


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who was supposed to mediate the talks?", "unter Vermittlung Katars"),
        ("How many square kilometres does Ukraine control in the Kursk region?", "1.000 Quadratkilometer"),
        ("What does Kyiv intend to keep attacking?", "Ölraffinerien"),
    ],
)
def test_english_questions_quote_the_german_sentence_that_answers(indexed: Assistant, question, expected) -> None:
    answer = indexed.ask(question)
    assert not answer.abstained and answer.language == "en"
    assert expected in answer.quotes[0].text
    article = indexed.article(answer.quotes[0].article_id).text
    assert article[answer.quotes[0].start : answer.quotes[0].end] == answer.quotes[0].text


@pytest.mark.parametrize("question", ["Who won the football world cup in 2014?", "How do I bake bread without yeast?"])
def test_unrelated_english_questions_abstain(indexed: Assistant, question: str) -> None:
    answer = indexed.ask(question)
    assert answer.abstained and answer.answer.startswith("The articles don't say")


@pytest.mark.slow
def test_sentence_transformers_gives_the_same_token_states(embeddings: OnnxEmbeddings) -> None:
    from assistant import Settings
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings

    other = SentenceTransformerEmbeddings(cache_dir=Settings().model_cache_dir)
    assert isinstance(other, TokenEmbedder)
    texts = [TRANSLATION, "Kurz."]
    pairs = [(embeddings.query_token_states(QUESTION), other.query_token_states(QUESTION))]
    pairs += zip(embeddings.passage_token_states(texts), other.passage_token_states(texts), strict=True)
    for mine, theirs in pairs:
        assert mine.spans == theirs.spans
        assert np.allclose(mine.vectors, theirs.vectors, atol=1e-4)


def test_the_decline_signals_bridge_languages_by_aligned_tokens(embeddings: OnnxEmbeddings) -> None:
    """Across languages no stem is shared, so coverage and nearness come from aligned tokens (`bridging`): a
    translation holding the detail covers the question's words and holds the detail near them; an unrelated
    sentence with a detail of the same kind covers less, and its detail stands near no question word."""
    from assistant.answering.bridging import bridged_signals
    from assistant.answering.details import Sentence
    from assistant.chunking import Span

    aligner = TokenAligner(embeddings)
    translation = Sentence(Span(100, 100 + len(TRANSLATION)), TRANSLATION)
    unrelated = Sentence(Span(300, 300 + len(UNRELATED)), UNRELATED)
    katar = TRANSLATION.index("unter Vermittlung Katars")
    bayern = UNRELATED.index("gegen Bayern München")
    right = bridged_signals(
        aligner, QUESTION, (translation,), [translation, unrelated], (Span(100 + katar, 100 + katar + 24),)
    )
    wrong = bridged_signals(
        aligner, QUESTION, (unrelated,), [translation, unrelated], (Span(300 + bayern, 300 + bayern + 20),)
    )
    assert right.coverage > wrong.coverage
    assert right.distinctive > wrong.distinctive
    assert right.nearness > 0.5 > wrong.nearness
