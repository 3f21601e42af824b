"""Train the answer reader (`bench/reader_model.py`): the packaged e5-small as a cross-encoder of
"query: question" / "passage: sentence", with low-rank adapters on its upper layers and a linear head.

    python bench/train_reader.py ../shared/data/xquad --out reader.npz

Training data, tuning parts only: XQuAD-de articles 0-37 (38-47 are held out, as for the decline model), each
question (German; with `--languages de en` also the English one of xquad.en.json, asked of the German paragraph)
× the sentences of its paragraph (the project's sentence splitter): 1 for the sentence holding the answer's start,
0 for up to NEGATIVES others (drawn once, fixed seed). The base weights stay frozen, so the layers below the
adapted ones run once per pair and their output is kept (2 shared cores: that halves the training time); only
the adapters' factors (B starts at zero, so training starts from the base model) and the head learn, for
`--epochs` passes over the kept states. Prints the held-out part's figures before training and after each epoch
(pair AUC, and how often the answer sentence scores first in its paragraph).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from assistant.chunking import split_sentences
from assistant.embeddings.packaged_model import packaged_model_path
from assistant.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reader_model import ReaderConfig, adapter_key, pair_inputs

TUNING_ARTICLES = range(38)
HELD_OUT_ARTICLES = range(38, 48)
NEGATIVES = 3
SEED = 20261207


@dataclass(frozen=True)
class Group:
    """One question with the sentences of its paragraph and which of them holds the answer."""

    question: str
    sentences: tuple[str, ...]
    answer: int


def groups(folder: Path, articles: range, languages: tuple[str, ...]) -> list[Group]:
    """The questions of `articles` in each language of `languages`, on the German paragraphs."""
    german = json.loads((folder / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    asked = {lang: _questions(folder / f"xquad.{lang}.json") for lang in languages}
    found = []
    for index in articles:
        for paragraph in german[index]["paragraphs"]:
            context = paragraph["context"]
            spans = split_sentences(context)
            sentences = tuple(context[s.start : s.end] for s in spans)
            for qa in paragraph["qas"]:
                start = qa["answers"][0]["answer_start"]
                answer = next((n for n, s in enumerate(spans) if s.start <= start < s.end), None)
                if answer is None or len(sentences) < 2:
                    continue
                for lang in languages:
                    question = asked[lang].get(qa["id"])
                    if question:
                        found.append(Group(question, sentences, answer))
    return found


def _questions(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return {qa["id"]: qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]}


class LowRank(nn.Module):
    """A frozen linear layer plus scale · B·A (A: rank × in, small random; B: out × rank, zero at the start)."""

    def __init__(self, base: nn.Linear, rank: int, scale: float, generator: torch.Generator) -> None:
        super().__init__()
        self.base = base
        self.scale = scale
        self.a = nn.Parameter(torch.randn(rank, base.in_features, generator=generator) / math.sqrt(base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * ((x @ self.a.T) @ self.b.T)


def adapted(model: nn.Module, config: ReaderConfig, generator: torch.Generator) -> dict[tuple[int, str], LowRank]:
    """Put a LowRank on each configured module of each configured layer (in place); return them by name."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    found = {}
    layers = model.get_submodule("encoder.layer")
    for layer in config.layers:
        block = layers[layer]  # type: ignore[index]
        for module in config.modules:
            parent_name, _, leaf = module.rpartition(".")
            parent = block.get_submodule(parent_name)
            base = getattr(parent, leaf)
            wrapped = LowRank(base, config.rank, config.scale, generator)
            setattr(parent, leaf, wrapped)
            found[(layer, module)] = wrapped
    return found


@dataclass
class Batch:
    """Pairs run through the frozen lower layers once (they never change): the hidden state entering the first
    adapted layer, the attention mask, and the labels."""

    hidden: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    groups: list[tuple[int, int]]  # (first pair, answer pair) of each question, for the held-out figures


def additive(mask: torch.Tensor) -> torch.Tensor:
    """The attention mask as BERT's layers add it to their scores."""
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def lower(model: nn.Module, tokenizer: object, chosen: list[tuple[Group, list[int]]], first: int, length: int) -> Batch:
    """The pairs of `chosen` (each question with the indexes of the sentences to pair it with) through the
    embeddings and the layers below `first`."""
    pairs, labels, groups = [], [], []
    for group, sentences in chosen:
        groups.append((len(pairs), len(pairs) + sentences.index(group.answer)))
        pairs.extend((group.question, group.sentences[n]) for n in sentences)
        labels.extend(float(n == group.answer) for n in sentences)
    inputs = pair_inputs(tokenizer, [q for q, _ in pairs], [s for _, s in pairs], length)  # type: ignore[arg-type]
    with torch.no_grad():
        hidden = model.get_submodule("embeddings")(input_ids=inputs["input_ids"])
        mask = additive(inputs["attention_mask"])
        for layer in range(first):
            hidden = model.get_submodule(f"encoder.layer.{layer}")(hidden, attention_mask=mask)
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return Batch(hidden, inputs["attention_mask"], torch.tensor(labels), groups)


def upper(model: nn.Module, head: nn.Linear, batch: Batch, first: int) -> torch.Tensor:
    """Logits of a batch from the hidden state entering layer `first` (the adapted layers and the head)."""
    hidden, mask = batch.hidden, additive(batch.mask)
    for layer in range(first, 12):
        hidden = model.get_submodule(f"encoder.layer.{layer}")(hidden, attention_mask=mask)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    weights = batch.mask.unsqueeze(-1).to(hidden.dtype)
    return head((hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)).squeeze(-1)


def evaluate(model: nn.Module, head: nn.Linear, held: list[Batch], first: int) -> str:
    """Pair AUC and first-in-paragraph share on held-out questions (each with all its paragraph's sentences)."""
    positive, negative, top, questions = [], [], 0, 0
    with torch.no_grad():
        for batch in held:
            logits = upper(model, head, batch, first).numpy()
            bounds = [start for start, _ in batch.groups] + [len(logits)]
            for (start, answer), end in zip(batch.groups, bounds[1:], strict=True):
                positive.append(float(logits[answer]))
                negative.extend(float(logits[n]) for n in range(start, end) if n != answer)
                top += int(start + int(np.argmax(logits[start:end])) == answer)
                questions += 1
    return f"AUC {auc(positive, negative):.3f}, answer sentence first {top}/{questions} ({top / questions:.3f})"


def auc(positive: list[float], negative: list[float]) -> float:
    """The share of (positive, negative) pairs ordered right (ties count half)."""
    if not positive or not negative:
        return float("nan")
    neg = np.sort(np.asarray(negative))
    pos = np.asarray(positive)
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * equal).sum() / (len(pos) * len(neg)))


def train(args: argparse.Namespace) -> None:
    from transformers import AutoTokenizer, BertModel

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    generator = torch.Generator().manual_seed(SEED)
    folder = packaged_model_path(Settings().model_cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = BertModel.from_pretrained(str(folder), add_pooling_layer=False, attn_implementation="eager")
    model.eval()  # no dropout: the adapters are few and the epochs short
    config = ReaderConfig(
        layers=tuple(range(12 - args.layers, 12)),
        modules=tuple(args.modules),
        rank=args.rank,
        alpha=float(args.rank * 2),
        max_length=args.max_length,
    )
    adapters = adapted(model, config, generator)
    head = nn.Linear(384, 1)
    parameters = [p for a in adapters.values() for p in (a.a, a.b)] + list(head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.0)
    first = 12 - args.layers
    tuning = groups(args.xquad, TUNING_ARTICLES, tuple(args.languages))
    held = groups(args.xquad, HELD_OUT_ARTICLES, ("de",))[: args.held]
    print(f"{len(tuning)} tuning questions ({', '.join(args.languages)}), {len(held)} held-out German ones", flush=True)
    rng.shuffle(tuning)
    chosen = []
    for group in tuning:
        others = [n for n in range(len(group.sentences)) if n != group.answer]
        chosen.append((group, [group.answer, *rng.sample(others, min(NEGATIVES, len(others)))]))
    started = time.perf_counter()
    batches = [
        lower(model, tokenizer, chosen[n : n + args.batch], first, config.max_length)
        for n in range(0, len(chosen), args.batch)
    ]
    held_batches = [
        lower(
            model,
            tokenizer,
            [(g, list(range(len(g.sentences)))) for g in held[n : n + args.batch]],
            first,
            config.max_length,
        )
        for n in range(0, len(held), args.batch)
    ]
    print(f"lower layers run once in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"before training: held out {evaluate(model, head, held_batches, first)}", flush=True)
    loss_of = nn.BCEWithLogitsLoss()
    steps = args.epochs * len(batches)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    for epoch in range(args.epochs):
        order = list(range(len(batches)))
        rng.shuffle(order)
        total = 0.0
        for step, n in enumerate(order):
            loss = loss_of(upper(model, head, batches[n], first), batches[n].labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach())
            if step % 20 == 0:
                print(
                    f"epoch {epoch} step {step} loss {total / (step + 1):.3f} {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        print(
            f"epoch {epoch}: loss {total / len(order):.3f}, held out {evaluate(model, head, held_batches, first)}",
            flush=True,
        )
        save(args.out, config, adapters, head)
    print(f"trained in {time.perf_counter() - started:.0f} s; wrote {args.out}")


def save(out: Path, config: ReaderConfig, adapters: dict[tuple[int, str], LowRank], head: nn.Linear) -> None:
    """The adapters' factors (float16) and the head, with the config, as one npz."""
    arrays: dict[str, np.ndarray] = {"config": np.array(config.to_json())}
    for (layer, module), adapter in adapters.items():
        arrays[adapter_key(layer, module, "A")] = adapter.a.detach().numpy().astype(np.float16)
        arrays[adapter_key(layer, module, "B")] = adapter.b.detach().numpy().astype(np.float16)
    arrays["head.weight"] = head.weight.detach().numpy()[0].astype(np.float32)
    arrays["head.bias"] = np.array(float(head.bias.detach()[0]), dtype=np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez(fh, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("xquad", type=Path, help="the folder of xquad.de.json and xquad.en.json")
    parser.add_argument("--out", type=Path, required=True, help="the npz to write (adapters, head, config)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="questions per step (each with its negatives)")
    parser.add_argument("--layers", type=int, default=3, help="the upper layers that get adapters")
    parser.add_argument(
        "--modules",
        nargs="+",
        default=[
            "attention.self.query",
            "attention.self.value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        ],
    )
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--languages", nargs="+", default=["de"], help="de, en: the questions asked")
    parser.add_argument("--held", type=int, default=120, help="held-out questions scored after each epoch")
    parser.add_argument("--threads", type=int, default=2)
    train(parser.parse_args())


if __name__ == "__main__":
    main()
