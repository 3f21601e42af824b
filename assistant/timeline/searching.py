"""The timeline's search for a question in another language than the articles it finds ("How did the Covid
outbreak at Tönnies develop?" over German news): the default hybrid search with weights of its own.

The answer weights for such a question lean on the best single sentence of a passage (they were fitted to find
one answering sentence); a timeline wants the passages of the story's many days. Weighing the passage's own
vector more (dense 0.55, keyword 0.15, sentence 0.30) put more of the story's days on the English questions'
timelines; the figures are in docs/time-and-timelines.md (round of 2026-12-07, evening). The question's language
is read from the whole question: what is searched ("Covid outbreak at Tönnies") is too short to tell.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.retrieval import LANGUAGE_SAMPLE, FusionWeights, HybridRetriever, hybrid_retriever
from assistant.answers import Passage
from assistant.indexing.records import Records
from assistant.language import cross_lingual
from assistant.protocols import KeywordSearch, VectorStore

TIMELINE_CROSS_LINGUAL = FusionWeights(dense=0.55, keyword=0.15, sentence=0.30)
"""Fusion weights of the timeline's search for a question in another language than the articles it finds."""


def asked_across_languages(question: str, passages: Sequence[Passage]) -> bool:
    """Whether most of the best passages are in another language than the whole question."""
    return cross_lingual(question, [p.text for p in passages[:LANGUAGE_SAMPLE]])


def timeline_retriever(store: VectorStore, keyword: KeywordSearch, records: Records) -> HybridRetriever:
    """The `RetrieverFactory` of a timeline asked across languages: the default one with `TIMELINE_CROSS_LINGUAL`
    for every candidate."""
    retriever = hybrid_retriever(store, keyword, records)
    retriever.weights = TIMELINE_CROSS_LINGUAL
    return retriever
