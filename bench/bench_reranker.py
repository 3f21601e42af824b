"""What a reranker costs per question: cross-encoders of the shapes users pick, built locally with random weights
(none can be downloaded here; a forward pass costs the same whatever the weights), re-ordering 20 candidates.

    python bench/bench_reranker.py                      # mMiniLMv2-L12-H384 and XLM-R-base shapes, 20 candidates
    python bench/bench_reranker.py --shapes minilm,base,large --candidates 20 --rounds 3

Shapes (XLM-R vocabulary of 250,002 tokens, the bundled model's tokenizer): `minilm` = 12 layers of 384
(cross-encoder/mmarco-mMiniLMv2-L12-H384-v1), `base` = 12 layers of 768 (jina-reranker-v2-base-multilingual's
size class, 278M), `large` = 24 layers of 1,024 (BAAI/bge-reranker-v2-m3, 568M). Candidates are 700-character
pieces of 10kGNAD articles, the question a German sentence; the time is `CrossEncoderReranker.rerank` (the code
the assistant runs), median of `--rounds` after one warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
SHAPES = {"minilm": (12, 384, 12, 1536), "base": (12, 768, 12, 3072), "large": (24, 1024, 16, 4096)}
QUESTION = "Wer sollte die Gespräche zwischen den Gewerkschaften und der Regierung vermitteln?"


def tokenizer_folder() -> Path:
    """The bundled model's converted folder (its tokenizer is XLM-R's, as the multilingual rerankers use)."""
    from assistant import Settings

    found = sorted(Settings().model_cache_dir.glob("multilingual-e5-small-*/tokenizer.json"))
    if not found:
        raise SystemExit("run `assistant model` first: the bundled model's tokenizer is used")
    return found[0].parent


def build(shape: str, folder: Path) -> tuple[Path, int]:
    """A random-weight XLM-R sequence classifier (one label) of the shape, saved with the tokenizer."""
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaForSequenceClassification

    layers, hidden, heads, intermediate = SHAPES[shape]
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=250_002, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=intermediate, max_position_embeddings=514, num_labels=1,
    )  # fmt: skip
    model = XLMRobertaForSequenceClassification(config)
    target = folder / shape
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(tokenizer_folder()).save_pretrained(target)
    return target, sum(p.numel() for p in model.parameters())


def candidates(count: int) -> list[str]:
    from assistant.evaluation import read_10kgnad_csv

    texts = [a.text for a in read_10kgnad_csv(GNAD)[:count]]
    return [text[:700] for text in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="minilm,base")
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from assistant import Settings
    from assistant.answering.reranking import CrossEncoderReranker
    from assistant.answers import Passage

    texts = candidates(args.candidates)
    passages = [
        Passage(article_id=f"a{n}", title="", text=t, start=0, end=len(t), score=0.0) for n, t in enumerate(texts)
    ]
    print(f"| shape | parameters | rerank {args.candidates} candidates: median s (min) |")
    print("|---|---|---|")
    from assistant.embeddings.onnx_backend import OnnxEmbeddings

    encoder = OnnxEmbeddings(cache_dir=Settings().model_cache_dir)  # the bundled encoder: a yardstick in the same run
    encoder.embed_passages_array(texts[:2])
    seconds = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        encoder.embed_passages_array(texts)
        seconds.append(time.perf_counter() - began)
    print(f"| bundled encoder embedding the same candidates (for scale) | 118M | {statistics.median(seconds):.2f} |")
    with tempfile.TemporaryDirectory() as scratch:
        for shape in args.shapes.split(","):
            folder, parameters = build(shape, Path(scratch))
            reranker = CrossEncoderReranker(str(folder))
            reranker.rerank(QUESTION, passages[:2])  # load and warm up
            seconds = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                reranker.rerank(QUESTION, passages)
                seconds.append(time.perf_counter() - began)
            layers, hidden, _, _ = SHAPES[shape]
            median, fastest = statistics.median(seconds), min(seconds)
            print(f"| {shape} ({layers} layers × {hidden}) | {parameters / 1e6:.0f}M | {median:.2f} ({fastest:.2f}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
