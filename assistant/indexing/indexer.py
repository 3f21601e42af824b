"""Incremental, idempotent, crash-safe indexing: articles in, chunk vectors and records out.

For each article its content hash (`indexed_hash`) decides: same hash, nothing; new hash, its chunks are replaced; gone
from a folder being synced, its chunks are deleted. Chunks whose text did not change keep their vectors
(nothing is embedded twice). The write order (records pending -> vector store -> records commit -> old
vectors deleted) means a run killed at any point is repaired by the next one (`recover`, in the writer's turn:
`writer.IndexWriter`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.articles import Article, Refusal
from assistant.chunking import Span, joins_wrapped_lines, split_sentences
from assistant.dates import day_number
from assistant.indexing.migrations import sentence_days
from assistant.indexing.progress import ProgressCallback
from assistant.indexing.records import ChunkRecord, Records, SentenceRecord
from assistant.indexing.shared_store import StoreAccess
from assistant.indexing.store import StoredChunk
from assistant.ingest.files import article_id_for
from assistant.ingest.loading import FileFields, load_paths
from assistant.language import article_language
from assistant.protocols import ArticleLoader, KeywordIndexer, PassageEmbedder, VectorStore

ArticleStream = Callable[..., Iterable[Article | Refusal | FileFields]]
"""`assistant.ingest.loading.iter_paths`: articles, refusals and each record file's fields as they are read,
so a record file of any size is indexed a group at a time (called like an `ArticleLoader`)."""


log = logging.getLogger(__name__)

KEYWORD_EVERY = 30.0
"""Seconds between keyword-index updates during a long run (new articles get BM25 scores while it runs)."""


@dataclass
class IndexReport:
    """What one indexing run did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    chunks_embedded: int = 0
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    """For each record file: article field -> the record field it was read from (`LoadResult.fields`)."""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def counts(self) -> dict[str, int]:
        """How many articles each outcome had (the eval report's index counts)."""
        outcomes = {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted}
        return {**{name: len(paths) for name, paths in outcomes.items()}, "refused": len(self.refused)}

    def to_dict(self) -> dict[str, object]:
        """The CLI's ``--json`` shape: counts, each refusal with its path and reason, and (when record files
        were read) the fields each was read with."""
        shape: dict[str, object] = {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "refused": [{"path": r.path, "reason": r.reason} for r in self.refused],
        }
        if self.fields:
            shape["fields"] = self.fields
        return shape


WRAPPED_SENTENCES = "wrapped-sentences-1"
"""What marks the hash of an article with hard-wrapped sentences (see `indexed_hash`)."""


def indexed_hash(article: Article) -> str:
    """The article's content hash, marked when a sentence of its text runs over a line break: an index made
    before such sentences were kept whole (2026-12-07) split them at every line, so there the article counts as
    changed once, and its chunks and sentences whose text did not change keep their vectors. Other articles keep
    their hash: nothing else is indexed again."""
    if not joins_wrapped_lines(article.text):
        return article.content_hash
    return hashlib.sha256(f"{article.content_hash}:{WRAPPED_SENTENCES}".encode()).hexdigest()


@dataclass
class _Plan:
    """What indexing one new or changed article will write."""

    article: Article
    content_hash: str
    previous: str | None
    chunks: list[ChunkRecord]
    stored: list[StoredChunk]
    sentences: list[tuple[str, Span]]  # (chunk id, article span)
    known: dict[str, np.ndarray]  # text -> vector, reused or freshly embedded

    def texts(self) -> list[str]:
        return [c.text for c in self.stored] + [span.of(self.article.text) for _, span in self.sentences]


class StoryHook(Protocol):
    """Told about committed and deleted articles, so each belongs to a story (`assistant.stories.assigning`)."""

    def assign(self, articles: list[tuple[Article, np.ndarray]], store: VectorStore) -> None: ...

    def removed(self, article_ids: list[str]) -> None: ...

    def catch_up(self, records: Records, access: StoreAccess) -> int: ...


def _groups(articles: Iterable[Article], max_chars: int) -> Iterator[list[Article]]:
    """Consecutive articles in groups of about `max_chars` of text, so embedding runs in large batches."""
    group: list[Article] = []
    size = 0
    for article in articles:
        group.append(article)
        size += len(article.text)
        if size >= max_chars:
            yield group
            group, size = [], 0
    if group:
        yield group


class Indexer:
    """Keeps the vector store (and an optional keyword index) in step with the indexing record.

    The store is changed only inside `store.writing()` sections, one per batch of articles, so questions in
    other threads and processes wait for one batch's write at most, never for embedding."""

    def __init__(
        self,
        records: Records,
        store: StoreAccess,
        embedder: PassageEmbedder,
        *,
        chunker: Callable[[str], list[Span]],
        id_base: Path,
        max_file_bytes: int,
        keyword_index: KeywordIndexer | None = None,
        loader: ArticleLoader = load_paths,
        stream: ArticleStream | None = None,
        sentence_splitter: Callable[[str, int, int], list[Span]] = split_sentences,
        group_chars: int = 30_000,
        max_chunks: int = 200,
        allow_id_takeover: bool = False,
        stories: StoryHook | None = None,
    ) -> None:
        self.stories = stories
        self.group_chars = group_chars
        self.max_chunks = max_chunks
        self.allow_id_takeover = allow_id_takeover
        self.sentence_splitter = sentence_splitter
        self.records = records
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.id_base = id_base
        self.max_file_bytes = max_file_bytes
        self.keyword_index = keyword_index
        self.loader = loader
        self.stream = stream  # when given, files are read through it instead of `loader`

    def index(
        self,
        items: Iterable[str | Path | Article],
        *,
        sync: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index files, folders and `Article` objects; with `sync`, drop articles gone from the paths. Called in the
        writer's turn (`IndexWriter.index`), which does the bookkeeping before and after."""
        items = list(items)
        paths = [Path(item) for item in items if not isinstance(item, Article)]
        given = [item for item in items if isinstance(item, Article)]
        report = IndexReport()
        read = _Reading()
        done, rebuilt = 0, time.monotonic()
        for group in _groups(self._articles(paths, given, report, read), self.group_chars):
            self._index_group(group, report)
            done += len(group)
            if progress:
                progress(done, read.expected or read.total, group[-1].id)
            if self.keyword_index is not None and report.changed and time.monotonic() - rebuilt > KEYWORD_EVERY:
                self.keyword_index.update(self.records)  # new articles get keyword scores during long runs
                rebuilt = time.monotonic()
        if sync:
            self._sync(paths, read.ids | read.refused_files, report)
        return report

    def _articles(
        self, paths: list[Path], given: list[Article], report: IndexReport, read: _Reading
    ) -> Iterator[Article]:
        """The articles of the files, then those given as objects (a duplicate id among them refused): read
        lazily through `stream` when there is one, so only a group of articles is in memory at a time.
        Loading refusals and fields go into `report` as they come; `read` counts and keeps ids for `sync`."""
        for entry in self._entries(paths, len(given), read):
            if isinstance(entry, FileFields):
                report.fields[entry.path] = entry.fields
            elif isinstance(entry, Refusal):
                report.refused.append(entry)
                read.refused_files.add(entry.path.split("#", 1)[0])
            else:
                read.add(entry)
                yield entry
        for article in given:
            if article.id in read.ids:
                report.refused.append(Refusal(article.id, f"duplicate id {article.id!r} in this batch"))
                continue
            read.add(article)
            yield article

    def _entries(self, paths: list[Path], given: int, read: _Reading) -> Iterator[Article | Refusal | FileFields]:
        if not paths:
            read.expected = given
            return
        if self.stream is not None:
            yield from self.stream(paths, id_base=self.id_base, max_bytes=self.max_file_bytes)
            return
        loaded = self.loader(paths, id_base=self.id_base, max_bytes=self.max_file_bytes)
        read.expected = len(loaded.articles) + given  # a loader reads everything first: the total is known
        yield from loaded.refusals
        yield from (FileFields(path, fields) for path, fields in loaded.fields.items())
        yield from loaded.articles

    def _index_group(self, group: list[Article], report: IndexReport) -> None:
        """Plan a group of articles, embed what is new in one batch (3x faster than per article), write each."""
        plans = []
        for article in group:
            outcome = self._consider(article)
            if isinstance(outcome, Refusal):
                report.refused.append(outcome)
            elif outcome is None:
                report.unchanged.append(article.id)
            else:
                plans.append(outcome)
        missing = sorted({text for plan in plans for text in plan.texts() if text not in plan.known})
        fresh = dict(zip(missing, self.embedder.embed_passages_array(missing), strict=True)) if missing else {}
        if not plans:
            return
        with self.store.writing() as store:
            for plan in plans:
                plan.known.update(fresh)
                report.chunks_embedded += sum(1 for c in plan.stored if c.text in fresh)
            self._write(plans, store)
            for plan in plans:
                (report.added if plan.previous is None else report.updated).append(plan.article.id)

    def _consider(self, article: Article) -> _Plan | Refusal | None:
        """The plan for a new or changed article, None when unchanged, or why it cannot be indexed.

        Bad data becomes a refusal here, so one article never stops the batch.
        """
        try:
            if reason := self._takeover(article):
                return _refusal(article, reason)
            content_hash = indexed_hash(article)
            previous = self.records.content_hash(article.id)
            if previous == content_hash:
                return None
            spans = self.chunker(article.text)
            if reason := self._too_many(spans):
                return _refusal(article, reason)
            return self._plan(article, spans, content_hash, previous)
        except (ValueError, UnicodeError) as error:
            return _refusal(article, f"cannot be indexed: {error}")

    def _takeover(self, article: Article) -> str | None:
        """Why a file may not use this id: it belongs to an article read from another file that still exists.

        An id in front matter or JSON must not silently replace someone else's article (an upload saying
        ``id: <another article's id>``). The same file again is an update; a file that moved may keep its id.
        """
        owner = self.records.path_of(article.id)
        if self.allow_id_takeover or not article.path or owner is None or owner == article.path:
            return None
        if owner and not _exists(self.id_base / owner):
            return None
        where = f"from {owner}" if owner else "without a file (from Python or a URL)"
        return (
            f"the id {article.id!r} belongs to the article indexed {where}; not replaced "
            "(ASSISTANT_ALLOW_ID_TAKEOVER=true allows it)"
        )

    def _too_many(self, spans: list[Span]) -> str | None:
        if not spans:
            return "no text to index"
        if len(spans) <= self.max_chunks:
            return None
        return (
            f"too long: {len(spans):,} chunks, above the limit of {self.max_chunks:,} per article "
            "(ASSISTANT_MAX_CHUNKS_PER_ARTICLE); split it into articles or raise the limit"
        )

    def _plan(self, article: Article, spans: list[Span], content_hash: str, previous: str | None) -> _Plan:
        """Chunks and sentences of a new or changed article, with the vectors its old version can lend."""
        chunks = [
            ChunkRecord(f"{article.id}#{content_hash[:12]}-{n}", article.id, n, s.start, s.end)
            for n, s in enumerate(spans)
        ]
        language = article_language(article.text)
        stored = [
            StoredChunk(c.id, article.text[c.start : c.end], chunk_metadata(article, c, language)) for c in chunks
        ]
        sentences = [(c.id, span) for c in chunks for span in self.sentence_splitter(article.text, c.start, c.end)]
        old_ids = [c.id for c in self.records.chunks_of(article.id)]
        if old_ids:
            with self.store.reading() as store:
                known = store.vectors_by_text(old_ids)
        else:
            known = {}
        old_article = self.records.article(article.id) if old_ids else None
        for old in self.records.sentences_of(old_ids).values():  # offsets into the old version's text
            known.update((old_article.text[s.start : s.end], s.vector) for s in old if old_article)
        return _Plan(article, content_hash, previous, chunks, stored, sentences, known)

    def _write(self, plans: list[_Plan], store: VectorStore) -> None:
        """Pending ids, then the group's vectors in one store call (a store write costs about the same for one
        article or ten), then each article's record in one transaction, then the old vectors go."""
        self.records.mark_pending([c.id for plan in plans for c in plan.chunks])
        stored = [c for plan in plans for c in plan.stored]
        store.upsert(stored, np.stack([plan.known[c.text] for plan in plans for c in plan.stored]).astype(np.float32))
        replaced: list[str] = []
        for plan in plans:
            text = plan.article.text
            sentences = [
                SentenceRecord(
                    cid, sp.start, sp.end, plan.known[sp.of(text)], sentence_days(plan.article, sp.start, sp.end)
                )
                for cid, sp in plan.sentences
            ]
            replaced += self.records.commit_article(plan.article, plan.content_hash, plan.chunks, sentences)
        store.delete(replaced)
        self.records.clear_pending(replaced)
        if self.stories is not None:  # after the commits: a crash before this is repaired by the next catch-up
            self.stories.assign([(plan.article, plan.known[plan.stored[0].text]) for plan in plans], store)

    def _sync(self, paths: list[Path], keep: set[str], report: IndexReport) -> None:
        """Delete articles recorded under the given paths that this run did not see (`keep`: the ids read and
        the files of refused ones, which stay)."""
        for path in paths:
            scope = article_id_for(path, self.id_base)
            for article_id, article_path in self.records.articles_under(scope):
                if article_id in keep or article_path in keep:
                    continue
                self.delete(article_id)
                report.deleted.append(article_id)

    def delete(self, article_id: str) -> None:
        delete_article(self.records, self.store, article_id, self.stories)


@dataclass
class _Reading:
    """What one run has read so far: how many articles (and how many in all, when known before), the ids and
    the files of refusals (`sync` keeps both)."""

    total: int = 0
    expected: int = 0
    ids: set[str] = field(default_factory=set)
    refused_files: set[str] = field(default_factory=set)

    def add(self, article: Article) -> None:
        self.total += 1
        self.ids.add(article.id)


def recover(records: Records, store: StoreAccess) -> int:
    """Delete the vectors a killed writer left behind (pending and not current), by the writer's turn only;
    return how many. The embedding model is not needed (`Assistant` runs it as soon as it opens the index)."""
    pending = records.pending()
    if not pending:
        return 0
    stale = sorted(pending - records.all_chunk_ids())
    with store.writing() as writing:
        writing.delete(stale)
        records.clear_pending(pending)
    return len(stale)


def delete_article(records: Records, store: StoreAccess, article_id: str, stories: StoryHook | None = None) -> None:
    """Remove one article and its vectors (crash-safe like every other step), by the writer's turn only."""
    with store.writing() as writing:
        old = records.remove_article(article_id)
        writing.delete(old)
        records.clear_pending(old)
    if stories is not None:
        stories.removed([article_id])


def _refusal(article: Article, reason: str) -> Refusal:
    """A refusal placed at the article's file (naming the id when the file holds several), else its id."""
    if not article.path:
        return Refusal(article.id, reason)
    return Refusal(article.path, reason if article.id == article.path else f"article {article.id!r}: {reason}")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return True  # cannot tell: treat the other file as still there


def chunk_metadata(article: Article, chunk: ChunkRecord, language: str) -> dict[str, str | int]:
    """What the vector store keeps beside each vector: enough to show and filter a passage, and the article's
    language (retrieval searches each language on its own)."""
    metadata: dict[str, str | int] = {
        "article_id": article.id,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published": article.published or "",
        "language": language,
    }
    day = day_number(article.published)
    if day is not None:
        metadata["published_day"] = day  # an int, so date ranges filter inside the store
    return metadata
