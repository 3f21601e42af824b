"""Quote verification: a model's quote counts only where it stands, verbatim, in the passage it cites."""

from __future__ import annotations

from assistant.answering.verification import find_quotations, locate, normalize_with_positions, strip_markers, verify
from assistant.answers import Passage

ARTICLE_A = (
    "Die Türkei bot an, die Gespräche zwischen Russland und der Ukraine zu vermitteln. Erdoğan lud nach Istanbul ein."
)
PREFIX_B = "Vorspann.\n\n"
ARTICLE_B = PREFIX_B + "Die Lokführer\n  streiken ab Montag. Die Bahn nennt das „unverhältnismäßig“."
ARTICLES = {"a": ARTICLE_A, "b": ARTICLE_B}
PASSAGES = [
    Passage("a", "Vermittlung", ARTICLE_A, 0, len(ARTICLE_A), 1.0),
    Passage("b", "Bahnstreik", ARTICLE_B[len(PREFIX_B) :], len(PREFIX_B), len(ARTICLE_B), 0.5),
]
REMOVED = "[entfernt]"


def assert_located(result) -> None:
    for quote in result.quotes:
        assert ARTICLES[quote.article_id][quote.start : quote.end] == quote.text


def test_exact_quote_is_located_with_article_offsets() -> None:
    result = verify("Vermitteln wollte „Die Türkei bot an“ [1].", PASSAGES, removed=REMOVED)
    assert [q.text for q in result.quotes] == ["Die Türkei bot an"]
    assert result.dropped == 0
    assert_located(result)


def test_whitespace_and_quotation_marks_are_normalized_but_the_quote_keeps_the_articles_characters() -> None:
    answer = 'Es heißt: "Die Lokführer streiken ab Montag" [2] und "Die Bahn nennt das "unverhältnismäßig"" [2].'
    result = verify(answer, PASSAGES, removed=REMOVED)
    assert result.quotes[0].text == "Die Lokführer\n  streiken ab Montag"
    assert result.quotes[0].start == len(PREFIX_B)
    assert_located(result)


def test_locate_maps_normalized_positions_back() -> None:
    text = "a  „b“\n\nc ’d’"
    start, end = locate("„b“ c 'd'", text)
    assert text[start:end] == "„b“\n\nc ’d’"
    assert locate("b c x", text) is None
    normal, positions = normalize_with_positions(text)
    assert normal == "a \"b\" c 'd'"
    assert len(positions) == len(normal)


def test_fabricated_changed_and_misattributed_quotes_are_dropped_visibly() -> None:
    answer = (
        "„Die Türkei lehnte jede Vermittlung ab“ [1]. "  # fabricated
        "„Die Türkei bot an, die Verhandlungen zwischen Russland und der Ukraine zu vermitteln“ [1]. "  # changed
        "„Die Lokführer streiken ab Montag“ [1]. "  # in passage 2, cited to 1
        "„Erdoğan lud nach Istanbul ein“ [1]."  # genuine
    )
    result = verify(answer, PASSAGES, removed=REMOVED)
    assert [q.text for q in result.quotes] == ["Erdoğan lud nach Istanbul ein"]
    assert result.dropped == 3
    assert result.text.count(REMOVED) == 3
    assert "lehnte" not in result.text and "Verhandlungen" not in result.text
    assert result.text.endswith("„Erdoğan lud nach Istanbul ein“ [1].")


def test_markers_are_renumbered_to_the_kept_quotes() -> None:
    answer = "Streik [2]. „Erdoğan lud nach Istanbul ein“ [1] und „streiken ab Montag“ [2]. Sonst nichts [3]."
    result = verify(answer, PASSAGES, removed=REMOVED)
    assert [q.article_id for q in result.quotes] == ["a", "b"]
    assert result.text == "Streik [2]. „Erdoğan lud nach Istanbul ein“ [1] und „streiken ab Montag“ [2]. Sonst nichts."


def test_uncited_quote_counts_when_some_passage_holds_it() -> None:
    result = verify("Sie sagt „unverhältnismäßig“.", PASSAGES, removed=REMOVED)
    assert [q.text for q in result.quotes] == ["unverhältnismäßig"]
    assert_located(result)


def test_find_quotations_reads_the_cited_passage() -> None:
    found = find_quotations('„eins zwei“ [2], “three four” [1] and "five six" without')
    assert [(q.text, q.cites) for q in found] == [("eins zwei", 2), ("three four", 1), ("five six", None)]


def test_answer_without_quotes_has_nothing_verified() -> None:
    result = verify("Die Bahn ist ab morgen kostenlos [1].", PASSAGES, removed=REMOVED)
    assert result.quotes == [] and result.dropped == 0
    assert strip_markers("Die Bahn ist kostenlos [1].") == "Die Bahn ist kostenlos."
