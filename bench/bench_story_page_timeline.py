"""A story page's timeline against the gold timelines, beside the stand-in it replaced, in one run.

For each topic of ``timelines.json`` the story holding most of its gold evidence articles is taken (the page a
reader would open), and its timeline is scored as `assistant eval-timeline` scores timelines (date precision,
recall and F1 within a day, evidence recall, verbatim quotes): the page as `Assistant.story` builds it (the
timeline stage, the story's headline as the question) and the stand-in (the lead sentence of each publication
day, first `--max-entries` days).

    python bench/bench_story_page_timeline.py --index-dir INDEX [--timelines ../shared/data/fang-covid/timelines.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path

from assistant import Assistant, Settings
from assistant.stories.timeline import DatedQuote, dated_quotes
from assistant.timeline.building import MAX_ENTRIES
from assistant.timeline.evaluation import Predicted, Score, load_topics, score

HERE = Path(__file__).resolve().parent
TIMELINES = HERE.parent.parent / "shared" / "data" / "fang-covid" / "timelines.json"


def predicted(assistant: Assistant, quotes: list[DatedQuote], seconds: float) -> Predicted:
    days = [dt.date.fromisoformat(q.date[:10]) for q in quotes if "/" not in q.date]
    quoted = []
    verbatim = 0
    for q in quotes:
        article = assistant.article(q.article_id)
        quoted.append((article.url or article.id, article.published))
        verbatim += article.text[q.start : q.end] == q.text
    return Predicted(days, quoted, verbatim, len(quotes), seconds, len({q.source for q in quotes}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--timelines", default=str(TIMELINES))
    parser.add_argument("--max-entries", type=int, default=MAX_ENTRIES)
    args = parser.parse_args()
    assistant = Assistant(Settings(index_dir=args.index_dir))
    records = assistant.records()
    stories = assistant.stories()
    story_of = {article_id: story.id for story in stories for article_id in story.article_ids}
    by_url = {head.url: head.id for head in records.heads(list(story_of)).values() if head.url}
    totals = {"page": Score(), "stand-in": Score()}
    for topic in load_topics(args.timelines):
        votes = Counter(
            story_of[by_url[url]] for event in topic.events for url in event.urls if by_url.get(url) in story_of
        )
        if not votes:
            print(f"{topic.name}: no story holds its evidence")
            continue
        story_id = votes.most_common(1)[0][0]
        started = time.perf_counter()
        page = assistant.story(story_id)
        seconds = time.perf_counter() - started
        rows = {
            "page": predicted(assistant, page.timeline, seconds),
            "stand-in": predicted(assistant, dated_quotes(page.articles)[: args.max_entries], 0.0),
        }
        line = [f"{topic.name} ({len(page.articles)} articles)"]
        for name, row in rows.items():
            scored = score(row, topic.events)
            totals[name].add(scored)
            figures = scored.to_dict()
            line.append(f"{name}: F1 {figures['date_f1']:.2f} evidence {figures['evidence_recall']:.2f}")
        print(" | ".join(line) + f" | page {seconds:.2f} s")
    print(json.dumps({name: total.to_dict() for name, total in totals.items()}, indent=2))
    assistant.close()


if __name__ == "__main__":
    main()
