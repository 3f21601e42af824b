"""The parts of each candidate sentence's quote score for a question on the seeds, indexed with int8 batches of 32
and with each text encoded alone, side by side: which part decides the quote, and by how much.

Written for the seed's "Who was supposed to mediate the talks?", whose first quote held "unter Vermittlung Katars"
on a batched index and not on one encoded text by text (docs/answer-quality.md, "The English mediator question").
Parts: the sentence's cosine to the question as the score reads it (across languages, for the sentences the token
alignment weighs, the float32 one of the alignment's run, the same in every build; else the stored int8 vector's,
which moves with the build; both are shown), its passage's fused score times `Weights.passage`, and the rest:
token-alignment coverage times `Weights.coverage` across languages plus shared stems.

    python bench/bench_quote_parts.py ["Who was supposed to mediate the talks?" ...]
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
from pathlib import Path

from assistant import Assistant, Settings
from assistant.answering.asking import make_question
from assistant.answering.extractive import ALIGNED_SENTENCES, ExtractiveAnswerer
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.protocols import TokenEmbedder

REPO = Path(__file__).resolve().parents[1]
BUILDS = {"batches of 32": 32, "each text alone": 1}


def build(folder: Path, batch_size: int) -> Path:
    """The seeds indexed by an int8 encoder that runs `batch_size` texts at a time."""
    shutil.copytree(REPO / "seeds", folder / "seeds")
    embeddings = OnnxEmbeddings(cache_dir=Settings().model_cache_dir, batch_size=batch_size)
    builder = Assistant(Settings(index_dir=folder / "index"), embeddings=embeddings)
    try:
        builder.index([folder / "seeds"])
    finally:
        builder.close()
    return folder / "index"


def show(assistant: Assistant, question_text: str) -> None:
    asked = make_question(question_text)
    vector = assistant.embeddings.embed_query_array(question_text)
    passages = assistant.retrieve(question_text)
    answerer = assistant.answerer
    if not isinstance(answerer, ExtractiveAnswerer):
        raise SystemExit("the extractive answerer only (no language model configured)")
    weighing = answerer.weigh(asked, vector, passages)
    passage_weight = answerer.aligned_weights.passage if weighing.aligned else answerer.weights.passage
    print(f"  kind {weighing.asked.kind}, aligned {weighing.aligned}, evidence {weighing.evidence:.4f}")
    print(
        "  | # | score | cosine read (int8 stored) | passage | rest (coverage, stems) | leans back | holds | sentence |"
    )
    print("  |---|---|---|---|---|---|---|---|")
    stored = [float(sentence_vector @ vector) for _, _, _, sentence_vector, _ in weighing.sentences]
    texts = [
        passage.text[span.start - passage.start : span.end - passage.start]
        for _, passage, span, *_ in weighing.sentences
    ]
    exact = dict.fromkeys(range(len(stored)), math.nan)
    embedder = assistant.embeddings
    if weighing.aligned and isinstance(embedder, TokenEmbedder):  # the sentences `ExtractiveAnswerer._covered`
        aligned = sorted(range(len(stored)), key=lambda n: -stored[n])[:ALIGNED_SENTENCES]  # aligns (highest cosine)
        question = embedder.query_token_states(question_text).pooled
        states = embedder.passage_token_states([texts[n] for n in aligned])
        for n, state in zip(aligned, states, strict=True):
            if question is not None and state.pooled is not None:
                exact[n] = float(question @ state.pooled)
    ranked = sorted(range(len(weighing.candidates)), key=lambda n: -weighing.candidates[n].score)
    for n in ranked:
        candidate = weighing.candidates[n]
        passage = weighing.sentences[n][1]
        cosine = stored[n] if math.isnan(exact[n]) else exact[n]
        part = passage_weight * passage.score
        holding = weighing.held.get(n)
        holds = "own" if holding and holding.own else "next" if holding else ""
        print(
            f"  | {n} | {candidate.score:.4f} | {cosine:.4f} ({stored[n]:.4f}) | {part:.4f} "
            f"| {candidate.score - cosine - part:.4f} | {'yes' if candidate.leans_on_previous else ''} | {holds} "
            f"| {texts[n][:60]} |"
        )
    answer = assistant.ask(question_text)
    for number, quote in enumerate(answer.quotes, 1):
        print(f"  quote {number}: {quote.text[:110]}")
    print(f"  short answer: {answer.short_answer.text if answer.short_answer else None}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="*", default=["Who was supposed to mediate the talks?"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        indexes = {name: build(Path(temporary) / str(size), size) for name, size in BUILDS.items()}
        for question in args.questions:
            for name, index in indexes.items():
                print(f"{question} ({name})")
                assistant = Assistant(Settings(index_dir=index))
                try:
                    show(assistant, question)
                finally:
                    assistant.close()


if __name__ == "__main__":
    main()
