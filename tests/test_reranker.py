"""Bring your own reranker: ``ASSISTANT_RERANKER`` names a sentence-transformers CrossEncoder that re-orders the
retrieved candidates before answering. No cross-encoder ships on PyPI, so the test builds a tiny one locally
(a two-layer BERT with its own word-piece vocabulary, random weights, saved as a sentence-transformers folder):
what it ranks is arbitrary, so the test checks that its order is the one answered from, whatever it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Article, Assistant, Settings
from assistant.answering.reranking import CrossEncoderReranker
from assistant.answers import Passage
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.errors import ModelLoadError

TOPICS = {
    "talks": "Die Türkei bot an, die Gespräche zwischen Russland und der Ukraine zu vermitteln.",
    "rhine": "Die Schiffe auf dem Rhein bei Kaub trugen nur ein Drittel ihrer üblichen Ladung.",
    "strike": "Die Lokführer streiken ab Montag. Die Bahn nennt den Streik unverhältnismäßig.",
    "budget": "Der Bundestag beschloss den Haushalt nach einer langen Debatte über die Schuldenbremse.",
    "storm": "Ein Sturm deckte in Hamburg Dächer ab und ließ Bäume auf die Gleise stürzen.",
    "vaccine": "Die Impfkommission empfiehlt die Auffrischung für alle über sechzig Jahre.",
}
QUESTION = "Wer sollte die Gespräche zwischen Russland und der Ukraine vermitteln?"


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cross-encoder of the shape sentence-transformers loads (BERT, one label), built and saved here."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    words = sorted({w.lower() for text in [*TOPICS.values(), QUESTION] for w in re.findall(r"\w+|[^\w\s]", text)})
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    torch.manual_seed(7)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, num_labels=1,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def with_reranker(tmp_path: Path, embeddings: OnnxEmbeddings, tiny_cross_encoder: Path) -> Iterator[Assistant]:
    settings = Settings(index_dir=tmp_path / "index", reranker=str(tiny_cross_encoder), rerank_candidates=10)
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([Article(id=name, text=text, title=name) for name, text in TOPICS.items()])
    yield assistant
    assistant.close()


def test_the_reranker_orders_the_candidates_that_are_answered_from(
    with_reranker: Assistant, tiny_cross_encoder: Path, embeddings: OnnxEmbeddings
) -> None:
    plain = Assistant(with_reranker.settings.model_copy(update={"reranker": ""}), embeddings=embeddings)
    try:
        pool = plain.retrieve(QUESTION, k=6)  # every article: the reranker's whole pool
    finally:
        plain.close()
    reranked = with_reranker.retrieve(QUESTION, k=6)
    assert sorted(p.chunk_id for p in reranked) == sorted(p.chunk_id for p in pool)
    scores = CrossEncoderReranker(str(tiny_cross_encoder)).scores(QUESTION, pool)
    by_score = [p.chunk_id for _, p in sorted(zip(-scores, pool, strict=True), key=lambda pair: pair[0])]
    assert [p.chunk_id for p in reranked] == by_score
    assert [p.chunk_id for p in reranked] != [p.chunk_id for p in pool]  # it did re-order (seed 7 does)
    assert {p.chunk_id: p.score for p in reranked} == {p.chunk_id: p.score for p in pool}  # retrieval scores kept
    top_two = with_reranker.retrieve(QUESTION, k=2)
    assert [p.chunk_id for p in top_two] == by_score[:2]  # k is cut after the re-ordering


def test_answers_stay_verbatim_with_a_reranker(with_reranker: Assistant) -> None:
    answer = with_reranker.ask(QUESTION, k=3)
    for quote in answer.quotes:
        assert with_reranker.article(quote.article_id).text[quote.start : quote.end] == quote.text


def test_off_by_default_and_a_reranker_that_cannot_load_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().reranker == "" and Assistant(Settings(index_dir=tmp_path / "i")).reranker is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = CrossEncoderReranker(str(tmp_path / "no-such-model"))
    assert missing.rerank("Frage", []) == []  # nothing to order: nothing loaded
    passage = Passage(article_id="a", title="", text="Ein Satz.", start=0, end=9, score=1.0)
    with pytest.raises(ModelLoadError, match="ASSISTANT_RERANKER"):
        missing.rerank("Frage", [passage])
