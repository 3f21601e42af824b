"""A timeline answer in the chat: a vertical timeline (each entry its day or span, the verbatim quote, outlet,
publication day and "auch in: …"), the day the chat took as "now" ("Stand: …"), and a small inline SVG of the
story's articles per day with the entries' days marked.

Every quote, title and outlet is escaped here (article text is data, never markup); each quote is
``article.text[start:end]`` as the `Timeline` holds it. Words come from `assistant.phrases` in the answer's
language.
"""

from __future__ import annotations

import datetime as dt
import html

from assistant.phrases import phrase
from assistant.timeline.model import Timeline, TimelineEntry

WIDTH, HEIGHT, TOP, BOTTOM = 560, 90, 14, 18
"""The picture's size in pixels: bars between `TOP` and ``HEIGHT - BOTTOM``, day labels below."""
MARK = "#d97706"
BAR = "#1f6feb"


def timeline_html(timeline: Timeline, language: str) -> str:
    """The timeline as HTML: "Stand", the picture, then the entries top to bottom in time order. The chat's
    sanitizer drops ``data-*`` attributes, so days and counts are the marks' and bars' ``<title>`` texts."""
    entries = "".join(_entry_html(entry, language) for entry in timeline.entries)
    as_of = html.escape(phrase(language, "timeline_as_of", day=timeline.as_of or "?"))
    return (
        f"<div class='na-timeline'><div class='na-tl-head'>{html.escape(phrase(language, 'timeline_intro'))} "
        f"<span class='na-tl-as-of'>{as_of}</span></div>"
        f"{per_day_svg(timeline, language)}<ol class='na-tl-entries'>{entries}</ol></div>"
    )


def _published_html(published: str | None, language: str) -> str:
    """ "veröffentlicht <time>…</time> · ", nothing for an undated article."""
    if not published:
        return ""
    said = html.escape(phrase(language, "timeline_published"))
    return f"{said} <time class='na-tl-published'>{html.escape(published)}</time> · "


def _entry_html(entry: TimelineEntry, language: str) -> str:
    quotes = "".join(
        f"<blockquote class='na-tl-quote'><q>{html.escape(q.text)}</q><span class='na-where'>"
        f"<span class='na-tl-source'>{html.escape(q.source or q.title or q.article_id)}</span> · "
        f"{_published_html(q.published, language)}"
        f"{html.escape(q.title or q.article_id)}</span></blockquote>"
        for q in entry.quotes
    )
    also = ""
    if entry.also_in:
        names = html.escape(", ".join(entry.also_in))
        also = f"<div class='na-tl-also'>{html.escape(phrase(language, 'also_in'))}: {names}</div>"
    return f"<li class='na-tl-entry'><time class='na-tl-day'>{html.escape(entry.day.shown())}</time>{quotes}{also}</li>"


def per_day_svg(timeline: Timeline, language: str) -> str:
    """Articles per publication day as bars, each entry's day (or span) marked above them; empty without days."""
    counts = {dt.date.fromisoformat(day): n for day, n in timeline.articles_per_day.items()}
    spans = [(entry.day.first, entry.day.last) for entry in timeline.entries]
    days = [*counts, *(d for span in spans for d in span)]
    if not days:
        return ""
    first, last = min(days), max(days)
    total = (last - first).days + 1
    step = WIDTH / total
    floor, most = HEIGHT - BOTTOM, max(counts.values(), default=1)

    def x(day: dt.date) -> float:
        return (day - first).days * step

    title = html.escape(phrase(language, "timeline_per_day"))
    parts = [
        f"<svg class='na-tl-chart' role='img' xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}'><title>{title}</title>"
        f"<line x1='0' y1='{floor}' x2='{WIDTH}' y2='{floor}' stroke='#bbb'/>"
    ]
    for (start, end), entry in zip(spans, timeline.entries, strict=True):
        wide = max(step * ((end - start).days + 1), 2.0)
        parts.append(
            f"<rect class='na-tl-mark' x='{x(start):.1f}' y='{TOP}' "
            f"width='{wide:.1f}' height='{floor - TOP}' fill='{MARK}' fill-opacity='0.25'>"
            f"<title>{html.escape(entry.day.shown())}</title></rect>"
            f"<circle cx='{x(start) + wide / 2:.1f}' cy='{TOP - 6}' r='4' fill='{MARK}'/>"
        )
    for day, n in sorted(counts.items()):
        tall = (floor - TOP) * n / most
        parts.append(
            f"<rect class='na-tl-bar' x='{x(day):.1f}' "
            f"y='{floor - tall:.1f}' width='{max(step - 1, 1.5):.1f}' height='{tall:.1f}' fill='{BAR}'>"
            f"<title>{day.isoformat()}: {n}</title></rect>"
        )
    for day, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f"<text x='{0 if anchor == 'start' else WIDTH}' y='{HEIGHT - 4}' font-size='10' "
            f"text-anchor='{anchor}'>{day.isoformat()}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
