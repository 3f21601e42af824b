"""The chat's answer to "Wie berichten die Medien über …?": a `Comparison` shown per outlet.

A statement several outlets made is shown once with "auch in: …", one only one outlet made is marked "nur in …",
and two outlets' sentences about the same thing with other numbers, dates or names stand side by side. Each is
a quote card (`chat_html.sentence_card_html`: the verbatim sentence, its outlet, day, article id, offsets and
link; every text escaped). The message grows section by section, as other answers stream in, and the turn is
kept as a plain answer (text with citation markers and its quotes) for follow-ups and kept conversations.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Generator, Iterator

from assistant.answers import Answer, Quote, on_one_line
from assistant.articles import Article
from assistant.phrases import phrases_for
from assistant.serve.chat_html import notice_html, sentence_card_html
from assistant.stories.compare import Comparison, Difference, Statement
from assistant.stories.sentences import Sentence

ArticleFor = Callable[[str], Article | None]


def comparison_frames(
    comparison: Comparison, language: str, article_for: ArticleFor
) -> Generator[str, None, Answer | None]:
    """The message as it grows (head, then each section), returning the turn as a plain answer (None when no
    story was found)."""
    labels = phrases_for(language)
    if comparison.story_id is None:
        yield notice_html(html.escape(labels["compare_none"]))
        return None
    shared = comparison.shared
    parts = [_head_html(comparison, labels)]
    sections = (
        ("na-compare-shared", labels["compare_shared"], [_statement_html(s, labels, article_for) for s in shared]),
        ("na-compare-single", labels["compare_single"],
         [_single_html(s, labels, article_for) for s in comparison.single]),
        ("na-compare-differences", labels["compare_differences"],
         [_difference_html(d, labels, article_for) for d in comparison.differences]),
    )  # fmt: skip
    for css, title, items in sections:
        if not items and css != "na-compare-differences":
            continue
        body = "".join(items) or f"<p class='na-compare-nothing'>{html.escape(labels['compare_no_differences'])}</p>"
        parts.append(f"<section class='{css}'><h4>{html.escape(title)}</h4>{body}</section>")
    yield from growing("na-compare", parts)
    return comparison_answer(comparison, shared, language)


def growing(css: str, parts: list[str]) -> Iterator[str]:
    """A view's message part by part, as answers stream in; the parts before the last are marked `na-streaming`
    (the page's tests and styles know an unfinished answer by it)."""
    for n in range(1, len(parts) + 1):
        state = " na-streaming" if n < len(parts) else ""
        yield f"<div class='na-msg {css}'><div class='na-view{state}'>{''.join(parts[:n])}</div></div>"


def _head_html(comparison: Comparison, labels: dict[str, str]) -> str:
    outlets = "".join(f"<span class='na-outlet'>{html.escape(o)}</span>" for o in comparison.outlets)
    intro = labels["compare_intro"].format(n=len(comparison.outlets), title=comparison.title)
    one = ""
    if len(comparison.outlets) == 1:
        one = f"<p class='na-compare-nothing'>{html.escape(labels['compare_one_outlet'].format(source=comparison.outlets[0]))}</p>"  # noqa: E501
    return (
        f"<div class='na-compare-head'><div class='na-compare-title'>{html.escape(intro)}</div>"
        f"<div class='na-compare-outlets'>{outlets}</div>{one}</div>"
    )


def _statement_html(statement: Statement, labels: dict[str, str], article_for: ArticleFor) -> str:
    also = f"<span class='na-also'>{html.escape(labels['also_in'])}: {html.escape(', '.join(statement.also_in))}</span>"
    card = sentence_card_html(statement.quote, article_for(statement.quote.article_id), labels, also)
    return f"<div class='na-statement na-shared'>{card}</div>"


def _single_html(statement: Statement, labels: dict[str, str], article_for: ArticleFor) -> str:
    only = html.escape(labels["compare_only_in"].format(source=statement.quote.source))
    card = sentence_card_html(
        statement.quote, article_for(statement.quote.article_id), labels, f"<span class='na-only'>{only}</span>"
    )
    return f"<div class='na-statement na-single'>{card}</div>"


def _difference_html(difference: Difference, labels: dict[str, str], article_for: ArticleFor) -> str:
    change = html.escape(labels.get(f"compare_change_{difference.change}", difference.change))
    sides = "".join(
        f"<div class='na-side'>{sentence_card_html(s, article_for(s.article_id), labels)}</div>"
        for s in (difference.a, difference.b)
    )
    return f"<div class='na-difference'><div class='na-change'>≠ {change}</div><div class='na-pair'>{sides}</div></div>"


def comparison_answer(comparison: Comparison, shared: list[Statement], language: str) -> Answer:
    """The comparison as a plain answer: a line per statement with its citation marker, and its quotes (what the
    follow-ups are read from and a kept conversation shows again)."""
    labels = phrases_for(language)
    quotes: list[Quote] = []

    def cite(sentence: Sentence) -> str:
        quotes.append(quote_of(sentence))
        return f"„{on_one_line(sentence.text)}“ [{len(quotes)}]"

    lines = [labels["compare_intro"].format(n=len(comparison.outlets), title=comparison.title) + "."]
    if shared:
        lines.append(f"{labels['compare_shared']}:")
        lines += [f"- {cite(s.quote)} ({s.quote.source}; {labels['also_in']}: {', '.join(s.also_in)})" for s in shared]
    if comparison.single:
        lines.append(f"{labels['compare_single']}:")
        lines += [
            f"- {cite(s.quote)} ({labels['compare_only_in'].format(source=s.quote.source)})" for s in comparison.single
        ]
    if comparison.differences:
        lines.append(f"{labels['compare_differences']}:")
        for d in comparison.differences:
            change = labels.get(f"compare_change_{d.change}", d.change)
            lines.append(f"- {d.a.source}: {cite(d.a)} ≠ {d.b.source}: {cite(d.b)} ({change})")
    return Answer(comparison.question, "\n".join(lines), False, quotes=quotes, language=language)


def quote_of(sentence: Sentence) -> Quote:
    """A story's sentence as an answer's quote (both are verbatim with offsets)."""
    return Quote(
        sentence.text,
        sentence.article_id,
        sentence.start,
        sentence.end,
        1.0,
        title=sentence.title,
        source=sentence.source,
        published=sentence.published,
    )
