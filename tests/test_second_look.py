"""The second look at near calls (`SecondLook`): a German question worded unlike its answer is answered when the
token alignment finds its words in a sentence, while an unrelated question still gets "the articles do not
say" (the real model on the bundled seed index)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.answering.extractive import Abstention, ExtractiveAnswerer, SecondLook
from assistant.answers import Answer

# The seed article says "... im Grenzgebiet Kursk aktiv sind, das nach Angaben der Ukraine weiterhin über 1.000
# Quadratkilometer kontrolliert wird": the question shares none of "Fläche", "hält", "besetzt" with it.
PARAPHRASED = "Wie viel Fläche hält die Ukraine in Russland besetzt?"
UNRELATED = ("Wie hoch ist der Eiffelturm?", "Wie wird das Wetter morgen?")


def answer_with(assistant: Assistant, question: str, second_look: SecondLook | None) -> Answer:
    """The answer of an extractive answerer like the assistant's own, with this second look (None: without)."""
    own = assistant.answerer
    assert isinstance(own, ExtractiveAnswerer)
    answerer = ExtractiveAnswerer(
        assistant.embeddings, sentences=own.sentences, idf=own.idf, index_size=own.index_size, second_look=second_look
    )
    vector = assistant.embeddings.embed_query_array(question)
    return answerer.answer(question, vector, assistant.retrieve(question))


def test_a_paraphrased_question_near_the_threshold_is_answered(indexed: Assistant) -> None:
    assert answer_with(
        indexed, PARAPHRASED, None
    ).abstained  # the first evidence alone: its words are not the article's
    assert answer_with(indexed, PARAPHRASED, SecondLook(band=0.0)).abstained  # no near call looked at again
    answer = indexed.ask(PARAPHRASED)
    assert not answer.abstained
    assert "1.000 Quadratkilometer" in answer.quotes[0].text


@pytest.mark.parametrize("question", UNRELATED)
def test_unrelated_questions_still_abstain_even_when_every_call_gets_a_second_look(
    indexed: Assistant, question: str
) -> None:
    assert indexed.ask(question).abstained
    assert answer_with(indexed, question, SecondLook(band=10.0)).abstained


def test_the_second_look_threshold_follows_the_index_size_within_bounds() -> None:
    look, reference = SecondLook(), Abstention().reference_chunks
    assert look.threshold_for(reference, reference) == pytest.approx(look.threshold)
    sizes = [1, 4, 40, 400, reference, 10 * reference, 10**9]
    thresholds = [look.threshold_for(size, reference) for size in sizes]
    assert thresholds == sorted(thresholds)
    assert np.diff(thresholds[:4]) == pytest.approx([look.per_doubling * np.log2(s) for s in (4, 10, 10)])
    assert thresholds[-1] == pytest.approx(look.threshold + 0.12)


def test_a_users_own_threshold_turns_the_second_look_off(indexed: Assistant) -> None:
    own = indexed.answerer
    assert isinstance(own, ExtractiveAnswerer) and own.second_look == SecondLook()
    fixed = ExtractiveAnswerer(indexed.embeddings, abstention=Abstention(fixed=0.9))
    assert fixed.second_look is None
