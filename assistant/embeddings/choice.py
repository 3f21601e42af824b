"""Which `Embeddings` a `Settings` asks for: ONNX Runtime for the bundled model, sentence-transformers otherwise.

Both give the bundled model's vectors under the same `model_name`, so an index built with one is read by the
other. Neither imports torch here: the ONNX path never does, the sentence-transformers path on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import ConfigurationError
from assistant.settings import PACKAGED_MODEL, Settings

if TYPE_CHECKING:
    from assistant.embeddings.onnx_backend import OnnxEmbeddings
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings


def embeddings_for(settings: Settings) -> OnnxEmbeddings | SentenceTransformerEmbeddings:
    """The embeddings `settings` name (not loaded yet)."""
    backend = settings.embedding_backend
    packaged = settings.embedding_model == PACKAGED_MODEL
    if backend == "onnx" and not packaged:
        raise ConfigurationError(
            f"ASSISTANT_EMBEDDING_BACKEND=onnx serves only the bundled model {PACKAGED_MODEL!r}; "
            f"{settings.embedding_model!r} runs on sentence-transformers (set the backend to 'auto')."
        )
    if packaged and backend != "sentence-transformers":
        from assistant.embeddings.onnx_backend import OnnxEmbeddings

        return OnnxEmbeddings(
            cache_dir=settings.model_cache_dir,
            query_prompt=settings.query_prompt,
            passage_prompt=settings.passage_prompt,
            precision=settings.embedding_precision,
        )
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings(
        settings.embedding_model,
        cache_dir=settings.model_cache_dir,
        query_prompt=settings.query_prompt,
        passage_prompt=settings.passage_prompt,
    )
