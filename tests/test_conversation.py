"""Follow-up questions are rewritten from the conversation; standalone questions are left alone."""

from __future__ import annotations

import pytest

from assistant.answering.conversation import is_followup, message_text, rewrite_followup

TALKS = "Worüber verhandeln Russland und die Ukraine?"


def chat(*questions: str) -> list[dict]:
    """A conversation of user questions, each followed by an assistant answer."""
    history: list[dict] = []
    for question in questions:
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": "Eine Antwort. [1]"}]
    return history


def test_the_issue_s_example() -> None:
    assert rewrite_followup("Und wer sollte vermitteln?", chat(TALKS)) == f"{TALKS} Und wer sollte vermitteln?"


@pytest.mark.parametrize(
    "question",
    [
        "Und wann?",
        "Warum?",
        "Was hat er dazu gesagt?",
        "Was bedeutet das?",
        "Seit wann?",
        "Und was sagt Selenskij?",
        "Außerdem: wie reagierte Moskau?",
        "And who should mediate?",
        "What about Kursk?",
        "What did they agree on?",
        "Why?",
        "Is it still valid?",
    ],
)
def test_follow_ups_get_the_earlier_question_in_front(question: str) -> None:
    assert rewrite_followup(question, chat(TALKS)) == f"{TALKS} {question}"


@pytest.mark.parametrize(
    "question",
    [
        "Wer sollte die Gespräche vermitteln?",
        "Was hat Selenskij über die Energieanlagen gesagt?",
        "Bahnstreik",
        "Klimagipfel in Baku",
        "Wie viele Quadratkilometer kontrolliert die Ukraine im Gebiet Kursk?",
        "Who should mediate the talks between Russia and Ukraine?",
        "What did the Financial Times report about energy attacks?",
        "Was ist das Ziel der Gespräche?",
    ],
)
def test_standalone_questions_stay_unchanged(question: str) -> None:
    assert rewrite_followup(question, chat(TALKS)) == question
    assert not is_followup(question)


def test_without_earlier_questions_nothing_changes() -> None:
    assert rewrite_followup("Und wer sollte vermitteln?", []) == "Und wer sollte vermitteln?"
    only_answers = [{"role": "assistant", "content": "Willkommen."}]
    assert rewrite_followup("Und wann?", only_answers) == "Und wann?"


def test_a_chain_of_follow_ups_goes_back_to_the_last_standalone_question() -> None:
    history = chat("Wie heißt der neue Bus?", TALKS, "Und wer sollte vermitteln?")
    assert rewrite_followup("Und wann?", history) == f"{TALKS} Und wer sollte vermitteln? Und wann?"


def test_the_latest_standalone_question_is_the_context() -> None:
    history = chat(TALKS, "Was kostet das Deutschlandticket?")
    assert rewrite_followup("Und seit wann?", history) == "Was kostet das Deutschlandticket? Und seit wann?"


def test_the_chain_is_bounded() -> None:
    history = chat(TALKS, "Und wer?", "Und wo?", "Und warum?")
    assert rewrite_followup("Und wann?", history) == "Und wo? Und warum? Und wann?"


def test_gradio_6_message_parts_are_read() -> None:
    history = [{"role": "user", "content": [{"type": "text", "text": TALKS}]}]
    assert message_text(history[0]) == TALKS
    assert rewrite_followup("Und wer sollte vermitteln?", history) == f"{TALKS} Und wer sollte vermitteln?"


def test_blank_questions_are_not_follow_ups() -> None:
    assert not is_followup("   ")
    assert rewrite_followup("", chat(TALKS)) == ""


def test_a_chat_turn_becomes_two_plain_messages() -> None:
    from assistant.answering.conversation import ChatTurn
    from assistant.answers import Answer

    turn = ChatTurn("Und wann?", f"{TALKS} Und wann?", iter(()))
    assert turn.rewritten and not ChatTurn(TALKS, TALKS, iter(())).rewritten
    answered = turn.messages(Answer(turn.searched, "Am Montag. [1]", False))
    assert answered == [{"role": "user", "content": "Und wann?"}, {"role": "assistant", "content": "Am Montag. [1]"}]
    assert turn.messages(None)[1] == {"role": "assistant", "content": ""}  # a failed answer: the question stays
