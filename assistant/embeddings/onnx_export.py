"""Export the bundled model once into an ONNX Runtime folder, so questions never import torch.

Run at setup time (`assistant model`, `scripts/setup`), where torch is installed anyway: it reads the converted
sentence-transformers folder (see `packaged_model`), traces BERT's encoder with torch's TorchScript ONNX
exporter (which needs only the `onnx` package, not `onnxscript`) and writes, beside that folder:

    <converted folder name>-onnx<EXPORT_VERSION>/
        encoder.onnx           inputs_embeds + attention_mask -> last_hidden_state (positions, layer norm, 12 layers)
        encoder-int8.onnx      the same graph with int8 weights (ONNX Runtime's dynamic quantization, per
                               channel): twice as fast on a CPU, vectors at cosine 0.998 to float32's
        word_embeddings.npy    the token embedding table (memory-mapped at run time: 96 % of the weights,
                               read only for the tokens a batch uses, so opening the model is quick)
        tokenizer.json         the same `tokenizers` pipeline as the sentence-transformers folder
        vocab.bin, piece_ids.npy, scores.npy, tokenizer_head.json
                               the tokenizer's pieces (sorted) with their ids, the scores and the rest of
                               tokenizer.json, for the quick question tokenizer (`question_tokenizer`)
        manifest.json          source sha256, each file's sha256 and size

The folder is checked against the converted model before it is renamed into place (the same vectors on real
German sentences, and the int8 graph close to them), so a broken export never becomes the default.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.embeddings.packaged_model import sha256_file
from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    from torch import Tensor
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)

EXPORT_VERSION = 2  # 2: adds the int8 encoder
MANIFEST = "manifest.json"
ENCODER_FILE = "encoder.onnx"
INT8_ENCODER_FILE = "encoder-int8.onnx"
EMBEDDINGS_FILE = "word_embeddings.npy"
TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.bin"
SCORES_FILE = "scores.npy"
PIECE_IDS_FILE = "piece_ids.npy"
TOKENIZER_HEAD_FILE = "tokenizer_head.json"
PIECE_SEPARATOR = "\0"
_FILES = (
    ENCODER_FILE,
    INT8_ENCODER_FILE,
    EMBEDDINGS_FILE,
    TOKENIZER_FILE,
    VOCAB_FILE,
    PIECE_IDS_FILE,
    SCORES_FILE,
    TOKENIZER_HEAD_FILE,
)
_OPSET = 17
_MIN_COSINE = 0.9999
_MIN_INT8_COSINE = 0.995  # measured: 0.998 on the check sentences; below this the quantization went wrong
FLOAT32_NODES = ("/bert/encoder/layer.4/output/dense/MatMul",)
"""Matrices the int8 graph keeps in float32 (see `quantize_encoder`)."""
_CHECK_SENTENCES = [
    "passage: Die Europäische Zentralbank hat den Leitzins um 0,25 Prozentpunkte auf 3,5 Prozent gesenkt.",
    "passage: „Wir müssen die Straßen schneller sanieren“, sagte die Verkehrsministerin am Dienstag.",
    "query: Wer hat das Pokalendspiel gewonnen?",
]


def onnx_folder_for(converted: Path) -> Path:
    """Where the export of one converted folder lives (beside it, named after it)."""
    return converted.parent / f"{converted.name}-onnx{EXPORT_VERSION}"


def export_onnx(converted: Path, *, source: Path, source_sha256: str) -> Path:
    """Export `converted` (a sentence-transformers BERT folder) unless done before; return the ONNX folder."""
    target = onnx_folder_for(converted)
    if (target / MANIFEST).is_file():
        return target
    started = time.perf_counter()
    log.info("Exporting %s to ONNX into %s (once)", converted.name, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp.chmod(0o755)
        _write_export(converted, tmp, source, source_sha256)
        _check_against_sentence_transformers(converted, tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / MANIFEST).is_file():  # not a concurrent export that won the race
                raise
    except OSError as e:
        raise ModelLoadError(
            f"Cannot write the ONNX export to {target.parent} ({e.strerror or e}). "
            "Point ASSISTANT_MODEL_CACHE_DIR to a writable folder with about 1 GB free."
        ) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("Exported in %.1f s", time.perf_counter() - started)
    remove_older_exports(converted)
    return target


def remove_older_exports(converted: Path) -> None:
    """Earlier export versions of the same model are 500 MB each that nothing reads any more (a process still
    using one keeps its open files until it ends)."""
    for version in range(1, EXPORT_VERSION):
        shutil.rmtree(converted.parent / f"{converted.name}-onnx{version}", ignore_errors=True)


def _write_export(converted: Path, out: Path, source: Path, source_sha256: str) -> None:
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(converted), add_pooling_layer=False, attn_implementation="eager").eval()
    table = model.get_input_embeddings().weight.detach().numpy().astype(np.float32)
    np.save(out / EMBEDDINGS_FILE, table)
    _export_encoder(model, out / ENCODER_FILE)
    quantize_encoder(out / ENCODER_FILE, out / INT8_ENCODER_FILE)
    shutil.copyfile(converted / TOKENIZER_FILE, out / TOKENIZER_FILE)
    _write_vocab(converted / TOKENIZER_FILE, out)
    manifest = {
        "export_version": EXPORT_VERSION,
        "source": {"sha256": source_sha256, "bytes": source.stat().st_size, "mtime_ns": source.stat().st_mtime_ns},
        "converted": converted.name,
        "dimension": int(table.shape[1]),
        "max_seq_length": int(model.config.max_position_embeddings),
        "files": {name: {"sha256": sha256_file(out / name), "bytes": (out / name).stat().st_size} for name in _FILES},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _export_encoder(model: PreTrainedModel, path: Path) -> None:
    """Trace BertModel from inputs_embeds on: the token lookup happens in numpy at run time."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, inputs_embeds: Tensor, attention_mask: Tensor) -> Tensor:
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    embeds = torch.zeros(2, 5, model.config.hidden_size)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes about Python booleans that are constant here
        torch.onnx.export(
            Encoder().eval(),
            (embeds, mask),
            str(path),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=_OPSET,
            dynamo=False,
        )


def quantize_encoder(source: Path, target: Path) -> None:
    """int8 weights, activations quantized per batch at run time: half the encoding time of float32 on a CPU.

    Per-channel weights (one scale per output column instead of one per matrix) keep the vectors at cosine
    0.996 to float32's. One matrix stays float32: layer 4's feed-forward output, whose input activations carry
    the model's largest outliers, so one int8 scale for the whole batch loses most there. Kept in float32 it
    costs 1/36 of the work and halves the error (cosine 0.998). Needs only `onnx` and ONNX Runtime, no torch."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    missing = set(FLOAT32_NODES) - {node.name for node in onnx.load(str(source)).graph.node}
    if missing:
        raise ModelLoadError(f"the exported graph lacks {sorted(missing)}; the int8 export needs them named so")
    with warnings.catch_warnings(), _quiet_logging():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            str(source),
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(FLOAT32_NODES),
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """The quantizer logs a hint about pre-processing to the root logger; it does not apply to this graph."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _write_vocab(tokenizer_json: Path, out: Path) -> None:
    """The Unigram pieces and scores in a form that loads in milliseconds (the JSON takes about a second)."""
    config = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab = config["model"].pop("vocab")
    (out / TOKENIZER_HEAD_FILE).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    pieces = [piece for piece, _ in vocab]
    if any(PIECE_SEPARATOR in piece for piece in pieces):
        raise ModelLoadError("a tokenizer piece contains the separator character; cannot export the vocabulary")
    order = sorted(range(len(pieces)), key=pieces.__getitem__)  # Python's string order, for bisect
    (out / VOCAB_FILE).write_bytes(PIECE_SEPARATOR.join(pieces[i] for i in order).encode("utf-8"))
    np.save(out / PIECE_IDS_FILE, np.array(order, dtype=np.int32))
    np.save(out / SCORES_FILE, np.array([score for _, score in vocab], dtype=np.float64))


def _check_against_sentence_transformers(converted: Path, out: Path) -> None:
    """The export must give the converted model's vectors; otherwise it is not used."""
    from assistant.embeddings.onnx_backend import OnnxEncoder, Precision
    from assistant.embeddings.sentence_transformers_backend import load_sentence_transformer

    reference = load_sentence_transformer(str(converted), converted.parent).encode(
        _CHECK_SENTENCES, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    checks: tuple[tuple[Precision, float], ...] = (("float32", _MIN_COSINE), ("int8", _MIN_INT8_COSINE))
    for precision, least in checks:
        ours = OnnxEncoder(out, precision=precision, verify=False).encode(_CHECK_SENTENCES)
        worst = float(np.min(np.sum(ours * reference, axis=1)))
        if worst < least:
            raise ModelLoadError(
                f"the {precision} ONNX export does not reproduce the model (cosine {worst:.6f}); please report this"
            )
