"""Whether the retrieved sentences hold what was asked: the finders for names and places, and the decline
model's calls on the signals of the detail search (fitted in bench/bench_answers.py; the figures are in
docs/answer-quality.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from assistant import Assistant, Settings
from assistant.answering.decline import (
    CROSS_DECLINE_MODEL,
    DECLINE_MODEL,
    FEATURES,
    NEWS_DECLINE_MODEL,
    DetailSignals,
)
from assistant.answering.extractive import DetailWeights
from assistant.answering.spans import name_spans, place_spans
from assistant.answers import Passage
from assistant.phrases import phrase


def found(finder: object, text: str) -> list[str]:
    assert callable(finder)
    return [text[start:end] for start, end in finder(text)]


def test_names_are_runs_of_capitalised_words_holding_a_proper_noun_foreign_word_or_acronym() -> None:
    assert found(name_spans, "Die Verteidigung der Carolina Panthers gab nur 308 Punkte ab.") == ["Carolina Panthers"]
    assert found(name_spans, "Präsident Joe Biden traf die NFL in Washington.") == ["Joe Biden", "NFL", "Washington"]
    assert found(name_spans, "Der Konzern Westinghouse kaufte die Firma.") == ["Westinghouse"]
    assert found(name_spans, "Die Sitzung dauerte bis spät in den Abend.") == []


def test_a_day_after_a_preposition_is_no_place() -> None:
    text = "Der Stadtrat tagte am Montag im alten Rathaus, im Juni in Nordstrand."
    assert found(place_spans, text) == ["im alten Rathaus", "in Nordstrand"]


HELD = DetailSignals(
    kind="number",
    held=True,
    held_best=True,
    holder_margin=0.1,
    evidence_margin=0.1,
    holder_coverage=0.5,
    holder_distinctive=0.5,
    nearness=0.8,
    cross=False,
)


def test_the_model_answers_when_the_best_sentence_holds_the_detail_near_the_question_s_words() -> None:
    assert len(HELD.features()) == len(FEATURES) == len(DECLINE_MODEL.coefficients)
    assert not DECLINE_MODEL.declines(HELD)
    assert DetailWeights().model == DECLINE_MODEL  # the shipped default


def test_the_model_declines_when_no_sentence_holds_one_or_only_a_weak_one_far_from_the_question() -> None:
    nothing = dataclasses.replace(
        HELD, held=False, held_best=False, holder_margin=-0.3, holder_coverage=0.0, holder_distinctive=0.0, nearness=0
    )
    assert DECLINE_MODEL.declines(nothing)
    weak = dataclasses.replace(HELD, held_best=False, holder_margin=0.0, evidence_margin=0.02, holder_coverage=0.2,
                               holder_distinctive=0.1, nearness=0.2)  # fmt: skip
    assert DECLINE_MODEL.declines(weak)


def test_questions_in_another_language_have_a_model_of_their_own() -> None:
    """English questions on German news: the margins stand on the alignment's scale, so the model of the
    articles' language would decline nearly all of them; the cross-language model answers a held detail near
    the question's words and declines a missing one. It is not the default: it declines the seed's "Who was
    supposed to mediate the talks?" (the alignment does not tie "talks" to "Verhandlungen")."""
    assert DetailWeights().cross_model is None
    cross = dataclasses.replace(HELD, cross=True, holder_margin=0.05, evidence_margin=0.05)
    assert len(cross.features()) == len(CROSS_DECLINE_MODEL.coefficients)
    assert not CROSS_DECLINE_MODEL.declines(cross)
    missing = dataclasses.replace(
        cross, held=False, held_best=False, holder_margin=-0.3, holder_coverage=0, holder_distinctive=0, nearness=0
    )
    assert CROSS_DECLINE_MODEL.declines(missing)


def test_the_cutoff_is_a_setting_a_news_archive_can_raise(indexed: Assistant) -> None:
    """`decline_cutoff` moves the one constant the docs' curve trades on: at 0 nothing is declined for a missing
    detail, at 1 every question asking for one is (the evidence still decides whether the articles answer)."""
    missing = "Wie viele Diplomaten schickte Katar zu den Gesprächen?"
    held = "Wann sollten die Verhandlungen unter Vermittlung Katars beginnen?"
    assert indexed.ask(missing).answer == phrase("de", "missing_number")  # the fitted default declines it
    assert not indexed.ask(held).abstained
    for cutoff, declined in ((0.0, False), (1.0, True)):
        other = Assistant(
            Settings(index_dir=indexed.settings.index_dir, decline_cutoff=cutoff), embeddings=indexed.embeddings
        )
        try:
            assert other.ask(missing).abstained is declined
            assert other.ask(held).abstained is declined
        finally:
            other.close()


def passage(published: str | None) -> Passage:
    return Passage("a", "", "Text.", 0, 5, 1.0, published=published)


def test_a_news_archive_has_a_cutoff_of_its_own() -> None:
    """Where most passages come from dated articles (news) the topic is almost always found and what goes missing
    is the detail, so the decline model declines sooner there (docs/answer-quality.md); across languages the
    cross-language model (off by default) holds in any archive."""
    weights = DetailWeights()
    dated, undated = [passage("2020-06-17"), passage("2020-06-18"), passage(None)], [passage(None), passage(None)]
    assert weights.decline_model(dated, cross=False) == NEWS_DECLINE_MODEL
    assert weights.decline_model(undated, cross=False) == DECLINE_MODEL
    assert NEWS_DECLINE_MODEL.coefficients == DECLINE_MODEL.coefficients
    assert NEWS_DECLINE_MODEL.cutoff > DECLINE_MODEL.cutoff
    assert weights.decline_model(dated, cross=True) is None  # the rule for days and numbers, as elsewhere


def test_the_seed_dated_as_news_declines_a_place_it_does_not_name(
    indexed: Assistant, seeds: Path, tmp_path: Path
) -> None:
    """The seed names no place for the talks. Undated (an encyclopaedia's cutoff) it answers with the sentence on
    the planned talks; as a dated news article it says that the articles name no place, and the questions it
    answers stay answered."""
    question = "Wo sollten die Verhandlungen stattfinden?"
    assert not indexed.ask(question).abstained
    news = tmp_path / "news"
    news.mkdir()
    seed = next(seeds.glob("*.txt")).read_text(encoding="utf-8")
    dated = seed.replace("source: Financial Times\n", "source: Financial Times\npublished: 2024-11-12\n", 1)
    assert dated != seed
    (news / "seed.txt").write_text(dated, encoding="utf-8")
    archive = Assistant(Settings(index_dir=tmp_path / "news-index"), embeddings=indexed.embeddings)
    try:
        archive.index([news])
        declined = archive.ask(question)
        assert declined.abstained and declined.answer == phrase("de", "missing_place") and declined.passages
        for kept in ("Wer sollte die Gespräche vermitteln?", "Wann sollten die Verhandlungen unter Vermittlung "
                     "Katars beginnen?", "Wie viel Fläche kontrolliert die Ukraine in Kursk?"):  # fmt: skip
            assert not archive.ask(kept).abstained
    finally:
        archive.close()


def test_a_detail_question_only_the_second_look_answers_needs_its_detail_in_the_best_sentence(
    indexed: Assistant,
) -> None:
    """The seed reports drone attacks but no number of drones: the second look (for questions worded unlike
    their answer) found the topic, and a number stood only in a weaker sentence about something else. Before,
    the answer was the sentence about the attacks, without a number; now it says what is missing."""
    declined = indexed.ask("Wie viele Drohnen wurden abgeschossen?")
    assert declined.abstained and declined.answer == phrase("de", "missing_number") and declined.passages
    answered = indexed.ask("Wer sollte die Gespräche vermitteln?")  # the name stands in the best sentence
    assert not answered.abstained and answered.short_answer is not None and "Katar" in answered.short_answer.text


def test_a_detail_is_preferred_across_languages_on_the_alignment_s_scale() -> None:
    """English questions on German news: their scores stand on the token alignment's scale, where +0.02 moved no
    quote; a day or number there gets `cross_bonus` (docs/answer-quality.md, round five), names none."""
    from assistant.answering.details import Holding
    from assistant.answering.extractive import _SentenceCandidate
    from assistant.chunking import Span

    weights = DetailWeights()
    candidate = _SentenceCandidate(0, Span(0, 40), 2.5)
    holding = Holding(own=(Span(10, 20),), end=40)
    assert weights.preferred(candidate, holding).score == 2.5 + weights.bonus
    assert weights.preferred(candidate, holding, cross=True).score == 2.5 + weights.cross_bonus
    assert weights.cross_bonus > weights.bonus and weights.cross_preferred == {"day", "number"}


def test_the_cross_language_model_is_a_setting(indexed: Assistant) -> None:
    """`cross_decline_cutoff` turns on the cross-language model for English questions on German news (off by
    default: it declines the seed's "Who was supposed to mediate the talks?"); at 1 every English question asking
    for a detail is declined, unset the one the default answers stays answered."""
    english = "Who was supposed to mediate the talks?"
    assert not indexed.ask(english).abstained
    other = Assistant(
        Settings(index_dir=indexed.settings.index_dir, cross_decline_cutoff=1.0), embeddings=indexed.embeddings
    )
    try:
        assert other.ask(english).abstained
        assert (
            other.ask("Wer sollte die Gespräche vermitteln?").abstained
            is indexed.ask("Wer sollte die Gespräche vermitteln?").abstained
        )  # German questions keep their own model
    finally:
        other.close()
