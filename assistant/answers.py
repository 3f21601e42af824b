"""What a question returns: passages, verbatim quotes with offsets, and the answer around them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: ``article.text[start:end] == text``."""

    article_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    source: str = ""
    published: str | None = None
    url: str = ""
    chunk_id: str = ""
    dense_score: float = 0.0  # cosine similarity of question and passage vectors
    keyword_score: float = 0.0  # BM25 score of the passage for the question
    also_in: tuple[str, ...] = ()  # outlets that carried the same story (syndicated copies, shown once)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "article_id": self.article_id,
            "title": self.title,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }
        if self.also_in:
            data["also_in"] = list(self.also_in)
        return data


@dataclass(frozen=True)
class Quote:
    """A verbatim excerpt: ``article.text[start:end] == text``, always (checked where quotes are made)."""

    text: str
    article_id: str
    start: int
    end: int
    score: float
    title: str = ""
    source: str = ""
    published: str | None = None
    day: str | None = None  # the day its sentence speaks about (YYYY-MM-DD, or first/last of a span)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        keys = ("text", "article_id", "title", "source", "published", "start", "end", "score", "day")
        return {key: data[key] for key in keys}


@dataclass(frozen=True)
class ShortAnswer:
    """The few words that answer (a day, a number, a name, a place, a cause), cut from the first quote:
    ``article.text[start:end] == text``, always."""

    text: str
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "article_id": self.article_id, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Answer:
    """The answer to one question and the quotes and passages it stands on."""

    question: str
    answer: str
    abstained: bool
    quotes: list[Quote] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    language: str = "de"
    generated: bool = False  # written by a language model (its quotes verified against the passages)
    verified_quotes: int = 0  # the model's quotes found in the passage they cite
    dropped_quotes: int = 0  # the model's quotes that could not be found, removed from the answer
    notice: str = ""  # why the answer is not what was asked for (model unavailable, answer unsupported)
    short_answer: ShortAnswer | None = None  # inside the first quote, when the question asks for a detail

    def to_dict(self) -> dict[str, object]:
        """The ``ask --json`` shape, exactly (``short_answer`` only when there is one)."""
        data: dict[str, object] = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "quotes": [q.to_dict() for q in self.quotes],
            "passages": [p.to_dict() for p in self.passages],
        }
        if self.short_answer is not None:
            data["short_answer"] = self.short_answer.to_dict()
        return data


def as_stream(answer: Answer) -> Iterator[str | Answer]:
    """An answer made all at once, in the shape of a stream: its text as one piece, then the answer itself."""
    yield answer.answer
    yield answer


def mostly_dated(passages: Sequence[Passage]) -> bool:
    """Whether most passages come from articles with a publication day: a news archive, not an encyclopaedia
    (time words, and how readily a missing detail is declined, depend on it)."""
    return bool(passages) and 2 * sum(1 for p in passages if p.published) >= len(passages)


def on_one_line(text: str) -> str:
    """An excerpt as plain text shows it: an outlet's line breaks inside a sentence (its print layout) as single
    spaces. Only for showing: the verbatim text and its offsets are what JSON carries and what is checked."""
    return " ".join(text.split())
