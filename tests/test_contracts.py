"""The contract of every stage (`assistant.protocols`), one test class per Protocol, parametrized over its
implementations: a new embedder, store, keyword index, retriever, answerer or loader is added to the list and
must pass the same tests (the way LangChain's standard tests check a retriever or an embedding model).

Everything is real: the packaged model, a Chroma store on disk, the BM25 index, the extractive answerer; the
generative answerer talks to LangChain's own fake chat model (a network model is tested in test_generation).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from assistant import Assistant, SearchFilter, Settings
from assistant.answering.generation import GenerativeAnswerer
from assistant.answering.retrieval import hybrid_retriever
from assistant.answers import Answer, Passage
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.embeddings.plain import as_embedder
from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings
from assistant.indexing.keyword_index import KeywordIndex, tokenize
from assistant.indexing.store import ChromaStore, StoredChunk, open_client
from assistant.ingest.loading import load_paths
from assistant.protocols import (
    Answerer,
    ArticleLoader,
    Embedder,
    KeywordIndexer,
    KeywordSearch,
    PassageSearch,
    Retriever,
    VectorStore,
)
from tests.contract_samples import ARTICLES, QUESTION, assert_keeps


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings) -> Iterator[Assistant]:
    """Three short articles indexed once for the module, with the real model."""
    assistant = Assistant(Settings(index_dir=tmp_path_factory.mktemp("contracts") / "index"), embeddings=embeddings)
    assistant.index(ARTICLES)
    yield assistant
    assistant.close()


# --------------------------------------------------------------------------- embedder


class TestOnnxEmbedderStandard(EmbeddingsIntegrationTests):
    """LangChain's standard embeddings tests, on the bundled model."""

    @property
    def embeddings_class(self) -> type[OnnxEmbeddings]:
        return OnnxEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"cache_dir": Settings().model_cache_dir}

    @pytest.fixture
    def model(self, embeddings: OnnxEmbeddings) -> OnnxEmbeddings:  # the session's model: loaded once
        return embeddings


@pytest.mark.parametrize(
    "make",
    [
        lambda: OnnxEmbeddings(cache_dir=Settings().model_cache_dir),
        lambda: SentenceTransformerEmbeddings(cache_dir=Settings().model_cache_dir),
        lambda: as_embedder(DeterministicFakeEmbedding(size=384), model_name="plain-langchain"),
    ],
    ids=["onnx", "sentence-transformers", "plain-langchain-adapted"],
)
def test_every_embedder_keeps_the_protocol(make: Callable[[], Embedder]) -> None:
    """Both backends, without loading a model (they load on first use), and a plain LangChain `Embeddings`
    as the assistant adapts it (tests/test_plain_embeddings.py runs one through indexing and answering)."""
    made = make()
    assert_keeps(Embedder, made)
    assert isinstance(made, Embedder)


def test_the_embedder_gives_arrays_matching_its_lists(embeddings: OnnxEmbeddings) -> None:
    query = embeddings.embed_query_array(QUESTION)
    assert query.dtype == np.float32 and np.allclose(query, embeddings.embed_query(QUESTION), atol=1e-6)
    passages = embeddings.embed_passages_array([a.text for a in ARTICLES])
    assert passages.shape == (3, query.shape[0])
    assert np.allclose(passages, embeddings.embed_documents([a.text for a in ARTICLES]), atol=1e-6)


# --------------------------------------------------------------------------- vector store


def chroma_store(folder: Path) -> ChromaStore:
    return ChromaStore(open_client(folder / "chroma"), "contract", owned=True)


STORES = [pytest.param(chroma_store, id="chroma")]


@pytest.mark.parametrize("make", STORES)
class TestVectorStore:
    def chunks(self) -> tuple[list[StoredChunk], np.ndarray]:
        rng = np.random.default_rng(7)
        vectors = rng.normal(size=(3, 8)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [StoredChunk(f"c{n}", f"Text {n}", {"source": "A" if n else "B", "n": n}) for n in range(3)]
        return chunks, vectors

    def test_keeps_the_protocol(self, make: Callable[[Path], VectorStore], tmp_path: Path) -> None:
        assert_keeps(VectorStore, make(tmp_path))

    def test_what_is_written_is_read_back(self, make: Callable[[Path], VectorStore], tmp_path: Path) -> None:
        store = make(tmp_path)
        chunks, vectors = self.chunks()
        store.upsert(chunks, vectors)
        assert store.count() == 3 and store.ids() == {"c0", "c1", "c2"}
        (chunk, vector), *_ = store.fetch(["c1"])
        assert chunk == chunks[1] and np.allclose(vector, vectors[1], atol=1e-6)
        assert np.allclose(store.vectors_by_text(["c2"])["Text 2"], vectors[2], atol=1e-6)

    def test_search_ranks_by_cosine_within_the_filter(
        self, make: Callable[[Path], VectorStore], tmp_path: Path
    ) -> None:
        store = make(tmp_path)
        chunks, vectors = self.chunks()
        store.upsert(chunks, vectors)
        hits = store.search(vectors[0], 3)
        assert hits[0].id == "c0" and hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert {h.id for h in store.search(vectors[0], 3, {"source": "A"})} == {"c1", "c2"}
        assert store.matching_ids({"source": "B"}) == {"c0"}

    def test_deleted_chunks_are_gone(self, make: Callable[[Path], VectorStore], tmp_path: Path) -> None:
        store = make(tmp_path)
        chunks, vectors = self.chunks()
        store.upsert(chunks, vectors)
        store.delete(["c0", "c2"])
        assert store.ids() == {"c1"} and store.fetch(["c0"]) == []


# --------------------------------------------------------------------------- keyword index


@pytest.fixture(params=["snapshot", "index"])
def keyword(request: pytest.FixtureRequest, indexed: Assistant) -> KeywordSearch:
    """Both faces of BM25 that retrieval may be given: one loaded version, and the index that loads them."""
    snapshot = indexed.keyword_index.ensure_current(indexed.records())
    return snapshot if request.param == "snapshot" else indexed.keyword_index


class TestKeywordSearch:
    def test_keeps_the_protocol(self, keyword: KeywordSearch) -> None:
        assert_keeps(KeywordSearch, keyword)

    def test_scores_name_every_chunk_once(self, keyword: KeywordSearch, indexed: Assistant) -> None:
        chunk_ids, scores = keyword.scores(tokenize("Lokführer streiken"))
        assert set(chunk_ids) == indexed.records().all_chunk_ids() and len(scores) == keyword.chunk_count
        assert all(keyword.position(chunk_id) == n for n, chunk_id in enumerate(chunk_ids))
        assert keyword.position("no such chunk") is None
        best = chunk_ids[int(np.argmax(scores))]
        assert best.startswith("strike")

    def test_rare_words_weigh_more(self, keyword: KeywordSearch) -> None:
        (rare,) = tokenize("Lokführer")
        (common,) = tokenize("Montag")  # in two of the three articles
        assert keyword.idf(rare) > keyword.idf(common)


def test_the_keyword_index_keeps_the_indexer_protocol_and_is_current(indexed: Assistant) -> None:
    assert_keeps(KeywordIndexer, indexed.keyword_index)
    assert indexed.keyword_index.is_current(indexed.records())


# --------------------------------------------------------------------------- retriever


RETRIEVERS = [pytest.param(hybrid_retriever, id="hybrid")]


@pytest.mark.parametrize("factory", RETRIEVERS)
class TestRetriever:
    def retriever(self, factory: Callable[..., Retriever], assistant: Assistant) -> Retriever:
        records = assistant.records()
        return factory(assistant.vector_store(), assistant.keyword_index.ensure_current(records), records)

    def test_keeps_the_protocol(self, factory: Callable[..., Retriever], indexed: Assistant) -> None:
        assert_keeps(Retriever, self.retriever(factory, indexed))

    def test_best_first_and_located(self, factory: Callable[..., Retriever], indexed: Assistant) -> None:
        vector = indexed.embeddings.embed_query_array(QUESTION)
        passages = self.retriever(factory, indexed).retrieve(QUESTION, vector, 2)
        assert len(passages) == 2 and passages[0].article_id == "talks"
        assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
        for passage in passages:
            assert indexed.article(passage.article_id).text[passage.start : passage.end] == passage.text

    def test_a_filter_is_kept(self, factory: Callable[..., Retriever], indexed: Assistant) -> None:
        vector = indexed.embeddings.embed_query_array(QUESTION)
        found = self.retriever(factory, indexed).retrieve(QUESTION, vector, 3, SearchFilter(sources=("Reuters",)))
        assert found and {p.article_id for p in found} == {"rhine"}

    def test_the_assistant_uses_the_retriever_it_is_given(
        self, factory: Callable[..., Retriever], indexed: Assistant, embeddings: OnnxEmbeddings
    ) -> None:
        built: list[Retriever] = []

        def counting(*args: Any) -> Retriever:
            built.append(factory(*args))
            return built[-1]

        other = Assistant(indexed.settings, embeddings=embeddings, retriever=counting)
        try:
            assert other.retrieve(QUESTION, 1)[0].article_id == "talks" and len(built) == 1
        finally:
            other.close()


def test_the_assistant_keeps_the_passage_search_protocol(indexed: Assistant) -> None:
    assert isinstance(indexed, PassageSearch)
    assert_keeps(PassageSearch, indexed)


# --------------------------------------------------------------------------- answerer


def extractive(assistant: Assistant) -> Answerer:
    return assistant.answerer


def generative(assistant: Assistant) -> Answerer:
    """A model that quotes the first sentence of the best passage: a well-behaved one."""
    quote = ARTICLES[0].text.split(". ")[0]
    reply = f"Die Türkei: „{quote}“ [1]."
    return GenerativeAnswerer(FakeListChatModel(responses=[reply] * 4), assistant.answerer)


ANSWERERS = [pytest.param(extractive, id="extractive"), pytest.param(generative, id="generative")]


@pytest.mark.parametrize("make", ANSWERERS)
class TestAnswerer:
    def passages(self, assistant: Assistant) -> tuple[np.ndarray, list[Passage]]:
        return assistant.embeddings.embed_query_array(QUESTION), assistant.retrieve(QUESTION, 2)

    def test_keeps_the_protocol(self, make: Callable[[Assistant], Answerer], indexed: Assistant) -> None:
        assert_keeps(Answerer, make(indexed))

    def test_quotes_are_verbatim_and_located(self, make: Callable[[Assistant], Answerer], indexed: Assistant) -> None:
        vector, passages = self.passages(indexed)
        answer = make(indexed).answer(QUESTION, vector, passages)
        assert isinstance(answer, Answer) and not answer.abstained and answer.quotes
        for quote in answer.quotes:
            assert indexed.article(quote.article_id).text[quote.start : quote.end] == quote.text

    def test_the_stream_is_text_then_exactly_one_answer(
        self, make: Callable[[Assistant], Answerer], indexed: Assistant
    ) -> None:
        vector, passages = self.passages(indexed)
        answerer = make(indexed)
        items = list(answerer.stream(QUESTION, vector, passages))
        assert isinstance(items[-1], Answer) and all(isinstance(item, str) for item in items[:-1])
        assert "".join(items[:-1]).strip() and items[-1].quotes == answerer.answer(QUESTION, vector, passages).quotes

    def test_no_passages_is_an_abstention(self, make: Callable[[Assistant], Answerer], indexed: Assistant) -> None:
        answer = make(indexed).answer(QUESTION, indexed.embeddings.embed_query_array(QUESTION), [])
        assert answer.abstained and answer.quotes == []


# --------------------------------------------------------------------------- article loader


LOADERS = [pytest.param(load_paths, id="files")]


@pytest.mark.parametrize("loader", LOADERS)
class TestArticleLoader:
    def test_loads_what_it_can_and_refuses_the_rest_with_a_reason(self, loader: ArticleLoader, tmp_path: Path) -> None:
        (tmp_path / "good.md").write_text("---\ntitle: Gut\n---\nEin Artikel mit Text.\n", encoding="utf-8")
        (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
        (tmp_path / "broken.json").write_text("{ not json", encoding="utf-8")
        result = loader([tmp_path], id_base=tmp_path, max_bytes=10_000)
        assert [(a.title, a.text.strip()) for a in result.articles] == [("Gut", "Ein Artikel mit Text.")]
        assert sorted(Path(r.path).name for r in result.refusals) == ["broken.json", "empty.txt"]
        assert all(r.reason for r in result.refusals)

    def test_the_assistant_reads_files_with_the_loader_it_is_given(
        self, loader: ArticleLoader, tmp_path: Path, embeddings: OnnxEmbeddings
    ) -> None:
        seen: list[Path] = []

        def recording(paths: Any, **options: Any) -> Any:
            seen.extend(paths)
            return loader(paths, **options)

        (tmp_path / "a.txt").write_text("Die Lokführer streiken ab Montag.", encoding="utf-8")
        assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings, loader=recording)
        try:
            assert assistant.index([tmp_path / "a.txt"]).added and seen == [tmp_path / "a.txt"]
        finally:
            assistant.close()


def test_keyword_index_class_is_the_implementation_not_the_protocol() -> None:
    """`KeywordIndex` names the class only; the seams have their own names in `assistant.protocols`."""
    assert inspect.isclass(KeywordIndex) and KeywordIndex.__module__ == "assistant.indexing.keyword_index"
    assert KeywordIndexer.__module__ == KeywordSearch.__module__ == "assistant.protocols"
