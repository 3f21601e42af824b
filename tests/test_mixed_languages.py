"""An archive in two languages: each article's language is kept beside its chunks, retrieval searches each
language on its own, and a question finds the passage that answers it in either language, although the
encoder puts text in the question's own language closer to it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from assistant import Assistant, Settings
from assistant.answering.retrieval import HybridRetriever, hybrid_retriever
from assistant.core import RECORDS_FILE
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.evaluation import hit_rank, load_squad, read_10kgnad_csv, with_questions_from
from assistant.indexing.migrations import LANGUAGES_TAGGED, VERSION_KEY
from assistant.indexing.progress import Phase
from assistant.indexing.records import Records
from assistant.indexing.store import open_client
from assistant.language import article_language
from assistant.protocols import KeywordSearch, RetrieverFactory, VectorStore
from tests.helpers import CHROMA, SEEDS, SHARED, Askers, ChromaServer, assert_quotes_verify, run_cli, serve_process

ENGLISH = {
    "grid.txt": """---
title: "Kyiv's power grid braces for winter"
source: Wire
---
Engineers in Kyiv are racing to rebuild the city's power grid before the first frost. The main substation on the
left bank of the Dnipro is due to be back in service by the end of March 2025, the city's energy company said.
Crews work in three shifts, and spare transformers arrive by rail from Poland every week.
Households were told to expect rolling blackouts of up to four hours a day through the winter. Hospitals and
water pumping stations have been given diesel generators, and schools will close early on the coldest days.
The energy minister said the country now imports about a fifth of its electricity from its western neighbours.
Prices for that electricity have doubled since the summer, and the government is asking donors to cover them.
""",
    "gas.txt": """---
title: "European gas prices climb as storage fills more slowly"
source: Wire
---
European gas prices rose for a third week as storage sites filled more slowly than traders had expected. The
benchmark Dutch contract traded near 45 euros per megawatt hour on Friday, its highest level since February.
Analysts blamed a cold spell in the north and maintenance at Norwegian fields for the slower injections.
Germany's storage sites are nine tenths full, short of the target the government set for the first of November.
Industry groups warned that chemical plants would cut output again if prices kept rising into the winter.
The European Commission said it saw no risk to supply this year but urged member states to keep saving gas.
""",
    "summit.txt": """---
title: "Leaders meet in Brussels to discuss reconstruction"
source: Wire
---
Leaders from twenty countries met in Brussels on Tuesday to discuss the cost of rebuilding damaged towns. The
World Bank put the bill for reconstruction at more than four hundred billion dollars over the next ten years.
Delegates agreed to set up a fund for housing and schools, but could not agree on how to pay for it. Several
countries want frozen central bank assets to be used, while others fear legal challenges in their courts.
The next meeting is planned for the spring in Rome, where the fund's rules are to be signed by all members.
""",
}
"""English wire stories on the seed's themes (energy, war, talks) that do not say what the seed says."""


def write_articles(folder: Path) -> None:
    """The German seed article and the three English stories, as files in `folder`."""
    shutil.copytree(SEEDS, folder)
    for name, text in ENGLISH.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings) -> Iterator[Assistant]:
    """The German seed article beside three English stories, in short chunks so that each language has a few
    dozen candidates, as a larger archive has."""
    base = tmp_path_factory.mktemp("mixed")
    articles = base / "articles"
    write_articles(articles)
    settings = Settings(index_dir=base / "index", chunk_target_chars=120, chunk_max_chars=240)
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([articles])
    yield assistant
    assistant.close()


def _languages(index_dir: Path, collection: str) -> dict[str, str | None]:
    got = open_client(index_dir / "chroma").get_collection(collection).get(include=["metadatas"])
    return {m["article_id"]: m.get("language") for m in got["metadatas"]}


def _untag(settings: Settings) -> None:
    """Make an index look as one made before chunks and records kept languages (no process may have it open)."""
    records = Records(settings.index_dir / RECORDS_FILE)
    records.set_meta(LANGUAGES_TAGGED, "")
    records.set_meta(VERSION_KEY, "1")  # the version of an index from before the upgrade steps
    with records.transaction() as db:
        db.execute("DELETE FROM article_languages")
    assert not records.has_language("en") and not records.has_language("de")
    records.close()
    collection = open_client(settings.index_dir / "chroma").get_collection(settings.collection)
    ids = collection.get(include=[])["ids"]
    collection.update(ids=ids, metadatas=[{"language": None}] * len(ids))
    assert set(_languages(settings.index_dir, settings.collection).values()) == {None}


def test_an_articles_language_is_guessed_from_its_text() -> None:
    assert article_language(ENGLISH["grid.txt"]) == "en"
    assert article_language(next(SEEDS.iterdir()).read_text(encoding="utf-8")) == "de"


def test_every_chunk_carries_its_articles_language(mixed: Assistant) -> None:
    languages = _languages(mixed.index_dir, mixed.settings.collection)
    assert {a: lang for a, lang in languages.items() if a.startswith("articles/0")} == {
        "articles/000_183b8e63a6c17c75.txt": "de"
    }
    assert {languages[f"articles/{name}"] for name in ENGLISH} == {"en"}


def test_the_record_knows_which_languages_the_index_holds(mixed: Assistant, indexed: Assistant) -> None:
    assert mixed.records().has_language("de") and mixed.records().has_language("en")
    assert indexed.records().has_language("de") and not indexed.records().has_language("en")
    indexed.delete("seeds/000_183b8e63a6c17c75.txt")
    assert not indexed.records().has_language("de")


def test_an_english_question_finds_the_german_passage_among_english_stories(mixed: Assistant) -> None:
    answer = mixed.ask("How many square kilometres does Ukraine control in the Kursk region?")
    assert answer.passages[0].article_id == "articles/000_183b8e63a6c17c75.txt"
    assert not answer.abstained and "1.000 Quadratkilometer" in answer.quotes[0].text


def test_a_german_question_finds_the_english_passage_beside_the_german_article(mixed: Assistant) -> None:
    answer = mixed.ask("Woher kommen die Ersatztransformatoren?")
    assert answer.passages[0].article_id == "articles/grid.txt"
    assert not answer.abstained and "arrive by rail from Poland" in answer.quotes[0].text
    quote = answer.quotes[0]
    assert mixed.article(quote.article_id).text[quote.start : quote.end] == quote.text


def test_an_index_made_before_language_tags_is_tagged_once(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "grid.txt").write_text(ENGLISH["grid.txt"], encoding="utf-8")
    shutil.copytree(SEEDS, articles, dirs_exist_ok=True)
    first = Assistant(settings, embeddings=embeddings)
    first.index([articles])
    first.close()
    _untag(settings)

    again = Assistant(settings, embeddings=embeddings)
    shown: list[tuple[int, int, str]] = []
    report = again.index([articles], progress=lambda done, total, what: shown.append((done, total, what)))
    assert shown[0] == (2, 2, Phase.LANGUAGE_TAGS)  # the one-off tagging shows its progress before the articles
    assert isinstance(shown[0][2], Phase) and not isinstance(shown[-1][2], Phase)
    assert not report.changed  # nothing was embedded again: only the tags were added
    assert again.records().has_language("en")
    again.close()
    assert _languages(settings.index_dir, settings.collection) == {
        "articles/grid.txt": "en",
        "articles/000_183b8e63a6c17c75.txt": "de",
    }


@pytest.mark.slow
def test_a_running_chat_searches_each_language_once_a_cli_run_tagged_its_older_index(tmp_path: Path) -> None:
    """Real processes on one folder: the chat serves an index made before language tags while askers keep
    asking; a CLI `assistant index` tags it (once, nothing embedded again); the chat, not restarted, answers
    throughout and from then on searches each language (it reads the record's languages per question): a
    German question it could not answer from the English story before, it answers after."""
    articles = tmp_path / "articles"
    write_articles(articles)
    index_dir = tmp_path / "index"
    short_chunks = {"ASSISTANT_CHUNK_TARGET_CHARS": "120", "ASSISTANT_CHUNK_MAX_CHARS": "240"}
    run_cli("index", str(articles), "--index-dir", str(index_dir), cwd=tmp_path, env=short_chunks)
    _untag(Settings(index_dir=index_dir))
    german = "Wo ist das nächste Gipfeltreffen geplant?"  # one search misses the English answer in this archive
    with serve_process(index_dir, cwd=tmp_path) as server:
        client = Client(server.url, verbose=False)
        before = client.predict(german, api_name="/ask")
        askers = Askers(server.url, [german, "Who was supposed to mediate the talks?"], threads=2)
        askers.start()
        try:
            tagging = ("index", str(articles), "--index-dir", str(index_dir), "--json")
            tagged = json.loads(run_cli(*tagging, cwd=tmp_path, env=short_chunks).stdout)
            time.sleep(1)
        finally:
            askers.stop()
        after = client.predict(german, api_name="/ask")
    assert (tagged["added"], tagged["updated"], tagged["unchanged"]) == (0, 0, 4)  # only the tags were added
    assert askers.errors == [] and len(askers.answers) >= 2
    assert_quotes_verify(index_dir, [before, after, *askers.answers])
    assert set(_languages(index_dir, Settings().collection).values()) == {"de", "en"}
    assert before["abstained"] and before["quotes"] == []  # searched as one language: the German seed only
    assert not after["abstained"] and after["quotes"][0]["article_id"] == "articles/summit.txt"
    assert "planned for the spring in Rome" in after["quotes"][0]["text"]


@pytest.mark.slow
def test_machines_sharing_a_chroma_server_search_each_language(tmp_path: Path) -> None:
    """One process indexes both languages into a Chroma server; another, with an empty cache folder, asks a
    German question about the English story: the language tags live in the server, the record's languages
    come with the copied articles."""
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    articles = tmp_path / "articles"
    write_articles(articles)
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    env = {
        "ASSISTANT_CHROMA_URL": server.url,
        "ASSISTANT_CHUNK_TARGET_CHARS": "120",
        "ASSISTANT_CHUNK_MAX_CHARS": "240",
        "PYTHONWARNINGS": "ignore",
    }

    def run(index_dir: Path, *args: str) -> dict:
        return json.loads(run_cli(*args, "--index-dir", str(index_dir), "--json", cwd=tmp_path, env=env).stdout)

    try:
        assert run(tmp_path / "writer", "index", str(articles))["added"] == 4
        answer = run(tmp_path / "reader", "ask", "Woher kommen die Ersatztransformatoren?")
    finally:
        server.stop()
    assert answer["quotes"][0]["article_id"] == "articles/grid.txt"
    assert "arrive by rail from Poland" in answer["quotes"][0]["text"]


XQUAD = SHARED / "data" / "xquad"
GNAD = SHARED / "data" / "10kgnad" / "test.csv"


@pytest.mark.slow
@pytest.mark.skipif(not (XQUAD.is_dir() and GNAD.is_file()), reason="../shared/data is absent")
def test_german_questions_find_english_articles_among_german_news(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    """Five XQuAD articles in English beside 350 German news articles: the news are nearer to a German question
    than the English answer is, until each language is searched and ranked on its own."""
    english = load_squad(XQUAD / "xquad.en.json")[:5]
    asked = [
        q for article in with_questions_from(english, load_squad(XQUAD / "xquad.de.json")) for q in article.questions
    ]
    settings = Settings(index_dir=tmp_path / "index", stories=False)  # retrieval is under test, not stories
    builder = Assistant(settings, embeddings=embeddings)
    builder.index([a for article in english for a in article.to_articles()] + read_10kgnad_csv(GNAD)[:350])
    builder.close()

    def hit_at_5(retriever: RetrieverFactory) -> float:
        assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings, retriever=retriever)
        ranks = [hit_rank([p.text for p in assistant.retrieve(q.question, k=5)], q.answers) for q in asked[::3]]
        assistant.close()
        return sum(rank is not None for rank in ranks) / len(ranks)

    def one_language(store: VectorStore, keyword: KeywordSearch, records: Records) -> HybridRetriever:
        retriever = hybrid_retriever(store, keyword, records)
        retriever.has_language = lambda language: False
        return retriever

    per_language, before = hit_at_5(hybrid_retriever), hit_at_5(one_language)
    assert before <= 0.85  # the news crowd the English answer out of the top five for one question in five
    assert per_language >= 0.95
