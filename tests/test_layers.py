"""The stages' public surfaces: every name a stage's ``__init__`` offers resolves, and importing one module of a stage
loads none of its siblings (the surfaces are lazy, so they add no import cycle and no start-up cost)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

STAGES = ["ingest", "embeddings", "indexing", "answering", "serve"]


@pytest.mark.parametrize("stage", STAGES)
def test_every_public_name_of_a_stage_resolves(stage: str) -> None:
    package = importlib.import_module(f"assistant.{stage}")
    assert package.__doc__ and package.__all__
    for name in package.__all__:
        assert getattr(package, name) is not None, name
        assert name in dir(package)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        package.nothing_here  # noqa: B018


def test_importing_one_module_of_a_stage_loads_no_sibling() -> None:
    code = (
        "import sys, assistant.indexing.database;"  # a module that imports none of its stage's siblings itself
        "print(sorted(m for m in sys.modules if m.startswith('assistant.indexing.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['assistant.indexing.database']"
