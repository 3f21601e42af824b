"""Hard unanswerable questions: the question's article stays, the sentences that answer it are taken out.

In a news archive the topic of a question is almost always there; what is missing is the detail. Leaving a
question's whole article out (SQuAD-style "unanswerable") tests only whether the topic is found. Here every
sentence of the question's own article that holds a gold answer is removed before indexing, and so is every
sentence of another article that holds a gold answer and repeats most of a removed sentence (a syndicated
copy, the same report in other words): what remains on the topic does not say it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.articles import Article
from assistant.chunking import Span, split_sentences
from assistant.indexing.keyword_index import tokenize

COPY_OVERLAP = 0.5
"""A sentence elsewhere that holds the answer counts as a copy of a removed one when it shares this share of
that sentence's stems."""


@dataclass(frozen=True)
class AnswerTarget:
    """A question's gold answers and the article that answers it."""

    question_id: str
    article_id: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Removal:
    """The articles as indexed for the hard set (changed ones only; None: nothing of it is left) and the
    questions whose answer sentences were found and removed (the hard unanswerable questions)."""

    changed: dict[str, Article | None]
    questions: frozenset[str]


def remove_answer_sentences(articles: Sequence[Article], targets: Iterable[AnswerTarget]) -> Removal:
    """Remove every answer sentence of `targets` from their articles, and the copies of those elsewhere."""
    by_id = {article.id: article for article in articles}
    cut: dict[str, set[Span]] = {}
    removed_stems: list[tuple[tuple[str, ...], set[str]]] = []  # (answers, stems of a removed sentence)
    found: set[str] = set()
    for target in targets:
        article = by_id.get(target.article_id)
        if article is None:
            continue
        spans = [s for s in split_sentences(article.text) if _holds(s.of(article.text), target.answers)]
        if spans:
            found.add(target.question_id)
            cut.setdefault(article.id, set()).update(spans)
            removed_stems.extend((target.answers, set(tokenize(s.of(article.text)))) for s in spans)
    any_answer = _any_of({answer for answers, _ in removed_stems for answer in answers})
    for article in articles:
        if any_answer is None or not any_answer.search(article.text):
            continue
        copies = [s for s in split_sentences(article.text) if _is_copy(s.of(article.text), removed_stems)]
        if copies:
            cut.setdefault(article.id, set()).update(copies)
    changed = {article_id: _without(by_id[article_id], spans) for article_id, spans in cut.items()}
    return Removal(changed, frozenset(found))


def _any_of(answers: set[str]) -> re.Pattern[str] | None:
    """One pattern for all answers: most articles hold none of them and are passed over at once."""
    wanted = sorted((a for a in answers if a), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, wanted))) if wanted else None


def _holds(sentence: str, answers: tuple[str, ...]) -> bool:
    return any(answer and answer in sentence for answer in answers)


def _is_copy(sentence: str, removed: list[tuple[tuple[str, ...], set[str]]]) -> bool:
    stems: set[str] | None = None
    for answers, other in removed:
        if other and _holds(sentence, answers):
            stems = stems if stems is not None else set(tokenize(sentence))
            if len(stems & other) >= COPY_OVERLAP * len(other):
                return True
    return False


def _without(article: Article, spans: set[Span]) -> Article | None:
    """The article without the sentences at `spans` (None when no text is left)."""
    text, end = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        text.append(article.text[end : span.start])
        end = max(end, span.end)
    text.append(article.text[end:])
    rest = "".join(text)
    if not rest.strip():
        return None
    return Article(article.id, rest, article.title, article.source, article.url, article.published, article.path)
