"""The keyword side of retrieval: BM25 over German-stemmed chunk text, kept in step with the record.

Dense e5 vectors miss exact names, numbers and rare words that BM25 catches; fused, the two beat either.

The index grows like the archive changes, not like the archive: it is a list of immutable *segments*
(postings of some chunks, memory-mapped), each with a list of its deleted chunks. A change adds one
segment for the chunks added and marks the removed ones deleted in the segments that hold them; segments of
similar size are merged now and then (tiered, like Lucene's), which drops deleted chunks. BM25's statistics
(number of chunks, average length, document frequencies) are summed over the live chunks of all segments
when a question is scored, so scores equal a from-scratch BM25 (Lucene variant, k1 1.5, b 0.75, as bm25s).

What changed is read from the record's keyword log (written in the same transaction as the change), so a
writer killed at any point leaves a version that the next writer brings up to date. Versions are small
manifests; ``CURRENT`` names the one to use and is replaced atomically; readers load the segments of a new
version they do not hold yet and never build anything.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from assistant.records import Records

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    """aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass dem den denn der des die
    dies diese dieser dieses doch dort du durch ein eine einem einen einer eines er es für hat hatte haben
    hier ich ihr im in ist ja jedoch kann man mit nach nicht noch nun nur ob oder sein seine sich sie sind so
    über um und uns unter vom von vor war waren warum was weil welche welcher welches wenn wer werden wie
    wieviel wieviele viele wo wurde wurden zu zum zur zwischen a an and are as at be by did do does for from
    had has have how in is it its of on or that the their this to was were what when where which who whom
    why with""".split()
)
K1, B = 1.5, 0.75
"""BM25 parameters (bm25s' defaults, which the index was built with before it became incremental)."""
MERGE_FACTOR = 8
"""Segments of one size tier merged at once: each chunk is rewritten about log8(chunks) times in its life."""
MAX_MERGE_CHUNKS = 500_000
"""Segments above an eighth of this are not merged again (unless many of their chunks were deleted): no single
change ever rewrites the whole archive."""
DEAD_SHARE = 0.3
"""A segment with more deleted chunks than this share is rewritten without them."""
BUILD_CHUNKS = 20_000
"""Chunks tokenized into one segment at a time by a full rebuild (bounds its memory)."""
_POINTER = "CURRENT"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def tokenize(text: str) -> list[str]:
    """Lowercased, stop words dropped, German Snowball stems (which also fold umlauts: 'Gespräche' -> 'gesprach')."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return _stemmer().stemWords(words)


def bm25_idf(df: int, n: int) -> float:
    """Lucene's BM25 idf (never negative)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


# --- segments: immutable postings of some chunks ------------------------------------------------
@dataclass
class _Postings:
    """What a segment holds, in memory: chunk ids, lengths, sorted terms and each term's (chunk, tf) list."""

    chunk_ids: list[str]
    lengths: np.ndarray  # int32, tokens per chunk
    terms: list[str]  # sorted
    indptr: np.ndarray  # int64, postings of term t: [indptr[t], indptr[t + 1])
    docs: np.ndarray  # int32, chunk position in the segment
    tfs: np.ndarray  # term frequency


def _tokenized(docs: Iterable[tuple[str, list[str]]]) -> _Postings:
    """A segment's postings from (chunk id, tokens)."""
    chunk_ids, lengths, counts = [], [], []
    for chunk_id, tokens in docs:
        chunk_ids.append(chunk_id)
        lengths.append(len(tokens))
        counts.append(Counter(tokens))
    terms = sorted({t for c in counts for t in c})
    term_id = {t: i for i, t in enumerate(terms)}
    posting_terms = np.fromiter((term_id[t] for c in counts for t in c), dtype=np.int64)
    docs_arr = np.repeat(np.arange(len(counts), dtype=np.int32), [len(c) for c in counts])
    tfs = np.fromiter((tf for c in counts for tf in c.values()), dtype=np.int64)
    return _sorted_postings(chunk_ids, np.asarray(lengths, np.int32), terms, posting_terms, docs_arr, tfs)


def _sorted_postings(
    chunk_ids: list[str],
    lengths: np.ndarray,
    terms: list[str],
    posting_terms: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
) -> _Postings:
    """Postings ordered by term, then chunk; terms without postings dropped."""
    used, posting_terms = np.unique(posting_terms, return_inverse=True)
    order = np.lexsort((docs, posting_terms))
    indptr = np.zeros(len(used) + 1, dtype=np.int64)
    np.cumsum(np.bincount(posting_terms, minlength=len(used)), out=indptr[1:])
    tf_type = np.uint16 if len(tfs) == 0 or tfs.max() < 2**16 else np.int32
    return _Postings(
        chunk_ids, lengths, [terms[i] for i in used], indptr, docs[order].astype(np.int32), tfs[order].astype(tf_type)
    )


class _Segment:
    """One segment on disk, opened: arrays memory-mapped, term lookup by binary search (nothing built)."""

    def __init__(self, folder: Path) -> None:
        self.name = folder.name
        self.folder = folder
        self.chunk_ids: list[str] = json.loads((folder / "chunk_ids.json").read_text(encoding="utf-8"))
        self.lengths = np.load(folder / "lengths.npy", mmap_mode="r")
        self._vocab = (folder / "terms.bin").read_bytes()
        self._term_ends = np.load(folder / "term_ends.npy")
        self._indptr = np.load(folder / "indptr.npy", mmap_mode="r")
        self._docs = np.load(folder / "docs.npy", mmap_mode="r")
        self._tfs = np.load(folder / "tfs.npy", mmap_mode="r")

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    @cached_property
    def _local(self) -> dict[str, int]:
        """Chunk id -> position (built once per process on first use; segments never change)."""
        return {chunk_id: n for n, chunk_id in enumerate(self.chunk_ids)}

    def local(self, chunk_id: str) -> int | None:
        return self._local.get(chunk_id)

    def _term(self, n: int) -> bytes:
        return self._vocab[self._term_ends[n - 1] if n else 0 : self._term_ends[n]]

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(chunk positions, term frequencies) of `term`, or None when no chunk here has it."""
        key = term.encode("utf-8")
        n = bisect.bisect_left(range(len(self._term_ends)), key, key=self._term)
        if n == len(self._term_ends) or self._term(n) != key:
            return None
        lo, hi = int(self._indptr[n]), int(self._indptr[n + 1])
        return self._docs[lo:hi], self._tfs[lo:hi]

    def read(self) -> _Postings:
        """Everything, in memory (for merging)."""
        ends = self._term_ends.tolist()
        terms = [self._vocab[a:b].decode("utf-8") for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return _Postings(
            self.chunk_ids, np.asarray(self.lengths), terms, np.asarray(self._indptr), np.asarray(self._docs),
            np.asarray(self._tfs),
        )  # fmt: skip


def _write_segment(folder: Path, postings: _Postings) -> Path:
    """A new segment folder (a unique name: a killed writer's leftovers are never reused, only collected)."""
    target = Path(tempfile.mkdtemp(prefix="s-", dir=folder))
    encoded = [t.encode("utf-8") for t in postings.terms]
    (target / "terms.bin").write_bytes(b"".join(encoded))
    np.save(target / "term_ends.npy", np.cumsum([len(t) for t in encoded], dtype=np.int64))
    for name, array in (("lengths", postings.lengths), ("indptr", postings.indptr), ("docs", postings.docs)):
        np.save(target / f"{name}.npy", array)
    np.save(target / "tfs.npy", postings.tfs)
    (target / "chunk_ids.json").write_text(json.dumps(postings.chunk_ids), encoding="utf-8")
    return target


# --- versions: which segments, which of their chunks are deleted --------------------------------
@dataclass
class _Part:
    """A segment as one version sees it: its deleted chunk positions, and where its scores start."""

    segment: _Segment
    dead: np.ndarray  # sorted int32 positions
    dead_file: str | None = None
    offset: int = 0

    @cached_property
    def live(self) -> np.ndarray | None:
        """Mask of live chunks (None: all live)."""
        if not len(self.dead):
            return None
        mask = np.ones(self.segment.size, dtype=bool)
        mask[self.dead] = False
        return mask

    @property
    def live_count(self) -> int:
        return self.segment.size - len(self.dead)

    @cached_property
    def live_length(self) -> int:
        return int(np.asarray(self.segment.lengths, dtype=np.int64).sum() - self.segment.lengths[self.dead].sum())

    def is_live(self, position: int) -> bool:
        return self.live is None or bool(self.live[position])

    def live_postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        found = self.segment.postings(term)
        if found is None or self.live is None:
            return found
        docs, tfs = found
        alive = self.live[docs]
        return docs[alive], tfs[alive]


class _ChunkIds(Sequence[str]):
    """Chunk id at each score position, across segments (built lazily: a question needs a few of them)."""

    def __init__(self, parts: list[_Part]) -> None:
        self._parts = parts
        self._starts = [p.offset for p in parts]
        self._total = sum(p.segment.size for p in parts)

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, i: int) -> str:  # type: ignore[override] - positions only, no slices
        if i < 0:
            i += self._total
        part = self._parts[bisect.bisect_right(self._starts, i) - 1]
        return part.segment.chunk_ids[i - part.offset]


class KeywordSnapshot:
    """One finished version of the BM25 index, loaded: never changes, so a question can hold on to it."""

    def __init__(self, version: str = "", parts: list[_Part] | None = None, applied: int = 0) -> None:
        self.version = version
        self.applied = applied
        self.parts = parts or []
        offset = 0
        for part in self.parts:
            part.offset, offset = offset, offset + part.segment.size
        self._positions = _ChunkIds(self.parts)
        self._n = sum(p.live_count for p in self.parts)
        self._avgdl = sum(p.live_length for p in self.parts) / self._n if self._n else 0.0

    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]:
        """BM25 score of every chunk position for the query (deleted chunks score 0), and the chunk ids."""
        out = np.zeros(len(self._positions), dtype=np.float32)
        for term, count in Counter(query_tokens).items():
            found = [(part, hit) for part in self.parts if (hit := part.live_postings(term)) is not None]
            df = sum(len(docs) for _, (docs, _) in found)
            if not df:
                continue
            weight = count * bm25_idf(df, self._n)
            for part, (docs, tfs) in found:
                tf = tfs.astype(np.float64)
                norm = K1 * (1 - B + B * part.segment.lengths[docs] / self._avgdl)
                out[part.offset + docs] += (weight * tf / (norm + tf)).astype(np.float32)
        return self._positions, out

    @property
    def chunk_count(self) -> int:
        """How many chunks the index holds (sets how much evidence an answer needs)."""
        return self._n

    @property
    def chunk_ids(self) -> list[str]:
        """Every live chunk id (walks the whole index: for checks, not for questions)."""
        return [cid for p in self.parts for n, cid in enumerate(p.segment.chunk_ids) if p.is_live(n)]

    def position(self, chunk_id: str) -> int | None:
        """Where `chunk_id` sits in the score array (None for chunks the index does not hold)."""
        for part in reversed(self.parts):
            n = part.segment.local(chunk_id)
            if n is not None and part.is_live(n):
                return part.offset + n
        return None

    def idf(self, token: str) -> float:
        """Inverse document frequency of a stem (a stem no chunk has counts as rare as one in a single chunk)."""
        if not self._n:
            return 1.0
        df = sum(len(hit[0]) for p in self.parts if (hit := p.live_postings(token)) is not None)
        return bm25_idf(max(df, 1), self._n)


class _LegacySnapshot(KeywordSnapshot):
    """A version written before the index was incremental (one bm25s folder): read as it was, until the next
    writer converts it."""

    def __init__(self, version: str, folder: Path) -> None:
        super().__init__(version)
        import bm25s

        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self._ids: list[str] = meta["chunk_ids"]
        self._where = {cid: n for n, cid in enumerate(self._ids)}
        self._idf: dict[str, float] = meta["idf"]
        searchable = meta.get("searchable", bool(self._ids))
        self._bm25 = bm25s.BM25.load(folder, show_progress=False) if searchable else None
        self.applied = -1  # never current: the next writer rebuilds it

    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]:
        if self._bm25 is None or not query_tokens:
            return self._ids, np.zeros(len(self._ids), dtype=np.float32)
        return self._ids, np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    @property
    def chunk_count(self) -> int:
        return len(self._ids)

    @property
    def chunk_ids(self) -> list[str]:
        return list(self._ids)

    def position(self, chunk_id: str) -> int | None:
        return self._where.get(chunk_id)

    def idf(self, token: str) -> float:
        return self._idf.get(token, max(self._idf.values(), default=1.0))


@dataclass
class _Change:
    """What a writer read from the record's keyword log: the chunks to drop, the chunks to add with their text."""

    head: int
    removed: set[str] = field(default_factory=set)
    added: list[tuple[str, str]] = field(default_factory=list)


class KeywordIndex:
    """BM25 over all chunks in ``<index_dir>/keyword``: segments (``s-*``), version manifests (``v-*.json``) and
    a ``CURRENT`` file naming the version to use, replaced atomically.

    Only writers change it (`update`, after they changed the record, under the index's writer lock); readers
    load the version ``CURRENT`` names whenever it moved (`ensure_current`), so a question never builds or
    sees a half-built index, and a process that did not write still sees what another one wrote."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._snapshot = KeywordSnapshot()
        self._loading = threading.Lock()
        self._segments: dict[str, _Segment] = {}

    # --- writing (writers only) -----------------------------------------------------------------
    def update(self, records: Records) -> None:
        """Bring the index up to the record: only the chunks changed since the current version are read,
        tokenized and written (a missing, old-format or too old version is rebuilt instead)."""
        base = self.ensure_current()
        if not base.version.endswith(".json") or base.applied < records.keyword_trimmed():
            self.rebuild(records)
            return
        change = _read_change(records, base.applied)
        if change.head == base.applied:
            return
        parts = self._killed(base.parts, change.removed)
        if change.added:
            parts.append(self._part(_write_segment(self.folder, _tokenized(_tokens(change.added)))))
        self._publish(self._merged(parts), change.head, records)

    def rebuild(self, records: Records) -> None:
        """Index every chunk of the record from scratch (a new index, or one in the format before segments)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with records.snapshot():
            head = records.keyword_head()
            parts = [
                self._part(_write_segment(self.folder, _tokenized(batch)))
                for batch in _batched(_tokens(records.chunk_texts()), BUILD_CHUNKS)
            ]
        self._publish(self._merged(parts), head, records)

    def is_current(self, records: Records) -> bool:
        """Whether the version on disk holds every change of the record."""
        return self.ensure_current().applied == records.keyword_head() and self._pointed().endswith(".json")

    def _part(self, folder: Path, dead: np.ndarray | None = None, dead_file: str | None = None) -> _Part:
        segment = self._segments.get(folder.name) or _Segment(folder)
        self._segments[folder.name] = segment
        return _Part(segment, dead if dead is not None else np.zeros(0, np.int32), dead_file)

    def _killed(self, parts: list[_Part], removed: set[str]) -> list[_Part]:
        """The parts with `removed` chunks marked deleted where they are live (new deletion lists, new files)."""
        hits: dict[int, list[int]] = {}
        for chunk_id in removed:
            for n, part in enumerate(parts):
                local = part.segment.local(chunk_id)
                if local is not None and part.is_live(local):
                    hits.setdefault(n, []).append(local)
        out = []
        for n, part in enumerate(parts):
            if n not in hits:
                out.append(_Part(part.segment, part.dead, part.dead_file))
                continue
            dead = np.union1d(part.dead, np.asarray(hits[n], np.int32)).astype(np.int32)
            handle, name = tempfile.mkstemp(prefix="dead-", suffix=".npy", dir=part.segment.folder)
            with os.fdopen(handle, "wb") as file:
                np.save(file, dead)
            out.append(_Part(part.segment, dead, Path(name).name))
        return out

    def _merged(self, parts: list[_Part]) -> list[_Part]:
        """Merge segments of one size tier (or rewrite one with many deleted chunks) until none is due."""
        while (chosen := _merge_plan(parts)) is not None:
            merged = _merge([parts[n] for n in chosen])
            parts = [p for n, p in enumerate(parts) if n not in chosen]
            if merged.chunk_ids:
                parts.append(self._part(_write_segment(self.folder, merged)))
        return parts

    def _publish(self, parts: list[_Part], applied: int, records: Records) -> None:
        """Write the version's manifest, point ``CURRENT`` at it, forget the log it holds, collect garbage."""
        previous = self._pointed()
        number = _version_number(previous) + 1
        manifest = {
            "format": 2,
            "applied": applied,
            "segments": [{"name": p.segment.name, "dead": p.dead_file} for p in parts],
        }
        name = f"v-{number:012d}.json"
        (self.folder / name).write_text(json.dumps(manifest), encoding="utf-8")
        pointer = self.folder / (_POINTER + ".new")
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, self.folder / _POINTER)
        records.trim_keyword_log(applied)
        self._collect(keep={name, previous})

    def _collect(self, keep: set[str]) -> None:
        """Delete versions, segments and deletion lists that neither the current nor the previous version uses
        (a reader may still be loading the previous one)."""
        used: set[str] = set()
        for name in keep:
            used |= self._files_of(name)
        for entry in self.folder.iterdir():
            if entry.name in keep or entry.name == _POINTER:
                continue
            if entry.name not in used:
                _remove(entry)  # old versions, unused segments, a killed writer's leftovers, the legacy layout
                continue
            for file in entry.glob("dead-*"):
                if f"{entry.name}/{file.name}" not in used:
                    file.unlink(missing_ok=True)
        self._segments = {k: v for k, v in self._segments.items() if k in used}

    def _files_of(self, version: str) -> set[str]:
        """Segment folders and ``segment/deletion`` files a manifest names (a legacy folder: none)."""
        try:
            manifest = json.loads((self.folder / version).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        used = {s["name"] for s in manifest["segments"]}
        return used | {f"{s['name']}/{s['dead']}" for s in manifest["segments"] if s["dead"]}

    # --- loading (every process) ----------------------------------------------------------------
    def ensure_current(self, records: Records | None = None) -> KeywordSnapshot:
        """The newest finished version, loaded when ``CURRENT`` moved (never built here)."""
        version = self._pointed()
        if version == self._snapshot.version:
            return self._snapshot
        with self._loading:
            for _ in range(5):  # a writer may swap in another version while this one loads
                version = self._pointed()
                if version == self._snapshot.version:
                    break
                try:
                    self._snapshot = self._load(version)
                    break
                except FileNotFoundError:
                    continue
        return self._snapshot

    def current(self) -> KeywordSnapshot:
        """The loaded version (one object per question: it cannot change under it)."""
        return self._snapshot

    def _pointed(self) -> str:
        try:
            return (self.folder / _POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return "." if (self.folder / "meta.json").exists() else ""  # an index built before versions

    def _load(self, version: str) -> KeywordSnapshot:
        if not version:
            return KeywordSnapshot()
        if not version.endswith(".json"):
            return _LegacySnapshot(version, self.folder / version)
        manifest = json.loads((self.folder / version).read_text(encoding="utf-8"))
        parts = []
        for entry in manifest["segments"]:
            folder = self.folder / entry["name"]
            dead = np.load(folder / entry["dead"]) if entry["dead"] else None
            parts.append(self._part(folder, dead, entry["dead"]))
        return KeywordSnapshot(version, parts, manifest["applied"])

    # --- the loaded version's answers (for callers that need no snapshot of their own) ----------
    def scores(self, query_tokens: list[str]) -> tuple[Sequence[str], np.ndarray]:
        return self._snapshot.scores(query_tokens)

    @property
    def chunk_count(self) -> int:
        return self._snapshot.chunk_count

    def position(self, chunk_id: str) -> int | None:
        return self._snapshot.position(chunk_id)

    def idf(self, token: str) -> float:
        return self._snapshot.idf(token)


def _read_change(records: Records, after: int) -> _Change:
    """The net effect of the logged changes after `after`, read in one snapshot of the record."""
    with records.snapshot():
        log = records.keyword_changes(after)
        if not log:
            return _Change(after)
        last: dict[str, bool] = {}
        removed: set[str] = set()
        for _, chunk_id, added in log:
            last[chunk_id] = added
            if not added:
                removed.add(chunk_id)  # also when re-added later: its old entry must go
        added_ids = [cid for cid, added in last.items() if added]
        return _Change(log[-1][0], removed, list(records.chunk_texts(added_ids)))


def _tokens(chunks: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    return ((chunk_id, tokenize(text)) for chunk_id, text in chunks)


def _batched(items: Iterable[tuple[str, list[str]]], size: int) -> Iterator[list[tuple[str, list[str]]]]:
    batch: list[tuple[str, list[str]]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _tier(chunks: int) -> int:
    return int(math.log(max(chunks, 1), MERGE_FACTOR))


def _merge_plan(parts: list[_Part]) -> list[int] | None:
    """Which parts to merge next: one with many deleted chunks, else `MERGE_FACTOR` of one small tier."""
    for n, part in enumerate(parts):
        if len(part.dead) > DEAD_SHARE * part.segment.size:
            return [n]
    tiers: dict[int, list[int]] = {}
    for n, part in enumerate(parts):
        if part.live_count < MAX_MERGE_CHUNKS // MERGE_FACTOR:
            tiers.setdefault(_tier(part.live_count), []).append(n)
    for _, members in sorted(tiers.items()):
        if len(members) >= MERGE_FACTOR:
            return members[:MERGE_FACTOR]
    return None


def _merge(parts: list[_Part]) -> _Postings:
    """The live chunks of several segments as one segment's postings (no text is read or tokenized again)."""
    read = [p.segment.read() for p in parts]
    terms = sorted(set().union(*(r.terms for r in read)))
    term_id = {t: i for i, t in enumerate(terms)}
    chunk_ids: list[str] = []
    lengths, posting_terms, docs, tfs = [], [], [], []
    for part, postings in zip(parts, read, strict=True):
        keep = np.flatnonzero(part.live) if part.live is not None else np.arange(part.segment.size)
        moved = np.full(part.segment.size, -1, dtype=np.int64)
        moved[keep] = np.arange(len(keep)) + len(chunk_ids)
        chunk_ids.extend(postings.chunk_ids[n] for n in keep.tolist())
        lengths.append(postings.lengths[keep])
        ids = np.fromiter((term_id[t] for t in postings.terms), dtype=np.int64, count=len(postings.terms))
        new_docs = moved[postings.docs]
        alive = new_docs >= 0
        posting_terms.append(np.repeat(ids, np.diff(postings.indptr))[alive])
        docs.append(new_docs[alive])
        tfs.append(postings.tfs[alive].astype(np.int64))
    return _sorted_postings(
        chunk_ids, np.concatenate(lengths).astype(np.int32), terms, np.concatenate(posting_terms),
        np.concatenate(docs).astype(np.int32), np.concatenate(tfs),
    )  # fmt: skip


def _version_number(name: str) -> int:
    try:
        return int(name.removeprefix("v-").removesuffix(".json"))
    except ValueError:
        return 0  # none yet, or a legacy folder


def _remove(entry: Path) -> None:
    if entry.is_dir():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
