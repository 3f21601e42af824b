"""Which chat questions the outlet comparison and the digest answer, the days they mean, the visits kept per user,
and how the comparison's HTML treats a statement an outlet told with another number (no model, no server; the
page itself is `test_compare_digest_browser.py`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.serve.compare_view import comparison_answer, comparison_frames
from assistant.serve.digest_asking import DigestAsk, Since, digest_ask, since_day
from assistant.serve.digest_view import since_text
from assistant.serve.user_store import FolderUserStore
from assistant.serve.visits import Visits
from assistant.stories.compare import Comparison, Difference, Statement, align, asks_for_comparison
from assistant.stories.sentences import Sentence

TODAY = dt.date(2026, 3, 15)
VISIT = dt.datetime(2026, 3, 10, 18, 30).timestamp()


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("Was ist neu seit gestern?", "2026-03-14"),
        ("Was gibt es Neues seit vorgestern", "2026-03-13"),
        ("Was ist neu seit dem 1. Juni?", "2025-06-01"),  # no year: the latest 1 June up to today
        ("Was ist neu seit dem 1. März?", "2026-03-01"),
        ("Was ist neu seit dem 11.3.2024?", "2024-03-11"),
        ("Was ist neu seit dem 11. März 2024?", "2024-03-11"),
        ("Neues seit 2024-03-11?", "2024-03-11"),
        ("Was ist neu seit 3 Tagen?", "2026-03-12"),
        ("was gibt es neues seit einer Woche", "2026-03-08"),
        ("Was ist neu seit 2w", "2026-03-01"),
        ("What's new since yesterday?", "2026-03-14"),
        ("What is new since June 1, 2024?", "2024-06-01"),
    ],
)
def test_a_digest_question_means_a_publication_day(question: str, day: str) -> None:
    assert digest_ask(question, lambda: TODAY, lambda: VISIT) == DigestAsk(Since(day), by_visit=False)


@pytest.mark.parametrize(
    "question",
    [
        "Was ist neu seit meinem letzten Besuch?",
        "Was ist neu?",
        "Was gibt es Neues?",
        "What's new since my last visit?",
    ],
)
def test_since_the_last_visit_starts_on_its_day(question: str) -> None:
    assert digest_ask(question, lambda: TODAY, lambda: VISIT) == DigestAsk(Since("2026-03-10", VISIT), by_visit=True)
    assert digest_ask(question, lambda: TODAY, lambda: None) == DigestAsk(None, by_visit=True)  # a first visit: no day


@pytest.mark.parametrize(
    "question",
    [
        "Was ist neu seit dem Brand in Moria?",  # a topic, not a day: an ordinary question
        "Was gibt es Neues vom Brand im Lager Kara Tepe?",
        "Was ist neu seit dem 31. Februar?",
        "Wer hat seit gestern gestreikt?",
        "Wie berichten die Medien über den Bahnstreik?",
    ],
)
def test_other_questions_are_not_digests(question: str) -> None:
    assert digest_ask(question, lambda: TODAY, lambda: VISIT) is None


def test_the_box_takes_the_same_days() -> None:
    assert since_day("gestern", TODAY) == "2026-03-14"
    assert since_day("3d", TODAY) == "2026-03-12"
    assert since_day("1.6.", TODAY) == "2025-06-01"
    assert since_day("am Sankt-Nimmerleins-Tag", TODAY) is None


def test_the_window_is_named_in_the_askers_language() -> None:
    assert since_text(Since("2024-03-11"), "de") == "dem 11.03.2024"
    assert since_text(Since("2024-03-11"), "en") == "2024-03-11"
    assert since_text(Since("2024-03-11", VISIT), "de").startswith("Ihrem letzten Besuch (10.03.2026 18:30")


def test_comparison_questions_are_recognised() -> None:
    for question in (
        "Wie berichten die Medien über den Brand im Lager Moria?",
        "Wo unterscheiden sich die Darstellungen zum Bahnstreik?",
        "How do outlets differ on the rail strike?",
    ):
        assert asks_for_comparison(question)
    assert not asks_for_comparison("Wann begann der Bahnstreik?")


def test_each_user_has_a_last_visit(tmp_path: Path) -> None:
    visits = Visits(Assistant(Settings(index_dir=tmp_path / "index")), FolderUserStore(tmp_path / "users.sqlite"))
    assert visits.arrive("anna", now=100.0) is None
    assert visits.arrive("anna", now=1000.0) is None  # a reload within the hour: the same (first) visit
    assert visits.arrive("anna", now=90_000.0) == 1000.0  # the next day: the visit before ended at 1000
    assert visits.arrive("anna", now=91_000.0) == 1000.0  # and stays the one before while this visit goes on
    assert visits.before("anna", now=91_500.0) == 1000.0  # read by a question, nothing kept
    assert visits.before("anna", now=200_000.0) == 91_000.0  # a page not yet kept: the latest is the one before
    assert visits.arrive("ben", now=92_000.0) is None
    latest = visits.last("anna")
    assert latest is not None and latest.at == 91_000.0


def _sentence(article: str, source: str, text: str, start: int = 0) -> Sentence:
    return Sentence(text, article, source, f"<b>{article}</b>", "2024-03-10", start, start + len(text))


def test_an_outlet_that_tells_it_with_another_number_is_not_also_in() -> None:
    three = _sentence("a-1", "a.de", "Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder.")
    fifty = _sentence("b-1", "b.de", "Nach Angaben der Feuerwehr brannten rund 350 Zelte nieder.")
    copy = _sentence("c-1", "c.de", "Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder.")
    vectors = np.array([[1.0, 0.0], [0.999, 0.0447], [1.0, 0.0]])  # the three sentences as near-identical vectors
    comparison = align("Wie berichten die Medien über den Brand?", "s-1", "Brand", [three, fifty, copy], vectors,
                       np.array([1.0, 0.0]))  # fmt: skip
    assert [(s.quote.source, s.also_in) for s in comparison.shared] == [("a.de", ["c.de"])]
    assert [(s.quote.source, s.also_in) for s in comparison.single] == [("b.de", [])]
    assert [(d.a.source, d.b.source, d.change) for d in comparison.differences] == [("a.de", "b.de", "numbers")]


def test_a_comparison_is_shown_per_outlet_and_escaped() -> None:
    three = _sentence("a-1", "a.de", "Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder.")
    fifty = _sentence("b-1", "b.de", "Nach Angaben der Feuerwehr brannten rund 350 Zelte nieder.")
    calm = _sentence("a-1", "a.de", "Verletzt wurde nach ersten Berichten niemand.", 80)
    only = _sentence("c-1", "<i>c.de</i>", "Ein Leser schrieb <script>alert(1)</script> dazu.")
    comparison = Comparison(
        "Wie berichten die Medien über den Brand?",
        "s-1",
        "Brand <b>im</b> Lager",
        ["a.de", "b.de", "<i>c.de</i>"],
        shared=[Statement(three, ["c.de"]), Statement(calm, ["b.de"])],
        single=[Statement(only, [])],
        differences=[Difference(three, fifty, "numbers")],
    )
    frames = list(comparison_frames(comparison, "de", lambda _id: None))
    assert all("na-streaming" in frame for frame in frames[:-1]) and "na-streaming" not in frames[-1]
    final = frames[-1]
    assert "<script>" not in final and "&lt;script&gt;alert(1)&lt;/script&gt;" in final
    assert "Brand &lt;b&gt;im&lt;/b&gt; Lager" in final and "nur in &lt;i&gt;c.de&lt;/i&gt;" in final
    assert final.count("class='na-difference'") == 1 and "andere Zahlen" in final
    answer = comparison_answer(comparison, comparison.shared, "de")
    assert [q.text for q in answer.quotes] == [three.text, calm.text, only.text, three.text, fifty.text]
    assert "[5]" in answer.answer and not answer.abstained
