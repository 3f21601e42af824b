"""The keyword index's storage: immutable BM25 segments on disk, the view a version has of each (its deleted
chunks), and the tiered merge policy that keeps their number small.

A segment holds some chunks' postings (sorted terms, each with its chunks and term frequencies) as memory-mapped
arrays, found by binary search: opening one builds nothing. Segments never change; a version marks chunks of
them deleted, and merging rewrites live chunks of several segments into one without reading any text again.
`assistant.indexing.keyword_index` decides what goes into which version.
"""

from __future__ import annotations

import bisect
import json
import math
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MERGE_FACTOR = 8
"""Segments of one size tier merged at once: each chunk is rewritten about log8(chunks) times in its life."""
MAX_MERGE_CHUNKS = 500_000
"""Segments above an eighth of this are not merged again (unless many of their chunks were deleted): no single
change ever rewrites the whole archive."""
DEAD_SHARE = 0.3
"""A segment with more deleted chunks than this share is rewritten without them."""


@dataclass
class Postings:
    """What a segment holds, in memory: chunk ids, lengths, sorted terms and each term's (chunk, tf) list."""

    chunk_ids: list[str]
    lengths: np.ndarray  # int32, tokens per chunk
    terms: list[str]  # sorted
    indptr: np.ndarray  # int64, postings of term t: [indptr[t], indptr[t + 1])
    docs: np.ndarray  # int32, chunk position in the segment
    tfs: np.ndarray  # term frequency


def postings_of(docs: Iterable[tuple[str, list[str]]]) -> Postings:
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
) -> Postings:
    """Postings ordered by term, then chunk; terms without postings dropped."""
    used, posting_terms = np.unique(posting_terms, return_inverse=True)
    order = np.lexsort((docs, posting_terms))
    indptr = np.zeros(len(used) + 1, dtype=np.int64)
    np.cumsum(np.bincount(posting_terms, minlength=len(used)), out=indptr[1:])
    tf_type = np.uint16 if len(tfs) == 0 or tfs.max() < 2**16 else np.int32
    return Postings(
        chunk_ids, lengths, [terms[i] for i in used], indptr, docs[order].astype(np.int32), tfs[order].astype(tf_type)
    )


class Segment:
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

    def read(self) -> Postings:
        """Everything, in memory (for merging)."""
        ends = self._term_ends.tolist()
        terms = [self._vocab[a:b].decode("utf-8") for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return Postings(
            self.chunk_ids, np.asarray(self.lengths), terms, np.asarray(self._indptr), np.asarray(self._docs),
            np.asarray(self._tfs),
        )  # fmt: skip


def write_segment(folder: Path, postings: Postings) -> Path:
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
class Part:
    """A segment as one version sees it: its deleted chunk positions, and where its scores start."""

    segment: Segment
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


def _tier(chunks: int) -> int:
    return int(math.log(max(chunks, 1), MERGE_FACTOR))


def merge_plan(parts: list[Part]) -> list[int] | None:
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


def merge(parts: list[Part]) -> Postings:
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
