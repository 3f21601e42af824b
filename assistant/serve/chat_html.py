"""The chat's HTML: messages, sources with highlighted quotes, upload reports, status.

Every piece of article text, title, source and id is escaped here (article text is data, never markup);
highlights are placed by the quote's character offsets, never by searching for the text. The words come from
`assistant.phrases`: answers in the asker's language, the frame (header, status, upload report) in German.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from assistant.answers import Answer, Passage, Quote, ShortAnswer
from assistant.articles import Article
from assistant.indexing.indexer import IndexReport
from assistant.language import guess_language
from assistant.phrases import names_in, phrase, phrases_for
from assistant.serve.timeline_view import timeline_html
from assistant.stories.sentences import Sentence
from assistant.timeline.asking import TimelineAnswer

FRAME = "de"
"""The chat's frame (status panel, upload report) is German; answers follow the asker's language."""


def bilingual(key: str) -> str:
    """The German phrase with the English one after it, for the chat's frame (the asker's language is unknown)."""
    return f"{phrase('de', key)} <span class='na-en'>{phrase('en', key)}</span>"


EMPTY_QUESTION = bilingual("empty_question")


@dataclass(frozen=True)
class FileOutcome:
    """What one uploaded file did: added / updated / unchanged / refused, with details or the reason."""

    name: str
    status: str
    detail: str = ""


def outcome_of(name: str, report: IndexReport, titles: Sequence[str] = ()) -> FileOutcome:
    """One file's line of the report; a file of several records may have several outcomes."""
    counts = {"added": len(report.added), "updated": len(report.updated), "unchanged": len(report.unchanged)}
    reasons = [r.reason for r in report.refused]
    done = [status for status, count in counts.items() if count]
    if not done:
        return FileOutcome(name, "refused", "; ".join(reasons) or "nothing to index in this file")
    if sum(counts.values()) == 1:  # one article: its title says more than a count
        details = [f"„{title}“" for title in titles[:1] if title]
    else:
        details = [f"{count} {status}" for status, count in counts.items() if count]
    if reasons:
        details.append(f"{len(reasons)} refused: " + "; ".join(reasons[:3]))
    return FileOutcome(name, done[0], " · ".join(details))


def report_html(outcomes: Sequence[FileOutcome]) -> str:
    if not outcomes:
        return ""
    rows = "".join(
        f"<div class='na-row' data-status='{o.status}'><div class='na-file'>{html.escape(o.name)}</div>"
        f"<span class='na-chip na-{o.status}'>{phrase(FRAME, 'status_' + o.status)} · {o.status}</span>"
        f"<span class='na-detail'>{html.escape(o.detail)}</span></div>"
        for o in outcomes
    )
    return f"<div class='na-report'>{rows}</div>"


# --------------------------------------------------------------------------- status


def status_html(articles: int, chunks: int, model: str | None, last_changed: float | None) -> str:
    """The status panel; the chat's frame is German (`FRAME`)."""
    words = phrases_for(FRAME)
    when = human_time(last_changed) if last_changed else words["never"]
    return (
        "<div class='na-status'>"
        f"<div class='na-stat'><b>{articles}</b><span>{words['articles']}</span></div>"
        f"<div class='na-stat'><b>{chunks}</b><span>{words['chunks']}</span></div>"
        f"<div class='na-kv'><span>{words['model']}</span><code>{html.escape(model or '–')}</code></div>"
        f"<div class='na-kv'><span>{words['last_changed']}</span>{html.escape(when)}</div>"
        "</div>"
    )


def human_time(timestamp: float, now: float | None = None) -> str:
    """ "vor 5 Min. (28.11.2025 14:16)": relative for the eye, absolute for the record."""
    now = time.time() if now is None else now
    seconds = max(0.0, now - timestamp)
    absolute = datetime.fromtimestamp(timestamp).strftime("%d.%m.%Y %H:%M")
    if seconds < 60:
        relative = phrase(FRAME, "just_now")
    elif seconds < 3600:
        relative = phrase(FRAME, "minutes_ago", n=int(seconds // 60))
    elif seconds < 86400:
        relative = phrase(FRAME, "hours_ago", n=int(seconds // 3600))
    else:
        return absolute
    return f"{relative} ({absolute})"


# --------------------------------------------------------------------------- messages


def message_html(
    answer: Answer,
    *,
    text: str | None = None,
    searched_for: str | None = None,
    streaming: bool = False,
    article_for: Callable[[str], Article | None] | None = None,
) -> str:
    """One assistant message: what was searched, the answer (with citation markers), then its sources."""
    labels = phrases_for(answer.language)
    parts = [language_html(answer, labels)]
    if searched_for:
        parts.append(f"<div class='na-searched'>{labels['searched']}: „{html.escape(searched_for)}“</div>")
    body = answer.answer if text is None else text
    css = "na-text na-streaming" if streaming else "na-text"
    state = " na-abstained" if answer.abstained else ""
    if answer.short_answer is not None and not streaming:
        parts.append(short_answer_html(answer.short_answer, labels))
    if not streaming and isinstance(answer, TimelineAnswer) and answer.timeline is not None:
        parts.append(timeline_html(answer.timeline, answer.language))  # a development question: drawn, not listed
    else:
        parts.append(f"<div class='{css}{state}'>{_with_citations(body, len(answer.quotes))}</div>")
    if not streaming:
        lookup = article_for or (lambda _id: None)
        if answer.quotes:
            parts.append(sources_html(answer, lookup, labels))
        elif answer.passages:
            parts.append(nearest_html(answer.passages, labels))
    return f"<div class='na-msg'>{''.join(parts)}</div>"


def short_answer_html(short: ShortAnswer, labels: dict[str, str]) -> str:
    """The few words that answer, first; the same words are highlighted inside their quote below."""
    return (
        f"<div class='na-short'><span class='na-short-label'>{labels['short_answer']}:</span> "
        f"<strong class='na-short-text'>{html.escape(short.text)}</strong></div>"
    )


def language_html(answer: Answer, labels: dict[str, str]) -> str:
    """Which language the question was taken to be in, and (when they differ) the language of the quotes."""
    names = names_in(answer.language)
    line = labels["detected"].format(language=names[answer.language])
    others = {guess_language(quote.text) for quote in answer.quotes} - {answer.language}
    if others:  # quotes stay in their article's language: say which, when it is not the answer's
        line += " · " + labels["original"].format(language=", ".join(names[q] for q in sorted(others)))
    return f"<div class='na-lang' lang='{answer.language}'>{html.escape(line)}</div>"


def _with_citations(text: str, quotes: int) -> str:
    """Escaped text whose markers [n] (for existing sources n) become badges matching the sources' numbers."""

    def badge(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if 1 <= number <= quotes:
            return f"<span class='na-cite'>{number}</span>"
        return match.group(0)

    return re.sub(r"\[(\d{1,2})\]", badge, html.escape(text))


def sources_html(answer: Answer, article_for: Callable[[str], Article | None], labels: dict[str, str]) -> str:
    """The numbered sources; quotes from one retrieved passage share its card (numbers and marks in order), where
    a card each showed the same passage twice."""
    cards: dict[tuple[str, int, int], list[tuple[int, Quote]]] = {}
    for number, quote in enumerate(answer.quotes, start=1):
        cards.setdefault(_card_of(quote, answer.passages, number), []).append((number, quote))
    items = "".join(
        source_html(quoted, answer.passages, article_for(quoted[0][1].article_id), labels, answer.short_answer)
        for quoted in cards.values()
    )
    return f"<div class='na-sources'><div class='na-sources-title'>{labels['sources']}</div>{items}</div>"


def _card_of(quote: Quote, passages: Sequence[Passage], number: int) -> tuple[str, int, int]:
    """The retrieved passage that holds the quote (its article and offsets), else a card of the quote's own."""
    for passage in passages:
        if passage.article_id == quote.article_id and passage.start <= quote.start <= quote.end <= passage.end:
            return passage.article_id, passage.start, passage.end
    return quote.article_id, -number, -number


def source_html(
    quoted: Sequence[tuple[int, Quote]],
    passages: Sequence[Passage],
    article: Article | None,
    labels: dict[str, str],
    short: ShortAnswer | None = None,
) -> str:
    """Source [n] (or [n][m] for quotes of one passage): title, source, date, id, the passage with the quotes
    marked (the short answer inside its quote marked again), and the whole article."""
    quote = quoted[0][1]
    title = quote.title or (article.title if article else "") or quote.article_id
    numbers = "".join(f"<span class='na-num'>{number}</span>" for number, _ in quoted)
    head = (
        f"<div class='na-source-head'>{numbers}"
        f"<span class='na-title'>{html.escape(title)}</span></div>"
        f"<div class='na-meta'>{_meta_html(quote.source, quote.published)}{_day_html(quote, labels)}"
        f"<code class='na-id'>{html.escape(quote.article_id)}</code>{_also_in_html(quote, passages, labels)}</div>"
    )
    marks = [
        Mark(q.start, q.end, labels["offsets"].format(start=q.start, end=q.end), _inner(q, short)) for _, q in quoted
    ]
    if article is None:  # the article vanished since the question was answered: show the quotes alone
        shown = " ".join(
            f"<mark title='{html.escape(m.title, quote=True)}'>{html.escape(q.text)}</mark>"
            for m, (_, q) in zip(marks, quoted, strict=True)
        )
        return f"<div class='na-source'>{head}<div class='na-passage'>{shown}</div></div>"
    start, end = _context_span(quote, passages, article.text)
    start, end = min(start, *(m.start for m in marks)), max(end, *(m.end for m in marks))
    passage = highlight_all(article.text, start, end, marks)
    whole = highlight_all(article.text, 0, len(article.text), marks)
    return (
        f"<div class='na-source'>{head}<div class='na-passage'>{passage}</div>"
        f"<details class='na-article'><summary>{labels['whole']}</summary>"
        f"<div class='na-article-text'>{whole}</div></details></div>"
    )


def nearest_html(passages: Sequence[Passage], labels: dict[str, str]) -> str:
    """When the articles do not answer: the closest passages, plainly (nothing is highlighted)."""
    items = "".join(
        f"<div class='na-source na-near'><div class='na-source-head'>"
        f"<span class='na-title'>{html.escape(p.title or p.article_id)}</span></div>"
        f"<div class='na-meta'>{_meta_html(p.source, p.published)}<code class='na-id'>{html.escape(p.article_id)}"
        f"</code></div><div class='na-passage'>{text_html(p.text, 0, len(p.text))}</div></div>"
        for p in passages
    )
    return f"<div class='na-sources'><div class='na-sources-title'>{labels['nearest']}</div>{items}</div>"


def sentence_card_html(sentence: Sentence, article: Article | None, labels: dict[str, str], extra: str = "") -> str:
    """A story's verbatim sentence (outlet comparison, digest) as the answer's source cards show a quote: headline,
    outlet, day, article id, ``[start:end]`` and a link to the article, the sentence marked by its offsets, and the
    whole article to open. `extra` (HTML, "auch in: …") ends the meta line."""
    title = sentence.title or (article.title if article else "") or sentence.article_id
    link = ""
    url = article.url if article else ""
    if url.startswith(("https://", "http://")):
        link = (
            f"<a class='na-link' href='{html.escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
            f"{html.escape(labels['article_link'])}</a>"
        )
    head = (
        f"<div class='na-source-head'><span class='na-title'>{html.escape(title)}</span></div>"
        f"<div class='na-meta'>{_meta_html(sentence.source, sentence.published)}"
        f"<code class='na-id'>{html.escape(sentence.article_id)}</code>"
        f"<span class='na-offsets'>[{sentence.start}:{sentence.end}]</span>{link}{extra}</div>"
    )
    mark = Mark(sentence.start, sentence.end, labels["offsets"].format(start=sentence.start, end=sentence.end))
    if article is None or article.text[sentence.start : sentence.end] != sentence.text:  # vanished or changed
        tooltip = html.escape(mark.title, quote=True)
        return (
            f"<div class='na-source na-card'>{head}<div class='na-passage'>"
            f"<mark title='{tooltip}'>{html.escape(sentence.text)}</mark></div></div>"
        )
    passage = highlight_all(article.text, sentence.start, sentence.end, [mark])
    whole = highlight_all(article.text, 0, len(article.text), [mark])
    return (
        f"<div class='na-source na-card'>{head}<div class='na-passage'>{passage}</div>"
        f"<details class='na-article'><summary>{labels['whole']}</summary>"
        f"<div class='na-article-text'>{whole}</div></details></div>"
    )


@dataclass(frozen=True)
class Mark:
    """A quote to highlight: article offsets, the tooltip that says them, and the short answer inside it."""

    start: int
    end: int
    title: str = ""
    inner: tuple[int, int] | None = None


def _inner(quote: Quote, short: ShortAnswer | None) -> tuple[int, int] | None:
    """The short answer's offsets when it stands inside this quote."""
    if short is None or short.article_id != quote.article_id:
        return None
    return (short.start, short.end) if quote.start <= short.start and short.end <= quote.end else None


def highlight_all(text: str, start: int, end: int, marks: Sequence[Mark]) -> str:
    """``text[start:end]`` escaped, each of the (non-overlapping) marks' spans in <mark>, by offsets."""
    pieces = [_ellipsis(start > 0)]
    position = start
    for mark in sorted(marks, key=lambda m: m.start):
        mark_start, mark_end = max(position, mark.start), min(end, mark.end)
        if mark_start >= mark_end:
            continue
        tooltip = f" title='{html.escape(mark.title, quote=True)}'" if mark.title else ""
        inside = _marked_inside(text, mark_start, mark_end, mark.inner)
        pieces.append(f"{text_html(text, position, mark_start)}<mark{tooltip}>{inside}</mark>")
        position = mark_end
    pieces.append(f"{text_html(text, position, end)}{_ellipsis(end < len(text))}")
    return "".join(pieces)


def _marked_inside(text: str, start: int, end: int, inner: tuple[int, int] | None) -> str:
    """A mark's text, the short answer in it (when it lies inside) in <strong class='na-answer'>."""
    if inner is None or not start <= inner[0] < inner[1] <= end:
        return text_html(text, start, end)
    strong = f"<strong class='na-answer'>{text_html(text, inner[0], inner[1])}</strong>"
    return f"{text_html(text, start, inner[0])}{strong}{text_html(text, inner[1], end)}"


_PARAGRAPH_END = frozenset('.!?:;"“”»«)')


def text_html(text: str, start: int, end: int) -> str:
    """``text[start:end]`` escaped, its paragraphs shown as such (the text itself, and so its offsets, unchanged).

    Hard-wrapped lines flow together (a single newline after a word shows as a space); a newline after the end
    of a sentence or a blank line starts a paragraph: an empty `na-para` span before the newlines, so the
    element's text stays exactly the article's.
    """
    pieces = []
    position = start
    for run in re.finditer(r"\n+", text[start:end]):
        run_start, run_end = start + run.start(), start + run.end()
        pieces.append(html.escape(text[position:run_start]))
        if run_end - run_start > 1 or _char_before(text, run_start) in _PARAGRAPH_END:
            pieces.append("<span class='na-para'></span>")
        pieces.append(text[run_start:run_end])
        position = run_end
    pieces.append(html.escape(text[position:end]))
    return "".join(pieces)


def _char_before(text: str, index: int) -> str:
    """The last character before `index` that is not a space or tab ("" at the start)."""
    while index > 0 and text[index - 1] in " \t":
        index -= 1
    return text[index - 1] if index > 0 else ""


def _ellipsis(cut: bool) -> str:
    return "<span class='na-cut'>…</span>" if cut else ""


def _context_span(quote: Quote, passages: Sequence[Passage], text: str, window: int = 350) -> tuple[int, int]:
    """The retrieved passage around the quote, else its paragraph (at most `window` characters each side)."""
    for passage in passages:
        inside = passage.article_id == quote.article_id and passage.start <= quote.start <= quote.end <= passage.end
        if inside and text[passage.start : passage.end] == passage.text:
            return passage.start, passage.end
    start = text.rfind("\n", max(0, quote.start - window), quote.start) + 1 or max(0, quote.start - window)
    end = text.find("\n", quote.end, quote.end + window)
    return start, end if end != -1 else min(len(text), quote.end + window)


def _also_in_html(quote: Quote, passages: Sequence[Passage], labels: dict[str, str]) -> str:
    """The other outlets that carried the quoted story ("auch in: ..."), if any."""
    outlets = next((p.also_in for p in passages if p.article_id == quote.article_id and p.also_in), ())
    if not outlets:
        return ""
    return f"<span class='na-also'>{html.escape(labels['also_in'])}: {html.escape(', '.join(outlets))}</span>"


def _day_html(quote: Quote, labels: dict[str, str]) -> str:
    """The day the quoted sentence speaks about, beside its publication day, when the two differ."""
    if not quote.day or quote.day == (quote.published or "")[:10]:
        return ""
    day = " – ".join(_german_date(part) for part in quote.day.split("/"))
    return f"<span class='na-day'>{html.escape(labels['quote_speaks_of'].format(day=day))}</span>"


def _meta_html(source: str, published: str | None) -> str:
    parts = [f"<span class='na-source-name'>{html.escape(source)}</span>"] if source else []
    if published:
        parts.append(f"<span class='na-date'>{html.escape(_german_date(published))}</span>")
    return "".join(parts)


def _german_date(published: str) -> str:
    try:
        return date.fromisoformat(published[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return published


def notice_html(inner_html: str, css: str = "na-notice") -> str:
    return f"<div class='na-msg'><div class='{css}'>{inner_html}</div></div>"


def header_html() -> str:
    return (
        f"<div class='na-header'><div class='na-brand'>{phrase(FRAME, 'brand')}</div>"
        f"<div class='na-tagline'>{bilingual('tagline')}</div></div>"
    )


def placeholder_html() -> str:
    words = phrases_for(FRAME)
    return f"<div class='na-placeholder'><b>{words['ask_anything']}</b><br>{words['ask_how']}</div>"


# --------------------------------------------------------------------------- serving
