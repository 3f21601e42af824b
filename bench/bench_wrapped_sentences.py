"""Hard-wrapped sentences on FANG-COVID: how many gold sentences the splitter keeps whole, with and without
joining the lines of a wrapped sentence (side by side, one run), and a sample of the joins to read.

The gold sentences are the 30 answer sentences of ``questions.json`` and the 114 evidence quotes of
``timelines.json``: sentences a reader chose, verbatim, some of which run over a line break of their outlet's
layout. "Every line break ends a sentence" was the rule before 2026-12-07 (night).

    python bench/bench_wrapped_sentences.py [--sample 25]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from assistant.chunking import _PARAGRAPH, Span, _lines, _sentences_in_line, split_sentences

FANG = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fang-covid"


def line_by_line(text: str) -> list[Span]:
    """The rule before: every line break ends a sentence."""
    return [s for m in _PARAGRAPH.finditer(text) for s in _sentences_in_line(text, m.start(), m.end())]


def whole(spans: list[Span], start: int, end: int) -> bool:
    return any(s.start <= start and end <= s.end for s in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=25, help="joins to print for reading")
    args = parser.parse_args()
    texts = {}
    for line in (FANG / "articles.jsonl").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            record = json.loads(line)
            texts[record["url"]] = record["article"]
    questions = json.loads((FANG / "questions.json").read_text(encoding="utf-8"))
    timelines = json.loads((FANG / "timelines.json").read_text(encoding="utf-8"))
    gold = [(q["url"], q["sentence"]) for q in questions if q.get("sentence")]
    gold += [(e["url"], e["quote"]) for t in timelines for ev in t["events"] for e in ev["evidence"]]
    counts = {"line by line": 0, "wrapped lines joined": 0}
    crossing = 0
    for url, sentence in gold:
        text = texts[url]
        start = text.index(sentence)
        crossing += "\n" in sentence
        counts["line by line"] += whole(line_by_line(text), start, start + len(sentence))
        counts["wrapped lines joined"] += whole(split_sentences(text), start, start + len(sentence))
    print(f"gold sentences: {len(gold)}, of which {crossing} run over a line break")
    for rule, n in counts.items():
        print(f"  {rule:22} kept whole: {n}/{len(gold)}")
    joins = []
    for url, text in texts.items():
        for line in _lines(text, 0, len(text)):
            joins += [(url, text, line.start + i) for i, c in enumerate(line.of(text)) if c == "\n"]
    wrapped = len({url for url, _, _ in joins})
    print(f"articles with a joined line break: {wrapped} of {len(texts)}; joined line breaks: {len(joins)}")
    for _, text, at in random.Random(5).sample(joins, min(args.sample, len(joins))):
        print("  ", repr(text[max(0, at - 45) : at + 35]))


if __name__ == "__main__":
    main()
