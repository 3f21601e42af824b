"""Timelines with the question's story: does widening the candidate pool with the articles of the stories the
retrieved passages belong to (stories are assigned at indexing, `assistant.stories`) find more gold days?

For each question of ../shared/data/fang-covid/timelines.json the 200 best passages are retrieved (the timeline's
pool; `Assistant.retrieve`, which also folds syndicated copies), the stories of the passages vote (1 / (rank + 1),
as `Assistant.compare` picks its story), and every passage of the best stories' articles is added with its stored,
dated sentences. Each variant is built by the timeline's own builder (`build_timeline`) and scored as
`assistant eval-timeline` scores (date F1 within one day, evidence recall) on the tuning part (German: Tönnies,
Warn-App, Moria), the German part kept aside (Heinsberg, Wirecard) and the English questions. A coverage line
says for how many gold events some sentence within one day of the gold day is on the timeline, among the
retrieved passages, among the best stories' articles, and only there. (`retrieve` folds syndicated copies, which
the timeline's own search keeps, so "as shipped" here is a little below `assistant eval-timeline`'s figure.)

Run: python bench/bench_timeline_story.py --index-dir INDEX   (an index of all FANG-COVID articles, with stories)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answers import Passage
from assistant.dates import DaySpan
from assistant.indexing.records import Records, SentenceRecord
from assistant.timeline.building import build_timeline
from assistant.timeline.evaluation import GoldEvent, load_topics, match_days
from assistant.timeline.model import TimelineEntry
from assistant.timeline.questions import question_time, topic_of

REPO = Path(__file__).resolve().parents[1]
TIMELINES = REPO.parent / "shared" / "data" / "fang-covid" / "timelines.json"
TUNE = {("toennies", "de"), ("warnapp", "de"), ("moria", "de")}
HELD_DE = {("heinsberg", "de"), ("wirecard", "de")}
PASSAGES = 200
"""What the timeline retrieves (`assistant.core.TIMELINE_PASSAGES`)."""
STORIES = 3

Sentences = dict[str, list[SentenceRecord]]


@dataclass
class Case:
    events: list[GoldEvent]
    query: np.ndarray
    passages: list[Passage]
    sentences: Sentences
    stories: list[tuple[list[Passage], Sentences]]  # best stories first


def story_passages(records: Records, article_ids: Iterable[str]) -> list[Passage]:
    """Every chunk of the articles, as passages."""
    passages = []
    for article_id in article_ids:
        article = records.article(article_id)
        if article is None:
            continue
        for chunk in records.chunks_of(article.id):
            text = article.text[chunk.start : chunk.end]
            passages.append(
                Passage(
                    article.id, article.title, text, chunk.start, chunk.end, 0.0, article.source, article.published,
                    article.url, chunk.id,
                )
            )  # fmt: skip
    return passages


def collect(assistant: Assistant) -> dict[tuple[str, str], Case]:
    story_of = {article_id: story.id for story in assistant.stories() for article_id in story.article_ids}
    members: dict[str, list[str]] = defaultdict(list)
    for article_id, story in story_of.items():
        members[story].append(article_id)
    records = assistant.records()
    cases = {}
    for topic in load_topics(TIMELINES):
        for lang, question in topic.questions.items():
            searched = topic_of(question_time(question, dt.date.today()).searched)
            query = assistant.embeddings.embed_query_array(searched)
            passages = assistant.retrieve(searched, PASSAGES)
            votes: dict[str, float] = defaultdict(float)
            for rank, passage in enumerate(passages):
                if (voted := story_of.get(passage.article_id)) is not None:
                    votes[voted] += 1.0 / (rank + 1)
            stories = []
            for story_id in sorted(votes, key=lambda s: (-votes[s], s))[:STORIES]:
                found = story_passages(records, members[story_id])
                stories.append((found, records.sentences_of(p.chunk_id for p in found)))
            sizes = [len({p.article_id for p in s[0]}) for s in stories]
            print(f"{topic.name} {lang}: articles of the {len(stories)} best stories {sizes}")
            sentences = records.sentences_of(p.chunk_id for p in passages)
            cases[(topic.name, lang)] = Case(topic.events, query, passages, sentences, stories)
    return cases


def widened(case: Case, count: int) -> tuple[list[Passage], Sentences]:
    """The retrieved passages plus every passage of the `count` best stories."""
    passages, sentences = list(case.passages), dict(case.sentences)
    for found, found_sentences in case.stories[:count]:
        passages += found
        sentences.update(found_sentences)
    return passages, sentences


def timeline_counts(entries: list[TimelineEntry], events: list[GoldEvent]) -> tuple[int, int, int, int]:
    """(matched, days shown, gold events, evidenced) of a timeline, counted as `eval-timeline` counts them (here an
    article's id is its url)."""
    days = [e.day.first for e in entries if e.day.is_day]
    quotes = [q for e in entries for q in e.quotes]
    ids, published = {q.article_id for q in quotes}, {(q.published or "")[:10] for q in quotes}
    matched = len(match_days(days, [e.day for e in events]))
    evidenced = sum(1 for e in events if e.urls & ids or e.day.isoformat() in published)
    return matched, len(days), len(events), evidenced


def report(cases: dict[tuple[str, str], Case], name: str, count: int) -> None:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, case in cases.items():
        entries = build_timeline(*widened(case, count), case.query).entries
        part = "tuning" if key in TUNE else "kept aside de" if key in HELD_DE else "en"
        for group in (part, "all"):
            for n, value in enumerate(timeline_counts(entries, case.events)):
                totals[group][n] += value
    cells = []
    for group in ("tuning", "kept aside de", "en", "all"):
        matched, shown, events, evidenced = totals[group]
        precision, recall = matched / (shown or 1), matched / events
        f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
        cells.append(f"{group} F1 {f1:.3f} evid. {evidenced / events:.2f}")
    print(f"{name:24s} " + " | ".join(cells))


def days_of(passages: list[Passage], sentences: Sentences) -> set[dt.date]:
    """The single days the passages' sentences speak about."""
    days = set()
    for passage in passages:
        for record in sentences.get(passage.chunk_id, ()):
            if record.day is not None and record.day[0] == record.day[1]:
                days.add(DaySpan.from_numbers(*record.day).first)
    return days


def coverage(cases: dict[tuple[str, str], Case]) -> None:
    def near(days: Iterable[dt.date], day: dt.date) -> bool:
        return any(abs((d - day).days) <= 1 for d in days)

    counts: dict[str, int] = defaultdict(int)
    for case in cases.values():
        retrieved = days_of(case.passages, case.sentences)
        story = set().union(*(days_of(p, s) for p, s in case.stories))
        chosen = [e.day.first for e in build_timeline(case.passages, case.sentences, case.query).entries]
        for event in case.events:
            counts["events"] += 1
            counts["on the timeline"] += near(chosen, event.day)
            counts["retrieved"] += near(retrieved, event.day)
            counts[f"{STORIES} best stories"] += near(story, event.day)
            counts["stories only"] += near(story, event.day) and not near(retrieved, event.day)
    print("gold events with a sentence within one day:", dict(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    args = parser.parse_args()
    cases = collect(Assistant(Settings(index_dir=args.index_dir, max_top_k=PASSAGES)))
    coverage(cases)
    report(cases, "builder as shipped", 0)
    for count in range(1, STORIES + 1):
        report(cases, f"pool + {count} best stories", count)


if __name__ == "__main__":
    main()
