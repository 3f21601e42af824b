"""A replay (`answering.replay`, what the benches fit weights on) is the question path itself: on a real index
it retrieves the passages `Assistant.retrieve` gives and weighs them to the evidence and answer of
`Assistant.ask`; on part of the index it sees only that part."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.answering.asking import make_question
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.replay import IndexSnapshot, replay

QUESTIONS = [
    "Wann sollten die Verhandlungen unter Vermittlung Katars beginnen?",  # a day, in the article
    "Wie viele Diplomaten schickte Katar zu den Gesprächen?",  # a number the article lacks
    "Wer gewann die Fußball-Weltmeisterschaft 1954?",  # off the topic
    "When were the talks mediated by Qatar supposed to begin?",  # across languages (token alignment)
]


def test_a_replay_gives_the_evidence_and_answer_of_ask(indexed: Assistant) -> None:
    answerer = indexed.answerer
    assert isinstance(answerer, ExtractiveAnswerer)
    keyword = indexed.keyword_index.ensure_current(indexed.records())
    snapshot = IndexSnapshot.of(indexed.vector_store(), indexed.records(), keyword)
    view = snapshot.view()
    for text in QUESTIONS:
        question = make_question(text, k=indexed.settings.top_k)
        vector = indexed.embeddings.embed_query_array(question.text)
        passages, weighing = replay(view, answerer, question, vector, k=indexed.settings.top_k)
        assert [p.chunk_id for p in passages] == [p.chunk_id for p in indexed.retrieve(text)], text
        served = answerer.weigh(question, vector, indexed.retrieve(text))
        assert weighing.evidence == pytest.approx(served.evidence, abs=1e-4), text
        assert weighing.threshold == pytest.approx(served.threshold, abs=1e-6), text
        asked = indexed.ask(text)
        replayed = answerer.answer_weighed(weighing)
        assert (replayed.abstained, replayed.answer) == (asked.abstained, asked.answer), text
        assert [(q.start, q.end) for q in replayed.quotes] == [(q.start, q.end) for q in asked.quotes], text


def test_a_replay_on_part_of_the_index_sees_only_that_part(indexed: Assistant) -> None:
    answerer = indexed.answerer
    assert isinstance(answerer, ExtractiveAnswerer)
    keyword = indexed.keyword_index.ensure_current(indexed.records())
    snapshot = IndexSnapshot.of(indexed.vector_store(), indexed.records(), keyword)
    question = make_question(QUESTIONS[0], k=4)
    vector = indexed.embeddings.embed_query_array(question.text)
    allowed = np.zeros(len(snapshot.chunks), bool)
    allowed[-1] = True
    passages, _ = replay(snapshot.view(allowed), answerer, question, vector)
    assert [p.chunk_id for p in passages] == [snapshot.chunks[-1].id]
    full, _ = replay(snapshot.view(), answerer, question, vector)
    assert len(full) > 1
    nothing, empty = replay(snapshot.view(np.zeros(len(snapshot.chunks), bool)), answerer, question, vector)
    assert nothing == [] and empty.abstains
