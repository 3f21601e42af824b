"""Stories: arriving articles grouped into stories on a real index (real model, Chroma and story book on disk),
the views, the digest and the outlet comparison, through Python and the `assistant` command as a subprocess."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant import Article, Assistant, Settings
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.errors import InvalidInputError, StoryNotFoundError
from assistant.indexing.records import Records
from assistant.indexing.store import ChromaStore, StoredChunk, open_client
from assistant.protocols import VectorStore
from assistant.stories.assigning import StoryAssigner
from assistant.stories.book import StoryBook
from assistant.stories.clustering import Decision, Profile
from assistant.stories.comparison_answer import ComparisonAnswer, comparison_text
from assistant.stories.sentences import changed
from tests.helpers import SHARED
from tests.stories_samples import ARTICLES, LATE

FANG = SHARED / "data" / "fang-covid" / "articles.jsonl"


def by_article(assistant: Assistant) -> dict[str, str]:
    return {aid: story.id for story in assistant.stories() for aid in story.article_ids}


def test_articles_of_one_story_are_grouped_and_keep_their_ids(assistant: Assistant, settings: Settings) -> None:
    assistant.index(ARTICLES)
    story = by_article(assistant)
    assert story["fire-1"] == story["fire-2"] == story["fire-3"]
    assert story["strike-1"] == story["strike-2"]
    assert len({story["fire-1"], story["strike-1"], story["weather-1"]}) == 3

    again = Assistant(settings, embeddings=assistant.embeddings)  # another process's view, same folder
    try:
        assert again.index(ARTICLES).unchanged and by_article(again) == story
        again.index(LATE)  # published on the first day of the fire, indexed last: joins the old story
        assert by_article(again)["fire-late"] == story["fire-1"]
    finally:
        again.close()

    assistant.delete("strike-2")
    after = by_article(assistant)
    assert "strike-2" not in after and after["strike-1"] == story["strike-1"]


class CountingAssigner(StoryAssigner):
    """The production assigner, counting the articles the indexer's hook hands it."""

    articles = 0

    def assign(self, articles: list[tuple[Article, np.ndarray]], store: VectorStore) -> None:
        super().assign(articles, store)
        self.articles += len(articles)


def test_a_given_story_assigner_is_the_one_used(settings: Settings, embeddings: OnnxEmbeddings) -> None:
    """`Assistant(stories=...)`: the indexer's hook and the story views both use the assigner given."""
    counting = CountingAssigner(Path(settings.index_dir))
    helper = Assistant(settings, embeddings=embeddings, stories=counting)
    try:
        helper.index(ARTICLES[:3])
        assert counting.articles == 3
        assert {aid for story in helper.stories() for aid in story.article_ids} == {a.id for a in ARTICLES[:3]}
    finally:
        helper.close()


def test_story_page_and_listing(assistant: Assistant) -> None:
    assistant.index(ARTICLES)
    fire = next(s for s in assistant.stories() if "fire-1" in s.article_ids)
    assert fire.first_seen == "2024-03-10" and fire.last_update == "2024-03-12"
    assert fire.title in {a.title for a in ARTICLES if a.id.startswith("fire")}
    assert [(o.source, o.articles, o.first_report) for o in fire.outlets] == [
        ("nordkurier.de", 1, "2024-03-10"),
        ("suedkurier.de", 1, "2024-03-11"),
        ("westkurier.de", 1, "2024-03-12"),
    ]
    page = assistant.story(fire.id)
    assert [a.id for a in page.articles] == ["fire-1", "fire-2", "fire-3"]
    assert page.per_day == [("2024-03-10", "nordkurier.de", 1), ("2024-03-11", "suedkurier.de", 1),
                            ("2024-03-12", "westkurier.de", 1)]  # fmt: skip
    for quote in page.timeline:
        assert assistant.article(quote.article_id).text[quote.start : quote.end] == quote.text
    assert [q.date for q in page.timeline] == ["2024-03-10", "2024-03-11", "2024-03-12"]
    assert {s.id for s in assistant.stories(since="2024-03-12", until="2024-03-12")} == {
        fire.id,
        *(s.id for s in assistant.stories() if {"strike-2", "weather-1"} & set(s.article_ids)),
    }
    assert assistant.stories(since="2024-03-10", until="2024-03-10") == [fire]
    assert {s.id for s in assistant.stories(sources=["westkurier.de"])} >= {fire.id}
    with pytest.raises(StoryNotFoundError):
        assistant.story("s-000000000000")


def test_merged_story_keeps_its_old_id(tmp_path: Path) -> None:
    book = StoryBook(tmp_path / "stories.sqlite3")
    vector = np.ones(4, dtype=np.float32)

    def profile(story_id: str, members: list[str], day: int) -> Profile:
        return Profile(story_id, vector * len(members), {"brand": 1.0}, day, day, day, 1, len(members), members)

    book.apply(Decision(profile("s-a", ["a"], 10), True, []), "a", vector, {"brand": 1.0}, 10)
    book.apply(Decision(profile("s-b", ["b"], 11), True, []), "b", vector, {"brand": 1.0}, 11)
    both = Decision(profile("s-a", ["a", "c"], 10), False, [profile("s-b", ["b"], 11)])
    book.apply(both, "c", vector, {"brand": 1.0}, 12)
    assert book.resolve("s-b") == book.resolve("s-a") == "s-a"
    assert {m.article_id for m in book.members("s-a")} == {"a", "b", "c"}
    assert book.profiles({"s-a"})[0].last_day == 12 and book.resolve("s-x") is None
    book.remove(["a", "b", "c"])
    assert book.resolve("s-a") is None or not book.members("s-a")
    book.close()


def test_an_id_that_leads_elsewhere_is_never_given_to_a_new_story(tmp_path: Path) -> None:
    """An article removed and indexed again must not start a story under an id that a merge made lead elsewhere
    (or that a story of others still has): machines sharing the book resolve old ids through the aliases."""
    from assistant.stories.clustering import new_story_id, story_id_for

    book = StoryBook(tmp_path / "stories.sqlite3")
    vector = np.ones(4, dtype=np.float32)
    first = story_id_for("a")
    book.apply(Decision(Profile(first, vector, {"brand": 1.0}, 10, 10, 10, 1, 1, ["a"]), True, []), "a", vector,
               {"brand": 1.0}, 10)  # fmt: skip
    book.apply(Decision(Profile("s-b", vector, {"brand": 1.0}, 11, 11, 11, 1, 1, ["b"]), True, []), "b", vector,
               {"brand": 1.0}, 11)  # fmt: skip
    book.regroup(first, Decision(Profile("s-b", vector * 2, {"brand": 2.0}, 10, 11, 21, 2, 2), False, []))
    book.remove(["a"])
    assert book.resolve(first) == "s-b"
    again = new_story_id("a", book)
    assert again != first and again.startswith("s-") and book.resolve(again) is None
    assert new_story_id("c", book) == story_id_for("c")
    book.close()


def test_articles_without_a_story_get_one_at_the_next_look(settings: Settings, embeddings: OnnxEmbeddings) -> None:
    """What a run killed between the record's commit and the story book's leaves: articles without a story."""
    plain = Assistant(settings.model_copy(update={"stories": False}), embeddings=embeddings)
    try:
        plain.index(ARTICLES)
    finally:
        plain.close()
    assert not (settings.index_dir / "stories.sqlite3").exists()
    repaired = Assistant(settings, embeddings=embeddings)
    try:
        story = by_article(repaired)
        assert set(story) == {a.id for a in ARTICLES}
        assert story["fire-1"] == story["fire-3"] != story["strike-1"]
    finally:
        repaired.close()


def test_digest_leaves_out_repeats_marks_updates_and_shows_late_arrivals(assistant: Assistant) -> None:
    assistant.index(ARTICLES)
    stories = {d.story.id: d for d in assistant.digest("2024-03-11", "2024-03-11")}
    fire = next(d for d in stories.values() if "fire-2" in d.new_articles)
    assert fire.new_articles == ["fire-2"]
    texts = [i.sentence.text for i in fire.items]
    assert "Verletzt wurde nach ersten Berichten niemand." not in texts  # fire-1 said it the day before
    update = next(i for i in fire.items if i.earlier is not None)
    assert "350 Zelte" in update.sentence.text and "300 Zelte" in update.earlier.text and update.change == "numbers"
    for item in fire.items:
        s = item.sentence
        assert assistant.article(s.article_id).text[s.start : s.end] == s.text
    assert fire.to_dict()["sentences"][0]["earlier"]["article_id"] == "fire-1"
    with pytest.raises(InvalidInputError):
        assistant.digest("last tuesday")

    looked = time.time()  # a reader looks; then an article dated the fire's first day is indexed
    assert assistant.digest(arrived_since=looked) == []
    assistant.index(LATE)
    arrived = assistant.digest(arrived_since=looked)
    assert [(d.story.id, d.new_articles) for d in arrived] == [(fire.story.id, ["fire-late"])]
    texts = [i.sentence.text for i in arrived[0].items]
    assert texts and all(assistant.article("fire-late").text.find(t) >= 0 for t in texts)
    assert "Die Bewohner des Lagers flohen in die umliegenden Olivenhaine." not in texts  # fire-1 had said it
    assert arrived[0].left_out >= 1
    assert "fire-late" not in {a for d in assistant.digest("2024-03-11") for a in d.new_articles}  # published before
    assert assistant.digest(arrived_since=dt.datetime.fromtimestamp(looked).isoformat()) == arrived
    for wrong in ({"since": "2024-03-11", "arrived_since": looked}, {}, {"arrived_since": "vorhin"}):
        with pytest.raises(InvalidInputError):
            assistant.digest(**wrong)  # type: ignore[arg-type]


def test_compare_aligns_outlets(assistant: Assistant) -> None:
    assistant.index(ARTICLES)
    comparison = assistant.compare("Wie berichten die Medien über den Brand im Lager Kara Tepe?")
    assert comparison.outlets == ["nordkurier.de", "suedkurier.de", "westkurier.de"]
    assert len(comparison.shown_outlets()) == 3
    changes = {(d.a.text, d.b.text): d.change for d in comparison.differences}
    assert any("300 Zelte" in a and "350 Zelte" in b for a, b in changes)
    assert any("Kairidis" in a and "Mitarakis" in b for a, b in changes)
    assert any(s.also_in for s in comparison.shared)
    quotes = [s.quote for s in comparison.shared + comparison.single]
    quotes += [x for d in comparison.differences for x in (d.a, d.b)]
    for q in quotes:
        assert assistant.article(q.article_id).text[q.start : q.end] == q.text

    answer = assistant.ask("Wie berichten die Medien über den Brand im Lager Kara Tepe?")  # ask answers it alike
    assert isinstance(answer, ComparisonAnswer) and not answer.abstained
    assert answer.answer.startswith("So berichten 3 Quellen über") and "andere Zahlen" in answer.answer
    assert [(q.article_id, q.start, q.text) for q in answer.quotes] == [
        (s.article_id, s.start, s.text) for s in comparison_text(comparison, "de")[1]
    ]
    assert all(f"[{n}]" in answer.answer for n in range(1, len(answer.quotes) + 1))
    assert all(q.day for q in answer.quotes)  # each quote with the day it speaks about, as every answer's
    english = assistant.ask("How do the outlets report on the fire in the Kara Tepe camp?")
    assert english.answer.startswith("How 3 outlets report on") and english.quotes


def test_a_story_page_counts_days_and_tells_the_days_its_articles_name(assistant: Assistant) -> None:
    """Publication times (as feeds give them) count by their day; the page's timeline comes from the timeline
    stage: fire-1, published on Monday the 11th, tells of the night to Sunday the 10th."""
    times = ("2024-03-11T08:05:00+01:00", "2024-03-11 18:30:00", "2024-03-12T07:00:00+01:00")
    assistant.index([dataclasses.replace(a, published=t) for a, t in zip(ARTICLES[:3], times, strict=True)])
    story = next(s for s in assistant.stories() if "fire-1" in s.article_ids)
    assert story.id in {s.id for s in assistant.stories(until="2024-03-11")}  # 18:30 on the 11th is the 11th
    page = assistant.story(story.id)
    assert [(day, n) for day, _, n in page.per_day] == [("2024-03-11", 1), ("2024-03-11", 1), ("2024-03-12", 1)]
    assert "2024-03-10" in [q.date for q in page.timeline]
    for quote in page.timeline:
        assert assistant.article(quote.article_id).text[quote.start : quote.end] == quote.text


def test_changed_numbers_dates_and_names() -> None:
    assert changed("Rund 300 Zelte brannten nieder.", "Rund 350 Zelte brannten nieder.") == "numbers"
    assert changed("Der Streik soll am Dienstag beginnen.", "Der Streik soll am Mittwoch beginnen.") == "dates"
    assert (
        changed("Minister Dimitris Kairidis kam nach Lesbos.", "Minister Notis Mitarakis kam nach Lesbos.") == "names"
    )
    assert changed("In der Nacht brach ein Großbrand aus.", "Ein Großbrand zerstörte große Teile des Lagers.") is None


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def _write_jsonl(path: Path, rows: list[dict[str, str | None]]) -> None:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_cli_stories_story_compare_digest(tmp_path: Path) -> None:
    news = tmp_path / "news.jsonl"
    _write_jsonl(news, [
        {"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url, "text": a.text}
        for a in ARTICLES
    ])  # fmt: skip
    index = ["--index-dir", str(tmp_path / "index")]
    assert run_cli("index", str(news), *index, cwd=tmp_path).returncode == 0
    listed = json.loads(run_cli("stories", *index, "--json", cwd=tmp_path).stdout)
    assert len(listed) == 3
    fire = next(s for s in listed if "fire-1" in s["article_ids"])
    assert set(fire) >= {"id", "title", "first_seen", "last_update", "outlets", "article_ids"}
    assert fire["article_ids"] == ["fire-1", "fire-2", "fire-3"]
    window = json.loads(run_cli("stories", *index, "--since", "11.3.2024", "--until", "2024-03-11", "--json",
                                cwd=tmp_path).stdout)  # fmt: skip
    assert {s["id"] for s in window} == {fire["id"], next(s["id"] for s in listed if "strike-1" in s["article_ids"])}
    page = json.loads(run_cli("story", fire["id"], *index, "--json", cwd=tmp_path).stdout)
    assert page["id"] == fire["id"] and len(page["timeline"]) == 3 and len(page["per_day"]) == 3
    text = run_cli("story", fire["id"], *index, cwd=tmp_path).stdout
    assert "Outlets:" in text and "suedkurier.de: 1 article, first 2024-03-11" in text
    missing = run_cli("story", "s-nothing", *index, cwd=tmp_path)
    assert missing.returncode == 1 and "no story with id 's-nothing'" in missing.stderr

    compared = json.loads(run_cli("compare", "Wo unterscheiden sich die Darstellungen zum Brand in Kara Tepe?", *index,
                                  "--json", cwd=tmp_path).stdout)  # fmt: skip
    assert compared["story_id"] == fire["id"] and compared["differences"]
    told = run_cli("compare", "Wo unterscheiden sich die Darstellungen zum Brand in Kara Tepe?", *index, cwd=tmp_path)
    assert told.stdout.startswith(f"{fire['id']}\nSo berichten 3 Quellen über") and "[1] fire-" in told.stdout
    asked = json.loads(run_cli("ask", "Wie berichten die Medien über den Brand in Kara Tepe?", *index, "--json",
                               cwd=tmp_path).stdout)  # fmt: skip
    assert list(asked)[:5] == ["question", "answer", "abstained", "quotes", "passages"]
    assert asked["answer"].startswith("So berichten 3 Quellen") and asked["quotes"]
    digest = json.loads(run_cli("digest", "--since", "2024-03-11", "--until", "2024-03-11", *index, "--json",
                                cwd=tmp_path).stdout)  # fmt: skip
    updates = [s for story in digest for s in story["sentences"] if s["update"]]
    assert updates and updates[0]["earlier"]["text"].endswith("300 Zelte nieder.")
    bad = run_cli("digest", "--since", "gestern abend", *index, cwd=tmp_path)
    assert bad.returncode == 1 and "--since takes a day" in bad.stderr

    looked = f"{time.time():.3f}"  # a reader looks; then another process indexes an article of the fire's first day
    late = tmp_path / "late.jsonl"
    _write_jsonl(late, [{"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url,
                         "text": a.text} for a in LATE])  # fmt: skip
    assert run_cli("index", str(late), *index, cwd=tmp_path).returncode == 0
    arrived = json.loads(run_cli("digest", "--arrived-since", looked, *index, "--json", cwd=tmp_path).stdout)
    assert [(s["id"], s["new_articles"]) for s in arrived] == [(fire["id"], ["fire-late"])]
    assert "nothing arrived" in run_cli("digest", "--arrived-since", "0h", *index, cwd=tmp_path).stdout
    both = run_cli("digest", "--arrived-since", looked, "--until", "2024-03-12", *index, cwd=tmp_path)
    assert both.returncode == 1 and "not both" in both.stderr


@pytest.mark.slow
@pytest.mark.skipif(not FANG.exists(), reason="the FANG-COVID data set (../shared/data) is not there")
def test_fang_covid_subset_through_the_cli(tmp_path: Path) -> None:
    """Tönnies articles of two June days and Moria articles of two September days, interleaved: two stories
    (at least three of each topic's four articles in its story, the two stories apart)."""
    rows = [json.loads(line) for line in FANG.read_text(encoding="utf-8").split("\n") if line.strip()]
    days = {"2020-06-20", "2020-06-21"}
    toennies = [r for r in rows if "tönnies" in r["header"].lower() and r["date"][:10] in days]
    moria = [r for r in rows if "moria" in r["header"].lower() and r["date"][:10] in {"2020-09-09", "2020-09-10"}]
    chosen = toennies[:4] + moria[:4]
    assert len(chosen) == 8
    news = tmp_path / "fang.jsonl"
    _write_jsonl(news, [
        {"id": r["url"], "title": r["header"], "source": r["source"], "published": r["date"], "url": r["url"],
         "text": r["article"]}
        for r in chosen[::2] + chosen[1::2]
    ])  # fmt: skip
    index = ["--index-dir", str(tmp_path / "index")]
    assert run_cli("index", str(news), *index, cwd=tmp_path).returncode == 0
    listed = json.loads(run_cli("stories", *index, "--json", cwd=tmp_path).stdout)
    story = {aid: s["id"] for s in listed for aid in s["article_ids"]}
    main = {}
    for name, rows_of in (("toennies", toennies[:4]), ("moria", moria[:4])):
        counts = Counter(story[r["url"]] for r in rows_of)
        main[name], size = counts.most_common(1)[0]
        assert size >= 3, counts  # a commentary column that mentions the fire may stand apart
    assert main["toennies"] != main["moria"]


def _leads_in_store(tmp_path: Path, lead: dict[str, np.ndarray]) -> ChromaStore:
    """The articles' lead vectors in a real store, all published on one day: where the assigner's candidates are."""
    store = ChromaStore(open_client(tmp_path / "chroma", None), "leads", owned=True)
    chunks = [StoredChunk(f"{a}#0", "", {"article_id": a, "published_day": 20240310}) for a in lead]
    store.upsert(chunks, np.stack(list(lead.values())).astype(np.float32))
    return store


@pytest.mark.slow
def test_stories_on_a_chroma_server_reach_another_machine(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    """One machine indexes into a Chroma server; another, with an empty folder of its own, lists the same stories
    (its book is filled from the shared archive when first asked)."""
    from tests.helpers import CHROMA, ChromaServer

    if not CHROMA.exists():
        pytest.skip("the chroma CLI is not installed")
    server = ChromaServer(tmp_path / "server")
    server.start()
    try:
        writer = Assistant(Settings(index_dir=tmp_path / "a", chroma_url=server.url), embeddings=embeddings)
        reader = Assistant(Settings(index_dir=tmp_path / "b", chroma_url=server.url), embeddings=embeddings)
        try:
            writer.index(ARTICLES)
            written, read = by_article(writer), by_article(reader)
            assert read == written
            assert read["fire-1"] == read["fire-2"] == read["fire-3"] != read["strike-1"]
            assert reader.story(read["fire-1"]).summary.article_ids == ["fire-1", "fire-2", "fire-3"]
        finally:
            writer.close()
            reader.close()
    finally:
        server.stop()


def test_a_lone_article_near_a_newcomer_moves_into_the_story_it_now_fits(tmp_path: Path) -> None:
    """The settle step: a story of one article that an arriving article passes near is decided again, and moves
    (its id leading there) into the story it fits, even when the newcomer itself starts a story of its own."""
    from assistant.articles import Article
    from assistant.stories.assigning import StoryAssigner

    fire = {"moria": 2.0, "brand": 2.0, "lager": 1.0, "zelte": 1.0}
    lead = {
        "s1": np.array([1.0, 0.02, 0.0, 0.0]),
        "s2": np.array([1.0, 0.0, 0.02, 0.0]),
        "lone": np.array([1.0, 0.01, 0.01, 0.0]),
        "new": np.array([0.0, 0.0, 0.0, 1.0]),
    }
    store = _leads_in_store(tmp_path, lead)
    assigner = StoryAssigner(tmp_path)
    book = assigner.book

    def profile(story_id: str, members: list[str]) -> Profile:
        vector = np.sum([lead[m] / np.linalg.norm(lead[m]) for m in members], axis=0).astype(np.float32)
        return Profile(story_id, vector, dict.fromkeys(fire, 1.0), 738955, 738955, 738955, 1, len(members), members)

    book.apply(Decision(profile("s-story", ["s1"]), True, []), "s1", lead["s1"], fire, 738955)
    book.apply(Decision(profile("s-story", ["s1", "s2"]), False, []), "s2", lead["s2"], fire, 738955)
    book.apply(Decision(profile("s-lone", ["lone"]), True, []), "lone", lead["lone"], fire, 738955)
    assert book.story_of("lone") == "s-lone"
    newcomer = Article(id="new", text="Die Bahn streikt.", title="Streik", published="2024-03-10")
    try:
        assigner.assign([(newcomer, lead["new"])], store)
        assert book.story_of("new") not in {"s-story", "s-lone"}
        assert book.story_of("lone") == "s-story" and book.resolve("s-lone") == "s-story"
        assert {m.article_id for m in book.members("s-story")} == {"s1", "s2", "lone"}
    finally:
        assigner.close()
        store.close()


@pytest.mark.parametrize("settle_size", [10, 2])
def test_a_small_story_near_a_newcomer_moves_whole_into_the_story_it_now_fits(tmp_path: Path, settle_size: int) -> None:
    """Settling small stories (`Params.settle_size`): a story of two articles that started apart from a story of
    the same event is decided again as a whole when an arriving article passes near it, and moves there with its
    old id leading along; with settling for lone articles only (size 2) it stays apart."""
    from assistant.articles import Article
    from assistant.stories.assigning import StoryAssigner
    from assistant.stories.clustering import Params

    fire = {"moria": 2.0, "brand": 2.0, "lager": 1.0, "zelte": 1.0}
    day = 738955
    lead = {
        "s1": np.array([1.0, 0.02, 0.0, 0.0]),
        "s2": np.array([1.0, 0.0, 0.02, 0.0]),
        "s3": np.array([1.0, 0.02, 0.02, 0.0]),
        "p1": np.array([1.0, 0.05, 0.0, 0.01]),
        "p2": np.array([1.0, 0.0, 0.05, 0.01]),
        "new": np.array([0.0, 0.0, 0.0, 1.0]),
    }
    store = _leads_in_store(tmp_path, lead)
    assigner = StoryAssigner(tmp_path, Params(settle_size=settle_size))
    book = assigner.book

    def profile(story_id: str, members: list[str]) -> Profile:
        vector = np.sum([lead[m] / np.linalg.norm(lead[m]) for m in members], axis=0).astype(np.float32)
        return Profile(story_id, vector, dict.fromkeys(fire, len(members)), day, day, day, 1, len(members), members)

    for story_id, members in (("s-story", ["s1", "s2", "s3"]), ("s-pair", ["p1", "p2"])):
        for n, aid in enumerate(members):
            book.apply(Decision(profile(story_id, members[: n + 1]), n == 0, []), aid, lead[aid], fire, day)
    newcomer = Article(id="new", text="Die Bahn streikt.", title="Streik", published="2024-03-10")
    try:
        assigner.assign([(newcomer, lead["new"])], store)
        together = book.story_of("p1") == book.story_of("p2") == book.story_of("s1")
        assert book.story_of("new") not in {book.story_of("s1"), book.story_of("p1")}
        if settle_size == 2:
            assert not together and book.story_of("p1") == "s-pair"
        else:
            assert together and book.resolve("s-pair") == book.resolve("s-story") == book.story_of("s1")
            assert len(book.members(book.story_of("s1"))) == 5
    finally:
        assigner.close()
        store.close()


def test_a_story_grown_general_draws_no_more_articles() -> None:
    """The focus rule: a story of five or more articles draws an article only through a word most of its articles
    share and few others hold (its names and places); one of general words ("Corona", "Krise") does not."""
    from assistant.stories.clustering import Params, Scorer

    vector = np.ones(4, dtype=np.float32)
    df = {"moria": 6, "lesbos": 5, "corona": 1500, "krise": 900, "schule": 600}
    focused = Profile("s-moria", vector * 6, {"moria": 6.0, "lesbos": 4.0, "corona": 2.0}, 10, 12, 66, 6, 6)
    general = Profile("s-corona", vector * 6, {"corona": 6.0, "krise": 3.0, "schule": 2.0}, 10, 12, 66, 6, 6)
    scorer = Scorer(Params(), df, 2000)
    assert scorer.similarity(vector, {"moria": 2.0, "corona": 1.0}, focused) > Params().threshold
    assert scorer.similarity(vector, {"corona": 3.0, "krise": 1.0}, general) == 0.0
    assert Scorer(Params(focus=0.0), df, 2000).similarity(vector, {"corona": 3.0, "krise": 1.0}, general) > 0.0


def test_a_writers_turn_keeps_the_member_count_without_counting_again(tmp_path: Path) -> None:
    """`StoryBook.counting`: inside a turn the count is read once and follows the book's own additions (an article
    applied again is not counted twice); a removal counts again; outside a turn every call counts."""
    book = StoryBook(tmp_path / "stories.sqlite3")
    vector = np.ones(4, dtype=np.float32)

    def add(aid: str) -> None:
        book.apply(Decision(Profile(f"s-{aid}", vector, {"x": 1.0}, 10, 10, 10, 1, 1), True, []), aid, vector,
                   {"x": 1.0}, 10)  # fmt: skip

    add("a")
    with book.counting():
        add("b")
        add("b")
        add("c")
        assert book.article_count() == 3
        book._db.execute("DELETE FROM members WHERE article_id = 'c'")  # as another process would: not seen
        assert book.article_count() == 3
        book.remove(["a"])
        assert book.article_count() == 1 == len(book.article_ids())
    add("d")
    assert book.article_count() == 2
    book.close()


def test_the_book_finds_the_nearest_members_of_a_window(tmp_path: Path) -> None:
    """`Params.book_candidates`' search: only members published in the window, nearest first."""
    book = StoryBook(tmp_path / "stories.sqlite3")
    leads = {"a": ([1.0, 0.0], 10), "b": ([0.9, 0.1], 12), "c": ([1.0, 0.0], 40), "d": ([0.0, 1.0], 11)}
    for aid, (lead, day) in leads.items():
        vector = np.asarray(lead, np.float32)
        book.apply(Decision(Profile(f"s-{aid}", vector, {"x": 1.0}, day, day, day, 1, 1), True, []), aid, vector,
                   {"x": 1.0}, day)  # fmt: skip
    assert book.nearest(np.asarray([1.0, 0.0], np.float32), 5, 20, 2) == ["a", "b"]
    assert book.nearest(np.asarray([0.0, 1.0], np.float32), 5, 20, 5) == ["d", "b", "a"]
    assert book.nearest(np.asarray([1.0, 0.0], np.float32), 50, 60, 5) == []
    book.close()


def test_a_look_reads_only_what_arrived_since_the_book_last_matched_the_record(
    settings: Settings, embeddings: OnnxEmbeddings
) -> None:
    """The catch-up's marker: after a look, the book notes that it matched the record; the next look assigns what
    arrived since from the record's arrivals alone, and whatever else changed (an article the record lost, a member
    the book dropped) makes it compare every id again, so nothing is missed either way."""
    plain = Assistant(settings.model_copy(update={"stories": False}), embeddings=embeddings)
    viewer = Assistant(settings, embeddings=embeddings)
    book = StoryBook(settings.index_dir / "stories.sqlite3")
    try:
        plain.index(ARTICLES[:4])
        assert set(by_article(viewer)) == {a.id for a in ARTICLES[:4]}
        first = book.matched_at()
        assert first is not None
        assert by_article(viewer) and book.matched_at() is not None  # nothing to do: still matched

        plain.index(ARTICLES[4:])  # another process indexes without stories: the record moves, the book does not
        assert set(by_article(viewer)) == {a.id for a in ARTICLES}
        noted = book.matched_at()
        assert noted is not None and noted > first

        plain.delete("fire-2")  # the record loses an article the book holds
        assert "fire-2" not in by_article(viewer)
        assert by_article(viewer) and book.matched_at() is not None
        book.remove(["strike-1"])  # the book drops a member the record holds: the note is void
        assert book.matched_at() is None
        assert set(by_article(viewer)) == {a.id for a in ARTICLES} - {"fire-2"}
        assert book.matched_at() is not None

        records = ListingRecords(settings.index_dir / "records.sqlite3")
        assigner = StoryAssigner(settings.index_dir)
        try:
            assert assigner.catch_up(records, viewer._store_access(), push=False) == 0
            assert records.listed == 0  # nothing to do: no list of every id was read
        finally:
            assigner.close()
            records.close()
    finally:
        book.close()
        viewer.close()
        plain.close()


class ListingRecords(Records):
    """The real record, counting how often every article id is listed."""

    listed = 0

    def article_ids(self) -> set[str]:
        self.listed += 1
        return super().article_ids()
