"""What the extractive answerer reads from the index besides its passages: each passage's sentences with the
vectors computed at indexing time (of the asked window), an article's lead, and the index's size.

A seam of its own so the answerer reads the record directly: before, these were closures lent by the façade, and
every question called back into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.asked_window import asking_window, sentences_in_window
from assistant.answers import Passage
from assistant.chunking import Span
from assistant.indexing.keyword_index import KeywordIndex
from assistant.indexing.records import Records


@dataclass
class StoredSentences:
    """The record's sentences for the answerer; `records` is set by whoever opens the record (the façade, once)."""

    keyword_index: KeywordIndex
    records: Records | None = None

    def sentences_of(self, passages: Sequence[Passage]) -> dict[str, list[tuple[Span, np.ndarray]]]:
        """Sentence spans and vectors precomputed at index time for the given passages (of the asked window only,
        when the question names one and a passage has sentences in it)."""
        if self.records is None:
            return {}
        found = self.records.sentences_of(p.chunk_id for p in passages)
        return {
            cid: [(Span(s.start, s.end), s.vector) for s in sentences_in_window(sentences)]
            for cid, sentences in found.items()
        }

    def lead_passage(self, article_id: str) -> Passage | None:
        """An article's lead, for overview questions; none while a question names its days (the lead tells the
        article's own day, not necessarily one of those)."""
        if self.records is None or asking_window() is not None:
            return None
        return self.records.lead_passage(article_id)

    def index_size(self) -> int:
        """The number of chunks in the index (the answerer's idf needs it)."""
        return self.keyword_index.chunk_count
