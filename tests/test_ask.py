"""Asking from Python: answers quote the article verbatim, at the offsets they claim, or abstain."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import (
    Article,
    ArticleNotFoundError,
    Assistant,
    EmptyQuestionError,
    IndexNotFoundError,
    InvalidInputError,
    SearchFilter,
    Settings,
)
from assistant.answering.extractive import Abstention, QuestionTerms, Weights, is_overview_question, stem_prefixes


def assert_verbatim(assistant: Assistant, answer) -> None:
    for item in [*answer.quotes, *answer.passages]:
        assert assistant.article(item.article_id).text[item.start : item.end] == item.text


def test_who_should_mediate_is_answered_with_the_qatar_sentence(indexed: Assistant) -> None:
    answer = indexed.ask("Wer sollte die Gespräche vermitteln?")
    assert not answer.abstained
    assert "Katar" in answer.quotes[0].text
    assert answer.quotes[0].title.startswith("Russland und Ukraine")
    assert answer.quotes[0].source == "Financial Times"
    assert "[1]" in answer.answer and answer.quotes[0].text in answer.answer
    assert_verbatim(indexed, answer)


def test_who_was_supposed_to_mediate_in_english_quotes_the_german_qatar_sentence(indexed: Assistant) -> None:
    answer = indexed.ask("Who was supposed to mediate the talks?")
    assert not answer.abstained and answer.language == "en"
    assert "unter Vermittlung Katars" in answer.quotes[0].text  # verbatim, in the article's language
    assert_verbatim(indexed, answer)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie viele Quadratkilometer kontrolliert die Ukraine im Gebiet Kursk?", "1.000 Quadratkilometer"),
        ("Wann sollten die Verhandlungen unter Vermittlung Katars beginnen?", "August 2024"),
        ("Was will Kiew weiterhin angreifen?", "Ölraffinerien"),
    ],
)
def test_quotes_hold_the_answer(indexed: Assistant, question: str, expected: str) -> None:
    answer = indexed.ask(question)
    assert not answer.abstained
    assert any(expected in quote.text for quote in answer.quotes)
    assert_verbatim(indexed, answer)


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("Wie hoch ist der Eiffelturm in Paris?", "Dazu sagen die Artikel nichts"),
        ("What is the recipe for apple pie?", "The articles don't say"),
    ],
)
def test_abstains_in_the_question_s_language_and_still_lists_passages(indexed: Assistant, question, says) -> None:
    answer = indexed.ask(question)
    assert answer.abstained and answer.quotes == []
    assert answer.answer.startswith(says)
    assert answer.passages


def test_english_questions_about_english_articles(indexed: Assistant) -> None:
    indexed.index(
        [
            Article(
                id="en-1",
                title="Port strike",
                text="Dock workers in Rotterdam went on strike on Monday. The union demands a wage rise of 8 percent. "
                "Shipping companies expect delays of up to two weeks.",
            )
        ]
    )
    answer = indexed.ask("How large is the wage rise the union demands?")
    assert not answer.abstained and answer.language == "en"
    assert "8 percent" in answer.quotes[0].text
    assert_verbatim(indexed, answer)


def test_retrieve_returns_k_passages_with_offsets(indexed: Assistant) -> None:
    indexed.index([Article(id="extra", text="Ganz anderes Thema: Der Bäcker am Markt öffnet um 6 Uhr.")])
    passages = indexed.retrieve("Angriffe auf Energieanlagen", k=2)
    assert len(passages) == 2
    assert passages[0].score >= passages[1].score
    for passage in passages:
        assert indexed.article(passage.article_id).text[passage.start : passage.end] == passage.text


def test_filters_apply_in_the_store(indexed: Assistant) -> None:
    indexed.index(
        [
            Article(
                id="a", text="Der Bahnstreik legt den Fernverkehr lahm.", source="Tagesschau", published="2024-03-01"
            ),
            Article(
                id="b", text="Der Bahnstreik ist beendet, die Züge fahren.", source="Spiegel", published="2024-03-09"
            ),
        ]
    )
    only = indexed.retrieve("Bahnstreik", k=5, search_filter=SearchFilter(sources=("Spiegel",)))
    assert {p.article_id for p in only} == {"b"}
    early = indexed.retrieve("Bahnstreik", k=5, search_filter=SearchFilter(published_to="2024-03-05"))
    assert {p.article_id for p in early} == {"a"}
    between = SearchFilter(published_from="2024-03-02", published_to="2024-03-31")
    assert {p.article_id for p in indexed.retrieve("Bahnstreik", k=5, search_filter=between)} == {"b"}


def test_article_and_errors(indexed: Assistant, tmp_path: Path, embeddings) -> None:
    with pytest.raises(ArticleNotFoundError):
        indexed.article("nope")
    with pytest.raises(EmptyQuestionError):
        indexed.ask("   ")
    empty = Assistant(Settings(index_dir=tmp_path / "nothing"), embeddings=embeddings)
    with pytest.raises(IndexNotFoundError, match="add articles first") as error:
        empty.ask("Wer?")
    assert "--" not in str(error.value) and "`assistant" not in str(error.value)  # it reaches the chat too
    assert not (tmp_path / "nothing").exists()  # asking never creates an index


def test_public_names_are_pinned() -> None:
    import assistant

    assert sorted(assistant.__all__) == [
        "Answer",
        "Article",
        "ArticleNotFoundError",
        "Assistant",
        "AssistantError",
        "ConfigurationError",
        "EmptyQuestionError",
        "IndexNotFoundError",
        "IndexReport",
        "IndexStatus",
        "InvalidArticleError",
        "InvalidInputError",
        "ModelLoadError",
        "ModelMismatchError",
        "Passage",
        "Quote",
        "Refusal",
        "SearchFilter",
        "Settings",
        "StoreUnavailableError",
    ]


@pytest.mark.parametrize("question", ["Worüber sprechen Russland und die Ukraine?", "Welche Rolle spielt Katar?"])
def test_a_one_article_index_answers_its_topical_questions(indexed: Assistant, question: str) -> None:
    """The threshold follows the index size: a small index is not held to the bar of thousands of articles."""
    answer = indexed.ask(question)
    assert not answer.abstained and answer.quotes
    assert indexed.answerer.abstain_threshold() < Abstention().threshold
    assert_verbatim(indexed, answer)


def test_a_fixed_abstain_threshold_overrides_the_calibration(settings: Settings, embeddings, seed_index: Path) -> None:
    shutil.copytree(seed_index, settings.index_dir)  # the seeds, indexed
    strict = Assistant(settings.model_copy(update={"abstain_threshold": 5.0}), embeddings=embeddings)
    try:
        assert strict.answerer.abstain_threshold() == 5.0
        assert strict.ask("Wer sollte die Gespräche vermitteln?").abstained
    finally:
        strict.close()


def test_the_abstain_threshold_rises_with_the_index_size() -> None:
    calibrated = Abstention()
    sizes = [1, 5, 50, 500, calibrated.reference_chunks, 1_000_000, 10_000_000]
    thresholds = [calibrated.threshold_for(n) for n in sizes]
    assert thresholds == sorted(thresholds) and len(set(thresholds)) == len(thresholds) - 1  # flat past the clamp
    assert calibrated.threshold_for(calibrated.reference_chunks) == calibrated.threshold
    assert calibrated.threshold_for(5) == pytest.approx(calibrated.threshold - calibrated.per_doubling * 9.85, abs=0.01)
    assert Abstention(fixed=0.5).threshold_for(1) == 0.5


def test_only_a_passage_standing_out_beyond_chance_adds_evidence() -> None:
    """No pool of five candidates reaches a fused z-score of 2, so small indexes get no standout bonus."""
    weights = Weights()
    assert weights.evidence(0.8, 0.1, 1.9) == weights.evidence(0.8, 0.1, -1.0) == pytest.approx(0.81)
    assert weights.evidence(0.8, 0.1, 4.0) > weights.evidence(0.8, 0.1, 2.5) > weights.evidence(0.8, 0.1, 2.0)


SKY = """---
title: Sky+HD
---
Sky+HD ist das hochauflösende Angebot des Bezahlsenders Sky in Großbritannien. Auf Sky+HD wird das Material im \
Format MPEG-4 ausgestrahlt, und die meisten Sendungen verwenden den Standard DVB-S2. Interaktive Dienste und der \
elektronische Programmführer verwenden das proprietäre System OpenTV. Die Empfangsgeräte von Sky+HD enthalten \
Modems für den Rückkanal.
"""


def test_the_quote_is_the_sentence_with_the_question_s_telling_words(assistant: Assistant, tmp_path: Path) -> None:
    """'Sky+HD' is in most sentences and cannot tell them apart; 'proprietäre System' points at the answer.
    (Weighting question words by rarity in the whole index alone quoted the first two sentences here.)"""
    (tmp_path / "sky.md").write_text(SKY, encoding="utf-8")
    assistant.index([tmp_path / "sky.md"])
    answer = assistant.ask("Welches proprietäre System verwendet Sky+HD?")
    assert not answer.abstained
    assert "OpenTV" in answer.quotes[0].text
    assert_verbatim(assistant, answer)


def test_question_words_in_many_candidate_sentences_weigh_less() -> None:
    terms = QuestionTerms.of("Welches proprietäre System verwendet Sky?", lambda stem: 2.0)
    texts = ("Sky sendet.", "Sky nutzt MPEG-4.", "Das proprietäre System heißt OpenTV.")
    topic, telling = stem_prefixes(texts[0]), stem_prefixes(texts[2])
    distinctive = terms.distinctive_among([stem_prefixes(text) for text in texts])
    assert distinctive.share_of(topic) > 0
    assert distinctive.share_of(telling) / distinctive.share_of(topic) > terms.share_of(telling) / terms.share_of(topic)


@pytest.mark.parametrize(
    "question", ["Worum geht es in dem Artikel?", "What is this article about?", "Fasse den Text zusammen."]
)
def test_an_overview_question_about_one_article_is_answered_with_its_lead(indexed: Assistant, question: str) -> None:
    """No sentence answers 'what is it about' better than another; a news article's lead does."""
    answer = indexed.ask(question)
    assert not answer.abstained
    article = indexed.article(answer.quotes[0].article_id)
    assert answer.quotes[0].start == len(article.text) - len(article.text.lstrip())  # the very first sentence
    assert answer.quotes[0].text.startswith("Die Financial Times (FT) hat berichtet")
    assert_verbatim(indexed, answer)


def test_an_overview_question_across_several_articles_is_answered_like_any_other(
    indexed: Assistant, tmp_path: Path
) -> None:
    (tmp_path / "sky.md").write_text(SKY, encoding="utf-8")
    indexed.index([tmp_path / "sky.md"])
    question = "Worum geht es in dem Artikel?"
    passages = indexed.retrieve(question, k=10)  # all chunks of both articles
    assert len({p.article_id for p in passages}) == 2
    vector = indexed.embeddings.embed_query_array(question)
    one = [p for p in passages if p.article_id == passages[0].article_id]
    lead = indexed.answerer.answer(question, vector, one)  # one article's passages: its lead
    assert lead.quotes and lead.quotes[0].start == indexed.records().lead_passage(passages[0].article_id).start
    mixed = indexed.answerer.answer(question, vector, passages)  # which article is meant is unclear
    assert [q.text for q in mixed.quotes] != [q.text for q in lead.quotes]


@pytest.mark.parametrize(
    ("question", "overview"),
    [
        ("Worum geht's?", True),
        ("Worüber berichtet die FT?", True),
        ("Was steht im Artikel?", True),
        ("Bitte fassen Sie den Bericht zusammen", True),
        ("Summarize the article.", True),
        ("Worum geht es bei den Gesprächen in Katar?", False),
        ("Was steht in Artikel 5 der Verfassung?", False),
        ("Wie fasste der Minister die Lage zusammen?", False),
        ("Worüber berichtet Selenskyj?", False),
    ],
)
def test_only_whole_article_phrasings_are_overview_questions(question: str, overview: bool) -> None:
    assert is_overview_question(question) is overview


def test_a_question_in_another_language_than_its_passages_is_weighed_as_cross_lingual() -> None:
    from assistant.answering.retrieval import CROSS_LINGUAL_FUSION, FusionWeights, fusion_weights_for
    from assistant.language import cross_lingual

    german = ["Die Gespräche sollten unter Vermittlung Katars beginnen, wie die Zeitung berichtete."] * 3
    english = ["The talks were to begin under Qatar's mediation, the newspaper reported."] * 3
    assert cross_lingual("Who was supposed to mediate the talks?", german)
    assert not cross_lingual("Wer sollte die Gespräche vermitteln?", german)
    assert cross_lingual("Wer sollte die Gespräche vermitteln?", english)
    assert not cross_lingual("Who should mediate?", [*english[:2], german[0]])  # the majority decides
    assert fusion_weights_for("Who was supposed to mediate the talks?", german) == CROSS_LINGUAL_FUSION
    assert fusion_weights_for("Wer sollte die Gespräche vermitteln?", german) == FusionWeights()
    calibrated = Abstention()
    assert calibrated.threshold_for(4615, cross_lingual=True) == pytest.approx(calibrated.threshold - 0.088)
    assert Abstention(fixed=0.7).threshold_for(4615, cross_lingual=True) == 0.7  # a user's own threshold holds


def test_chat_rewrites_a_follow_up_then_streams_the_answer(indexed: Assistant) -> None:
    """`Assistant.chat` is the conversation in the library: the follow-up searched on its own, then the same
    answer `ask` gives (text, then the `Answer`), and the turn as plain messages for the next question."""
    first = "Worüber verhandeln Russland und die Ukraine?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": indexed.ask(first).answer}]
    turn = indexed.chat("Und wer sollte vermitteln?", history)
    assert turn.searched == f"{first} Und wer sollte vermitteln?" and turn.rewritten
    *pieces, answer = list(turn)
    assert "".join(pieces) == answer.answer and answer == indexed.ask(turn.searched)
    assert_verbatim(indexed, answer)
    history += turn.messages(answer)
    assert history[-2:] == [
        {"role": "user", "content": "Und wer sollte vermitteln?"},
        {"role": "assistant", "content": answer.answer},
    ]
    standalone = indexed.chat("Wer sollte die Gespräche vermitteln?", history)
    assert not standalone.rewritten


def test_chat_checks_its_input_before_anything_else(indexed: Assistant) -> None:
    with pytest.raises(EmptyQuestionError):
        indexed.chat("  ", [])
    with pytest.raises(InvalidInputError):
        indexed.chat("Wer?", [], k=0)
