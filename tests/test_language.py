"""The question's language decides the frame of the answer and whether token alignment runs."""

import pytest

from assistant.language import cross_lingual, guess_language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("In welchem Jahr starb Tesla?", "de"),
        ("Von wem wurde das Abkommen unterzeichnet?", "de"),
        ("Wer sollte die Gespräche vermitteln?", "de"),
        ("In which year did Tesla die?", "en"),
        ("Who was supposed to mediate the talks?", "en"),
        ("Who is in charge of the talks?", "en"),
    ],
)
def test_the_question_language_is_guessed(question: str, language: str) -> None:
    assert guess_language(question) == language


def test_a_question_is_cross_lingual_when_most_passages_are_in_the_other_language() -> None:
    german = ["Die Gespräche sollten unter Vermittlung Katars beginnen.", "Der Angriff wurde verurteilt."]
    assert cross_lingual("Who was supposed to mediate the talks?", german)
    assert not cross_lingual("In welchem Jahr starb Tesla?", german)
