"""The sentence embedding model: which backend a setting asks for, the packaged model, token alignment.

The names below are this stage's public surface, imported on first use (PEP 562): importing one module of the
stage does not load the others (the CLI starts faster, and no import cycle runs through this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.embeddings.alignment import TokenStates
    from assistant.embeddings.choice import embeddings_for
    from assistant.embeddings.onnx_backend import OnnxEmbeddings
    from assistant.embeddings.packaged_model import packaged_model_path
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings

_WHERE = {
    "embeddings_for": "assistant.embeddings.choice",
    "OnnxEmbeddings": "assistant.embeddings.onnx_backend",
    "SentenceTransformerEmbeddings": "assistant.embeddings.sentence_transformers_backend",
    "TokenStates": "assistant.embeddings.alignment",
    "packaged_model_path": "assistant.embeddings.packaged_model",
}

__all__ = ["OnnxEmbeddings", "SentenceTransformerEmbeddings", "TokenStates", "embeddings_for", "packaged_model_path"]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
