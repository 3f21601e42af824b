"""The trained answer reader of round six (bench/train_reader.py, bench/reader_model.py; docs/answer-quality.md):
it did not ship, but its bench stays, so that a stronger reader is measured the same way. What must hold: the
training questions come from the tuning articles only, each labelled at the sentence holding its answer; an
adapter merged into its weight at load gives what was trained; a damaged file is refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import REPO, SHARED

sys.path.insert(0, str(REPO / "bench"))
from reader_model import ReaderConfig, SentenceReader
from train_reader import (
    HELD_OUT_ARTICLES,
    TUNING_ARTICLES,
    LowRank,
    groups,
)

from assistant.errors import ModelLoadError

XQUAD = SHARED / "data" / "xquad"


@pytest.mark.skipif(not (XQUAD / "xquad.de.json").is_file(), reason="the shared XQuAD data is not here")
def test_training_questions_come_from_the_tuning_articles_labelled_at_their_answer_sentence() -> None:
    tuning = groups(XQUAD, TUNING_ARTICLES, ("de", "en"))
    held = groups(XQUAD, HELD_OUT_ARTICLES, ("de",))
    data = json.loads((XQUAD / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    answers = {
        qa["question"]: qa["answers"][0]["text"]
        for article in data[: len(TUNING_ARTICLES)]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    german = [g for g in tuning if g.question in answers]
    assert len(german) > 900 and len(tuning) > 1.9 * len(german) * 0.95  # the English ones on the same sentences
    assert sum(answers[g.question] in g.sentences[g.answer] for g in german) / len(german) > 0.97
    assert not {g.question for g in held} & set(answers)  # no held-out question is trained on


def test_an_adapter_merged_into_its_weight_gives_the_trained_layer_s_output() -> None:
    """What `SentenceReader` does at load (W + scale · B·A), on a small layer: the same output as the low-rank
    layer trained, with the factors stored as float16."""
    config = ReaderConfig(layers=(0,), modules=("dense",), rank=4, alpha=8.0, max_length=64)
    base = torch.nn.Linear(24, 16)
    adapter = LowRank(base, config.rank, config.scale, torch.Generator().manual_seed(1))
    adapter.b.data.normal_(0.0, 0.05, generator=torch.Generator().manual_seed(2))  # trained: not zero
    x = torch.randn(3, 24, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        trained = adapter(x)
        a, b = (
            torch.from_numpy(f.detach().numpy().astype(np.float16).astype(np.float32)) for f in (adapter.a, adapter.b)
        )
        merged = torch.nn.functional.linear(x, base.weight + config.scale * (b @ a), base.bias)
    assert torch.allclose(merged, trained, atol=1e-3)
    assert not torch.allclose(base(x), trained, atol=1e-3)


def test_a_damaged_reader_file_is_refused_before_any_model_loads(tmp_path: Path) -> None:
    damaged = tmp_path / "reader.npz"
    damaged.write_bytes(b"not the trained adapters")
    with pytest.raises(ModelLoadError, match="damaged"):
        SentenceReader(tmp_path / "no model here", damaged, sha256="0" * 64)
