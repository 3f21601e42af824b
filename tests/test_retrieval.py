"""Retrieval on its own: the fusion of dense, keyword and sentence scores and the filters, over a real Chroma
store, record and keyword index in a temporary folder, with vectors from the packaged model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.retrieval import (
    CROSS_LINGUAL_FUSION,
    FusionWeights,
    HybridRetriever,
    fused_scores,
    fusion_weights_for,
)
from assistant.articles import Article
from assistant.chunking import split_sentences
from assistant.errors import ConfigurationError
from assistant.indexing.indexer import chunk_metadata
from assistant.indexing.keyword_index import KeywordIndex, KeywordSnapshot
from assistant.indexing.records import ChunkRecord, Records, SentenceRecord
from assistant.indexing.store import ChromaStore, StoredChunk, open_client
from assistant.question import SearchFilter

ARTICLES = [
    Article("bus", "Der erste Wasserstoffbus fährt seit Montag durch Quellenau. Die Stadt will bis 2030 zwanzig "
            "weitere Busse kaufen.", title="Wasserstoffbus", source="Landbote", published="2024-03-01"),
    Article("bridge", "Die Brücke über die Brake in Brakwitz wird ab Mai saniert. Autofahrer müssen mit "
            "Umleitungen rechnen.", title="Brücke", source="Kurier", published="2024-04-15"),
    Article("port", "Der Hafen von Quellenau bekommt ein drittes Containerterminal. Der Bau kostet 80 Millionen "
            "Euro.", title="Hafen", source="Landbote", published="2024-05-20"),
    Article("choir", "Der Kirchenchor Zwölfling feiert sein hundertjähriges Bestehen mit einem Konzert im "
            "Dom.", title="Chor", source="Kurier"),
]  # fmt: skip


@dataclass
class World:
    records: Records
    store: ChromaStore
    keyword: KeywordSnapshot
    vectors: dict[str, np.ndarray]  # chunk id -> its passage vector

    def retriever(self, **options: object) -> HybridRetriever:
        return HybridRetriever(
            self.store,
            self.keyword,
            sentence_matrices=self.records.sentence_matrix,
            current=self.records.current_chunk_ids,
            **options,
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embeddings) -> World:
    """Each article one chunk, committed to the record and the store, the keyword index built from the record;
    plus a chunk only the store holds (what a writer killed before its commit leaves behind)."""
    folder = tmp_path_factory.mktemp("retrieval")
    records = Records(folder / "records.sqlite3")
    store = ChromaStore(open_client(folder / "chroma"), "chunks", owned=True)
    vectors = {}
    for article in ARTICLES:
        chunk = ChunkRecord(f"{article.id}:0", article.id, 0, 0, len(article.text))
        spans = split_sentences(article.text)
        sentence_vectors = embeddings.embed_passages_array([article.text[s.start : s.end] for s in spans])
        sentences = [SentenceRecord(chunk.id, s.start, s.end, v) for s, v in zip(spans, sentence_vectors, strict=True)]
        records.commit_article(article, f"hash-{article.id}", [chunk], sentences)
        vectors[chunk.id] = embeddings.embed_passages_array([article.text])[0]
        store.upsert(
            [StoredChunk(chunk.id, article.text, chunk_metadata(article, chunk, "de"))], vectors[chunk.id][None]
        )
    orphan = Article("orphan", "Der Wasserstoffbus in Quellenau fährt seit Montag.", source="Landbote")
    orphan_chunk = ChunkRecord("orphan:0", "orphan", 0, 0, len(orphan.text))
    store.upsert([StoredChunk("orphan:0", orphan.text, chunk_metadata(orphan, orphan_chunk, "de"))],
                 embeddings.embed_passages_array([orphan.text]))  # fmt: skip
    keyword = KeywordIndex(folder / "keyword")
    keyword.rebuild(records)
    yield World(records, store, keyword.ensure_current(records), vectors)
    store.close()
    records.close()


# --------------------------------------------------------------------------- filters


def test_a_filter_becomes_a_where_clause_of_sources_and_day_numbers() -> None:
    assert SearchFilter().to_where() is None
    assert SearchFilter(sources=("Kurier",)).to_where() == {"source": {"$in": ["Kurier"]}}
    assert SearchFilter(published_from="2024-03-01").to_where() == {"published_day": {"$gte": 20240301}}
    assert SearchFilter(
        sources=("A", "B"), published_from=" 2024-03-01 ", published_to=date(2024, 4, 30)
    ).to_where() == {
        "$and": [
            {"source": {"$in": ["A", "B"]}},
            {"published_day": {"$gte": 20240301}},
            {"published_day": {"$lte": 20240430}},
        ]
    }


@pytest.mark.parametrize("bound", ["1.3.2024", "2024-3-1", "März", ""])
def test_a_filter_bound_must_be_an_iso_day(bound: str) -> None:
    """Bounds arrive checked and ISO (validation.parse_day turns typed days into ISO); anything else is a bug."""
    if bound == "":
        assert SearchFilter(published_from=bound).to_where() is None  # an empty bound is no bound
        return
    with pytest.raises(ConfigurationError, match="YYYY-MM-DD"):
        SearchFilter(published_from=bound).to_where()


def test_filters_restrict_the_passages(world: World, embeddings) -> None:
    question = "Was passiert in Quellenau?"
    vector = embeddings.embed_query_array(question)
    retriever = world.retriever()
    by_source = retriever.retrieve(question, vector, 4, SearchFilter(sources=("Kurier",)))
    assert {p.article_id for p in by_source} == {"bridge", "choir"}
    spring = retriever.retrieve(question, vector, 4, SearchFilter(published_from="2024-04-01"))
    assert {p.article_id for p in spring} == {"bridge", "port"}  # undated articles are outside any range
    none = retriever.retrieve(question, vector, 4, SearchFilter(published_to="2023-12-31"))
    assert none == []


# --------------------------------------------------------------------------- fusion


def test_fused_scores_weigh_each_signal_s_z_scores() -> None:
    dense, keyword, sentence = np.array([0.9, 0.8, 0.7]), np.array([0.0, 6.0, 0.0]), np.array([0.5, 0.5, 0.5])
    weights = FusionWeights(dense=0.5, keyword=0.25, sentence=0.25)
    z = lambda v: (v - v.mean()) / v.std()  # noqa: E731
    expected = 0.5 * z(dense) + 0.25 * z(keyword)  # a signal without spread adds nothing
    np.testing.assert_allclose(fused_scores(dense, keyword, sentence, weights), expected)


def test_cross_lingual_weights_only_when_most_nearest_passages_are_in_another_language() -> None:
    german = [a.text for a in ARTICLES]
    assert fusion_weights_for("Wann wird die Brücke saniert?", german) == FusionWeights()
    assert fusion_weights_for("When will the bridge be repaired?", german) == CROSS_LINGUAL_FUSION


def test_the_passage_holding_the_answer_comes_first_with_its_offsets(world: World, embeddings) -> None:
    question = "Wie viel kostet das Containerterminal?"
    passages = world.retriever().retrieve(question, embeddings.embed_query_array(question), 3)
    assert passages[0].article_id == "port" and len(passages) == 3
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for passage in passages:
        article = world.records.article(passage.article_id)
        assert article.text[passage.start : passage.end] == passage.text
        assert passage.chunk_id == f"{passage.article_id}:0"
    port = passages[0]
    assert (port.title, port.source, port.published) == ("Hafen", "Landbote", "2024-05-20")
    assert port.dense_score == pytest.approx(
        float(world.vectors["port:0"] @ embeddings.embed_query_array(question)), abs=1e-4
    )
    assert port.keyword_score > 0  # "Containerterminal" is a word of that chunk only


def test_a_chunk_the_record_does_not_hold_is_never_a_candidate(world: World, embeddings) -> None:
    """The orphan is the closest text to this question in the store, but no committed article owns it."""
    question = "Seit wann fährt der Wasserstoffbus in Quellenau?"
    passages = world.retriever().retrieve(question, embeddings.embed_query_array(question), 5)
    assert "orphan" not in {p.article_id for p in passages}
    assert passages[0].article_id == "bus"
    unguarded = HybridRetriever(world.store, world.keyword)  # without the record's check the orphan shows
    assert "orphan" in {p.article_id for p in unguarded.retrieve(question, embeddings.embed_query_array(question), 5)}


def test_keyword_hits_dense_search_missed_join_the_candidates(world: World, embeddings) -> None:
    """With room for one dense candidate, a chunk only BM25 finds is still fetched from the store and ranked."""
    question = "Kirchenchor Zwölfling"
    far_away = world.vectors["bus:0"]  # a query vector pointing at another article: dense finds the bus
    passages = world.retriever(candidates=1).retrieve(question, far_away, 2)
    assert {p.article_id for p in passages} >= {"choir"}
    choir = next(p for p in passages if p.article_id == "choir")
    assert choir.keyword_score > 0
    assert choir.dense_score == pytest.approx(float(world.vectors["choir:0"] @ far_away), abs=1e-4)


def test_every_score_is_the_fusion_of_dense_keyword_and_best_sentence(world: World, embeddings) -> None:
    """With k covering every candidate, each passage's score can be recomputed from its three signals."""
    question = "Müssen Autofahrer mit Umleitungen rechnen?"
    vector = embeddings.embed_query_array(question)
    weights = FusionWeights()
    passages = world.retriever(weights=weights).retrieve(question, vector, 10)
    assert {p.article_id for p in passages} == {a.id for a in ARTICLES}
    matrices = world.records.sentence_matrix([p.chunk_id for p in passages])
    best_sentence = np.array([float((matrices[p.chunk_id] @ vector).max()) for p in passages])
    dense, keyword = np.array([p.dense_score for p in passages]), np.array([p.keyword_score for p in passages])
    expected = fused_scores(dense, keyword, best_sentence, weights)
    np.testing.assert_allclose([p.score for p in passages], expected, atol=1e-5)
    assert passages[0].article_id == "bridge"
    without = HybridRetriever(world.store, world.keyword, current=world.records.current_chunk_ids, weights=weights)
    plain = without.retrieve(question, vector, 10)  # no sentence vectors: the sentence signal is the chunk's cosine
    dense = np.array([p.dense_score for p in plain])
    keyword = np.array([p.keyword_score for p in plain])
    np.testing.assert_allclose([p.score for p in plain], fused_scores(dense, keyword, dense, weights), atol=1e-5)


def test_an_empty_store_retrieves_nothing(tmp_path: Path, embeddings) -> None:
    store = ChromaStore(open_client(tmp_path / "chroma"), "chunks", owned=True)
    try:
        assert HybridRetriever(store, KeywordSnapshot()).retrieve("Wer?", embeddings.embed_query_array("Wer?"), 4) == []
    finally:
        store.close()
