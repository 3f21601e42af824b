"""The chat's "Geschichten" view: the current stories in a list (filtered by a window of publication days and by
outlets, as `assistant stories --since --until --source`), and one story's page (headline, first seen, last
update, outlets with counts and first report, the dated quotes, and a small picture of articles per day per
outlet as an inline SVG).

Every title, outlet, id and quote is escaped here (article text is data, never markup); the quotes are the
story's `DatedQuote`s, each ``article.text[start:end]`` as stored. Words come from `assistant.phrases` (German).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass

import gradio as gr

from assistant.core import Assistant
from assistant.errors import AssistantError, IndexNotFoundError, InvalidInputError
from assistant.phrases import phrase
from assistant.stories.views import StoryPage, StorySummary
from assistant.validation import check_sources, parse_day

log = logging.getLogger(__name__)

FRAME = "de"
MAX_LISTED = 60
"""The list shows the latest stories; older ones stay reachable through `assistant stories` and the API."""
MAX_DAYS = 31
"""The picture shows at most this many days (the story's latest); a longer story is cut at its start."""
CELL, LABEL_WIDTH, HEADER = 22, 150, 52
COLOURS = ("#1f6feb", "#d97706", "#16a34a", "#db2777", "#7c3aed", "#0891b2", "#b91c1c", "#4d7c0f")


def _t(key: str, **values: object) -> str:
    return html.escape(phrase(FRAME, key, **values))


def story_label(summary: StorySummary) -> str:
    """One line of the list: headline, days, how many articles, the first outlets (a radio label is plain text)."""
    days = summary.first_seen or "?"
    if summary.last_update and summary.last_update != summary.first_seen:
        days += f" – {summary.last_update}"
    count = phrase(FRAME, "story_count", n=len(summary.article_ids))
    names = ", ".join(o.source for o in summary.outlets[:3])
    more = f" +{len(summary.outlets) - 3}" if len(summary.outlets) > 3 else ""
    return f"{summary.title} · {days} · {count}: {names}{more}"


def notice(text: str, css: str = "na-story-empty") -> str:
    return f"<div class='{css}'>{html.escape(text)}</div>"


def story_html(page: StoryPage) -> str:
    """A story's page as HTML; every text from the articles escaped."""
    summary = page.summary
    rows = "".join(
        f"<tr><td class='na-outlet'>{html.escape(o.source)}</td><td>{o.articles}</td>"
        f"<td>{html.escape(o.first_report or '?')}</td></tr>"
        for o in summary.outlets
    )
    quotes = "".join(
        f"<li class='na-story-quote'><time>{html.escape(q.date.replace('/', ' – ') or '?')}</time> "
        f"<q>{html.escape(q.text)}</q> <span class='na-where'>{html.escape(q.source)} · "
        f"{html.escape(q.title or q.article_id)} · [{q.start}:{q.end}]</span></li>"
        for q in page.timeline
    )
    return (
        f"<article class='na-story' data-story-id='{html.escape(summary.id, quote=True)}'>"
        f"<h2 class='na-story-title'>{html.escape(summary.title)}</h2>"
        f"<p class='na-story-dates'>{_t('first_seen')}: <b>{html.escape(summary.first_seen or '?')}</b> · "
        f"{_t('last_update')}: <b>{html.escape(summary.last_update or '?')}</b> · "
        f"{_t('story_count', n=len(summary.article_ids))}</p>"
        f"<h3>{_t('outlets')}</h3><table class='na-story-outlets'><thead><tr><th>{_t('outlet')}</th>"
        f"<th>{_t('articles')}</th><th>{_t('first_report')}</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h3>{_t('per_day')}</h3>{per_day_svg(page.per_day)}"
        f"<h3>{_t('timeline')}</h3><ol class='na-story-timeline'>{quotes}</ol></article>"
    )


def _days(per_day: list[tuple[str, str, int]]) -> list[str]:
    """Every day from the story's first to its last (quiet days too), at most the latest `MAX_DAYS`."""
    dated = sorted({day for day, _, _ in per_day if day})
    if not dated:
        return []
    first, last = dt.date.fromisoformat(dated[0]), dt.date.fromisoformat(dated[-1])
    count = min((last - first).days + 1, MAX_DAYS)
    return [(last - dt.timedelta(days=back)).isoformat() for back in range(count - 1, -1, -1)]


def per_day_svg(per_day: list[tuple[str, str, int]]) -> str:
    """Articles per day per outlet: a row per outlet, a column per day, a dot sized and numbered by the count."""
    days = _days(per_day)
    outlets = list(dict.fromkeys(source for _, source, _ in sorted(per_day, key=lambda e: (e[0], e[1]))))
    if not days or not outlets:
        return ""
    counts = {(day, source): n for day, source, n in per_day}
    most = max(counts.values())
    width, height = LABEL_WIDTH + CELL * len(days) + 40, HEADER + CELL * len(outlets) + 4
    parts = [
        f"<svg class='na-story-chart' role='img' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}'><title>{_t('per_day')}</title>"
    ]
    for column, day in enumerate(days):
        x = LABEL_WIDTH + CELL * column + CELL / 2
        if column == 0 or day[8:] == "01" or column == len(days) - 1 or len(days) <= 10:
            label = f"{day[8:10]}.{day[5:7]}."
            parts.append(
                f"<text x='{x - 3}' y='{HEADER - 8}' font-size='9' text-anchor='start' "
                f"transform='rotate(-45 {x - 3} {HEADER - 8})'>{label}</text>"
            )
    for row, source in enumerate(outlets):
        y = HEADER + CELL * row + CELL / 2
        colour = COLOURS[row % len(COLOURS)]
        name = html.escape(source if len(source) <= 22 else source[:21] + "…")
        parts.append(f"<text x='{LABEL_WIDTH - 6}' y='{y + 4}' font-size='11' text-anchor='end'>{name}</text>")
        parts.append(
            f"<line x1='{LABEL_WIDTH}' y1='{y}' x2='{LABEL_WIDTH + CELL * len(days)}' y2='{y}' stroke='#ddd'/>"
        )
        for column, day in enumerate(days):
            n = counts.get((day, source), 0)
            if not n:
                continue
            x = LABEL_WIDTH + CELL * column + CELL / 2
            radius = 4 + 5 * (n / most)
            tip = html.escape(f"{source}, {day}: {phrase(FRAME, 'story_count', n=n)}")
            parts.append(
                f"<g class='na-story-dot' data-day='{day}' data-outlet='{html.escape(source, quote=True)}' "
                f"data-articles='{n}'><title>{tip}</title>"
                f"<circle cx='{x}' cy='{y}' r='{radius:.1f}' fill='{colour}'/>"
                f"<text x='{x}' y='{y + 3.5}' font-size='9' fill='#fff' text-anchor='middle'>{n}</text></g>"
            )
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class StoryControls:
    """The list's filter (a window of publication days and outlets, as `assistant stories --since --until
    --source`), the list and the page: what a refresh reads and writes."""

    since: gr.Textbox
    until: gr.Textbox
    outlets: gr.Dropdown
    listed: gr.Radio
    shown: gr.HTML

    def inputs(self) -> list[gr.components.Component]:
        return [self.since, self.until, self.outlets]

    def outputs(self) -> list[gr.components.Component]:
        return [self.listed, self.shown, self.outlets]


class StoryView:
    """The handlers of the view over one `Assistant` (each call reads the story book as it is now)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def refresh(
        self, since: str | None = None, until: str | None = None, outlets: list[str] | None = None
    ) -> tuple[dict[str, object], str, dict[str, object]]:
        """The latest stories with an article published in [since, until] (typed days, empty: open) from one of
        `outlets` (none: all), for the radio list; the page's hint (how many, or why there are none); and the
        outlets to choose from as the archive has them now."""
        filtered = bool((since or "").strip() or (until or "").strip() or outlets)
        try:
            day_from = parse_day(since, phrase(FRAME, "stories_since"))
            day_to = parse_day(until, phrase(FRAME, "stories_until"))
            if day_from and day_to and day_from > day_to:
                raise InvalidInputError(phrase(FRAME, "stories_empty_window", since=day_from, until=day_to))
            chosen = list(check_sources(outlets)) or None
        except InvalidInputError as error:
            return gr.update(choices=[], value=None), notice(str(error), css="na-error"), gr.update()
        try:
            found = self.assistant.stories(since=day_from, until=day_to, sources=chosen)
            sources = self.assistant.sources()
        except IndexNotFoundError:
            found, sources = [], []
        except AssistantError as error:
            log.warning("stories could not be listed: %s", error)
            found, sources = [], []
        stories = found[:MAX_LISTED]
        if not stories:
            hint = notice(phrase(FRAME, "stories_none_filtered" if filtered else "stories_none"))
        elif filtered:
            key = "stories_found_more" if len(found) > len(stories) else "stories_found"
            hint = notice(phrase(FRAME, key, n=len(found), shown=len(stories)), css="na-story-found")
        else:
            hint = notice(phrase(FRAME, "story_choose"))
        choices = [(story_label(s), s.id) for s in stories]
        kept = [o for o in outlets or [] if o in sources]
        return gr.update(choices=choices, value=None), hint, gr.update(choices=sources, value=kept)

    def show(self, story_id: str | None) -> str:
        """The chosen story's page (or a hint when none is chosen, or why it cannot be shown)."""
        if not story_id:
            return notice(phrase(FRAME, "story_choose"))
        try:
            return story_html(self.assistant.story(story_id))
        except AssistantError as error:
            return notice(f"{phrase(FRAME, 'problem')}: {error}", css="na-error")


def build_story_view(assistant: Assistant) -> tuple[StoryControls, StoryView]:
    """The view's parts (to be placed in a tab): the filter above, the list left, the page right; the caller
    refreshes the list (`StoryView.refresh` with `StoryControls.inputs`/`outputs`) when the tab is opened, as
    stories change with every indexed article. Filtering reads the list again."""
    view = StoryView(assistant)
    with gr.Row(equal_height=True, elem_id="na-stories-filter"):
        since = gr.Textbox(label=phrase(FRAME, "stories_since"), placeholder="2024-03-01", elem_id="na-stories-since")
        until = gr.Textbox(label=phrase(FRAME, "stories_until"), placeholder="31.3.2024", elem_id="na-stories-until")
        outlets = gr.Dropdown(
            choices=[], value=[], multiselect=True, label=phrase(FRAME, "stories_outlets"),
            elem_id="na-stories-outlets", scale=2,
        )  # fmt: skip
        apply = gr.Button(phrase(FRAME, "stories_filter"), elem_id="na-stories-apply", scale=0, min_width=120)
    with gr.Row(equal_height=False, elem_id="na-stories"):
        with gr.Column(scale=1, min_width=300):
            listed = gr.Radio(choices=[], label=phrase(FRAME, "stories_pick"), elem_id="na-story-list")
        with gr.Column(scale=3, min_width=420):
            shown = gr.HTML(notice(phrase(FRAME, "story_choose")), elem_id="na-story-page", js_on_load=None)
    controls = StoryControls(since, until, outlets, listed, shown)
    listed.change(view.show, listed, shown, api_visibility="private", queue=False)
    for event in (apply.click, since.submit, until.submit):
        event(view.refresh, controls.inputs(), controls.outputs(), api_visibility="private", queue=False)
    return controls, view
