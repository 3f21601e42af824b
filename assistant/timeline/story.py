"""A story's timeline: the timeline builder run on every sentence of the story's articles, with the story's headline
in the place of a question, so a story page shows the days its articles tell of, not only the days they appeared.
(The headline picks sentences that report, "1.050 Mitarbeiter getestet"; the centre of the story's sentences picks
the bland ones every article repeats.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.articles import Article
from assistant.indexing.records import Records
from assistant.timeline.building import MAX_ENTRIES, build_timeline
from assistant.timeline.model import TimelineEntry


def story_timeline(
    records: Records, articles: Sequence[Article], headline_vector: np.ndarray, max_entries: int = MAX_ENTRIES
) -> list[TimelineEntry]:
    """The story's events in time order (at most `max_entries`), each a verbatim sentence with its offsets;
    `headline_vector` is the story's headline embedded as a query."""
    passages = [passage for article in articles for passage in records.passages_of(article)]
    sentences = records.sentences_of(p.chunk_id for p in passages)
    return build_timeline(passages, sentences, headline_vector, max_entries=max_entries).entries
