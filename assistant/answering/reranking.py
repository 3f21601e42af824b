"""Bring your own reranker: a sentence-transformers `CrossEncoder` re-orders the retrieved candidates before
answering (``ASSISTANT_RERANKER``, a hub name or a local path; off by default: none ships on PyPI).

A cross-encoder reads the question and each passage together, so it ranks better than comparing two vectors,
at the price of one model pass per candidate. The passages keep their retrieval scores (abstention is
calibrated on them); only their order, and so which `k` are answered from, changes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answers import Passage
from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder


class CrossEncoderReranker:
    """Orders passages by a cross-encoder's score for (question, passage text), best first; loads on first use."""

    def __init__(self, model: str, *, cache_dir: Path | None = None, batch_size: int = 16) -> None:
        self.model_name = model
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model: CrossEncoder | None = None
        self._loading = threading.Lock()

    def scores(self, question: str, passages: list[Passage]) -> np.ndarray:
        """The cross-encoder's score of each passage for the question."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        pairs = [(question, passage.text) for passage in passages]
        predicted = self._loaded().predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(predicted, dtype=np.float32).reshape(len(passages))

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        """The passages, best first by the cross-encoder (ties keep the retrieval order)."""
        order = np.argsort(-self.scores(question, passages), kind="stable")
        return [passages[int(i)] for i in order]

    def _loaded(self) -> CrossEncoder:
        with self._loading:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                cache = str(self.cache_dir) if self.cache_dir else None
                try:
                    self._model = CrossEncoder(self.model_name, cache_folder=cache, device="cpu")
                except Exception as error:  # a missing path, no network for a hub name, not a cross-encoder
                    raise ModelLoadError(
                        f"cannot load the reranker {self.model_name!r} (ASSISTANT_RERANKER): {error}"
                    ) from error
            return self._model
