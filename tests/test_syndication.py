"""Syndicated copies: the same story from several outlets is shown once, naming every outlet."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Article, Assistant
from assistant.answering.syndication import are_copies, shingles
from tests.samples import BUS

SEED = next((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt")).read_text(encoding="utf-8")
STORY = SEED.split("---\n", 2)[2]


def syndicated(text: str, outlet_line: str) -> str:
    """As an outlet republishes an agency story: own headline and boilerplate, one sentence dropped."""
    paragraphs = text.strip().split("\n")
    del paragraphs[2]
    return f"Eilmeldung aus Kiew\n\n{outlet_line}\n" + "\n".join(paragraphs) + "\n\n© APA. Alle Rechte vorbehalten."


def test_a_near_copy_is_recognised_and_distinct_articles_are_not() -> None:
    original = shingles(STORY)
    assert are_copies(original, shingles(syndicated(STORY, "Wien (APA) –")))
    assert are_copies(original, original)
    assert not are_copies(original, shingles(BUS))
    assert not are_copies(original, shingles(STORY[:400]))  # a teaser inside the story is not a copy of it
    stub = "Der Volltext dieses auf Agenturmeldungen basierenden Artikels steht nicht mehr zur Verfügung."
    assert not are_copies(shingles("Reaktion auf Schelte von EU. " + stub), shingles("Explosion in Istanbul. " + stub))


@pytest.fixture
def syndicated_index(indexed: Assistant, seeds: Path) -> Assistant:
    copies = [
        Article("apa/kiew-energie", syndicated(STORY, "Wien (APA) –"), title="Energie", source="Der Standard"),
        Article("dpa/energie", syndicated(STORY, "Berlin (dpa) –"), title="Gespräche über Energie", source="Die Welt"),
        Article("exact-copy", STORY, title="Kopie", source="Financial Times"),
        Article("bus", BUS.split("---\n", 2)[2], title="Wasserstoffbus", source="Musterstädter Zeitung"),
    ]
    indexed.index([seeds, *copies])
    return indexed


def test_a_question_shows_a_syndicated_story_once_with_every_outlet(syndicated_index: Assistant) -> None:
    answer = syndicated_index.ask("Wer sollte die Gespräche vermitteln?", k=4)

    story_ids = {"apa/kiew-energie", "dpa/energie", "exact-copy"}
    shown = [p for p in answer.passages if p.article_id in story_ids or p.article_id.startswith("seeds/")]
    assert len({p.article_id for p in shown}) == 1  # one of the four copies, its passages only
    outlets = {"Financial Times", "Der Standard", "Die Welt"}
    kept = shown[0]
    assert {kept.source, *kept.also_in} == outlets
    assert kept.to_dict()["also_in"] == list(kept.also_in)
    assert "Katar" in answer.quotes[0].text
    assert len({q.article_id for q in answer.quotes}) == 1


def test_without_copies_nothing_changes(indexed: Assistant) -> None:
    answer = indexed.ask("Wer sollte die Gespräche vermitteln?", k=3)

    assert len(answer.passages) == 3
    assert all(not p.also_in and "also_in" not in p.to_dict() for p in answer.passages)
