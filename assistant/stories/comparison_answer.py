"""An outlet comparison told as text, and in the shape of an answer: so `ask` (the CLI, Python, the HTTP and
OpenAI APIs, MCP) answers "Wie berichten die Medien über …" with the comparison, as the chat does."""

from __future__ import annotations

import dataclasses

from assistant.answers import Answer, Quote, on_one_line
from assistant.phrases import phrase
from assistant.stories.compare import Comparison
from assistant.stories.sentences import Sentence


@dataclasses.dataclass(frozen=True)
class ComparisonAnswer(Answer):
    """An answer that is an outlet comparison: the `Answer` every caller takes (same ``ask --json`` shape),
    carrying the `Comparison` it was written from so a view can lay it out."""

    comparison: Comparison | None = None


def comparison_text(comparison: Comparison, language: str) -> tuple[list[str], list[Sentence]]:
    """The comparison section by section in `language`, each sentence cited as ``[n]``, and the cited sentences
    in that order (``[1]`` is the first). No lines when no story was found."""
    if comparison.story_id is None:
        return [], []
    cited: list[Sentence] = []

    def cite(sentence: Sentence) -> str:
        cited.append(sentence)
        return f"„{on_one_line(sentence.text)}“ [{len(cited)}] – {sentence.source}"

    lines = [phrase(language, "compare_intro", n=len(comparison.outlets), title=comparison.title)]
    lines.append(", ".join(comparison.outlets))
    if comparison.shared:
        lines += ["", f"{phrase(language, 'compare_shared')}:"]
        for statement in comparison.shared:
            lines.append(f"- {cite(statement.quote)} ({phrase(language, 'also_in')}: {', '.join(statement.also_in)})")
    if comparison.single:
        lines += ["", f"{phrase(language, 'compare_single')}:"]
        lines += [f"- {cite(statement.quote)}" for statement in comparison.single]
    lines += ["", f"{phrase(language, 'compare_differences')}:"]
    for difference in comparison.differences:
        change = phrase(language, f"compare_change_{difference.change}")
        lines.append(f"- {cite(difference.a)} ≠ {cite(difference.b)} ({change})")
    if not comparison.differences:
        lines.append(phrase(language, "compare_no_differences"))
    return lines, cited


def comparison_answer(comparison: Comparison, language: str) -> Answer | None:
    """The comparison as an answer whose quotes are its sentences (verbatim, with offsets); None when there is
    nothing to compare (no story, or a story told by one outlet), so the question is answered as any other."""
    lines, cited = comparison_text(comparison, language)
    if len(comparison.outlets) < 2 or not cited:
        return None
    quotes = [Quote(s.text, s.article_id, s.start, s.end, 0.0, s.title, s.source, s.published) for s in cited]
    return ComparisonAnswer(comparison.question, "\n".join(lines), False, quotes, [], language, comparison=comparison)
