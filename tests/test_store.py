"""The vector store on its own: a real Chroma folder in tmp_path, real vectors from the packaged model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.indexing.store import SEARCH_EF, ChromaStore, StoredChunk, never_embed_function, open_client
from assistant.question import SearchFilter

CHUNKS = {
    "bus": ("Der erste Wasserstoffbus fährt seit Montag durch Quellenau.", "Landbote", 20240301),
    "bridge": ("Die Brücke über die Brake in Brakwitz wird ab Mai saniert.", "Kurier", 20240415),
    "port": ("Der Hafen von Quellenau bekommt ein drittes Containerterminal.", "Landbote", 20240520),
}


def chunk(chunk_id: str) -> StoredChunk:
    text, source, day = CHUNKS[chunk_id]
    metadata = {"article_id": chunk_id, "start": 0, "end": len(text), "source": source, "published_day": day}
    return StoredChunk(chunk_id, text, metadata)


@pytest.fixture
def store(tmp_path: Path) -> ChromaStore:
    opened = ChromaStore(open_client(tmp_path / "chroma"), "chunks", owned=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def vectors(embeddings) -> np.ndarray:
    return embeddings.embed_passages_array([text for text, _, _ in CHUNKS.values()])


def test_chunks_come_back_as_written_in_the_order_asked(store: ChromaStore, vectors: np.ndarray) -> None:
    store.upsert([chunk(i) for i in CHUNKS], vectors)
    assert store.count() == 3 and store.ids() == set(CHUNKS)
    fetched = store.fetch(["port", "missing", "bus"])
    assert [c.id for c, _ in fetched] == ["port", "bus"]  # the order asked, unknown ids skipped
    (port, port_vector), (bus, _) = fetched
    assert port == chunk("port") and bus == chunk("bus")
    np.testing.assert_allclose(port_vector, vectors[2], atol=1e-6)
    by_text = store.vectors_by_text(["bridge"])
    np.testing.assert_allclose(by_text[CHUNKS["bridge"][0]], vectors[1], atol=1e-6)
    assert store.fetch([]) == [] and store.vectors_by_text([]) == {}


def test_upsert_replaces_and_delete_removes(store: ChromaStore, vectors: np.ndarray) -> None:
    store.upsert([chunk(i) for i in CHUNKS], vectors)
    changed = StoredChunk("bus", "Neuer Text.", {**chunk("bus").metadata, "end": 11})
    store.upsert([changed], vectors[:1])
    assert store.count() == 3
    assert store.fetch(["bus"])[0][0] == changed
    store.delete(["bus", "bridge", "never-stored"])
    assert store.ids() == {"port"}
    assert store.fetch(["bus"]) == []


def test_search_finds_the_nearest_chunk_with_its_cosine(store: ChromaStore, vectors: np.ndarray, embeddings) -> None:
    assert store.search(vectors[0], 3) == []  # an empty store answers nothing (and does not fail)
    store.upsert([chunk(i) for i in CHUNKS], vectors)
    question = embeddings.embed_query_array("Wann wird die Brücke in Brakwitz saniert?")
    hits = store.search(question, 3)
    assert hits[0].id == "bridge" and len(hits) == 3
    assert hits[0].text == CHUNKS["bridge"][0] and hits[0].metadata["source"] == "Kurier"
    assert hits[0].score == pytest.approx(float(vectors[1] @ question), abs=1e-4)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert store.search(vectors[1], 1)[0].score == pytest.approx(1.0, abs=1e-5)


def test_filters_select_inside_the_store(store: ChromaStore, vectors: np.ndarray) -> None:
    store.upsert([chunk(i) for i in CHUNKS], vectors)
    landbote = SearchFilter(sources=("Landbote",)).to_where()
    assert store.matching_ids(landbote) == {"bus", "port"}
    spring = SearchFilter(published_from="2024-04-01", published_to="2024-05-31").to_where()
    assert store.matching_ids(spring) == {"bridge", "port"}
    both = SearchFilter(sources=("Landbote",), published_from="2024-04-01").to_where()
    assert store.matching_ids(both) == {"port"}
    assert {hit.id for hit in store.search(vectors[0], 3, both)} == {"port"}


def test_the_store_never_embeds_by_itself(store: ChromaStore, vectors: np.ndarray, tmp_path: Path) -> None:
    """Chroma's default embedding function would fetch a model at run time: text without our vector is an error,
    also through another handle on the same collection, and nothing is stored."""
    store.upsert([chunk("bus")], vectors[:1])
    collection = open_client(tmp_path / "chroma").get_collection("chunks")
    with pytest.raises(RuntimeError, match="never embed"):
        collection.add(ids=["text-only"], documents=["Ein Text ohne Vektor."])
    with pytest.raises(RuntimeError, match="never embed"):
        collection.query(query_texts=["Wasserstoffbus"], n_results=1)
    assert store.ids() == {"bus"}


def test_a_reopened_store_reads_what_was_written(tmp_path: Path, vectors: np.ndarray) -> None:
    first = ChromaStore(open_client(tmp_path / "chroma"), "chunks", owned=True)
    first.upsert([chunk(i) for i in CHUNKS], vectors)
    first.close()
    again = ChromaStore(open_client(tmp_path / "chroma"), "chunks", owned=True)
    try:
        assert again.ids() == set(CHUNKS)
        assert again.search(vectors[2], 1)[0].id == "port"
    finally:
        again.close()


def test_search_looks_wide_enough_to_find_the_nearest_chunks(store: ChromaStore) -> None:
    assert store.search_breadth() == SEARCH_EF >= 400  # Chroma's default of 100 missed the nearest chunk at times


def test_a_collection_made_with_chromas_default_breadth_is_widened_when_opened(tmp_path: Path) -> None:
    client = open_client(tmp_path / "chroma")
    client.create_collection("older", embedding_function=never_embed_function(), metadata={"hnsw:space": "cosine"})
    assert (
        client.get_collection("older", embedding_function=never_embed_function()).configuration["hnsw"]["ef_search"]
        == 100
    )
    assert ChromaStore(client, "older").search_breadth() == SEARCH_EF
    reopened = open_client(tmp_path / "chroma")  # the setting is kept in the store, for every later process
    assert ChromaStore(reopened, "older").search_breadth() == SEARCH_EF
