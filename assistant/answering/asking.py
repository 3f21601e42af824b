"""Making the `Question` value: its language, stems and kind of answer read once from the checked text."""

from __future__ import annotations

from assistant.answering.answer_kinds import answer_kind
from assistant.indexing.keyword_index import tokenize
from assistant.language import guess_language
from assistant.question import Question, SearchFilter


def make_question(text: str, *, k: int | None = None, search_filter: SearchFilter | None = None) -> Question:
    """The question as every stage sees it (the text already checked and cleaned by the façade)."""
    language = guess_language(text)
    kind = answer_kind(text, language)
    return Question(text, language, tuple(tokenize(text)), kind, search_filter=search_filter, k=k)


def as_question(question: Question | str) -> Question:
    """A `Question` from a stage's caller that passed the bare text (tests, benches, LangChain code)."""
    return question if isinstance(question, Question) else make_question(question)
