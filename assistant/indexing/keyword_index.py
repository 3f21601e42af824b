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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.indexing.keyword_segments import Part, Segment, merge, merge_plan, postings_of, write_segment

if TYPE_CHECKING:  # the record imports this module's package neighbour `migrations`, which imports this module
    from assistant.indexing.records import Records

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
class _ChunkIds(Sequence[str]):
    """Chunk id at each score position, across segments (built lazily: a question needs a few of them)."""

    def __init__(self, parts: list[Part]) -> None:
        self._parts = parts
        self._starts = [p.offset for p in parts]
        self._total = sum(p.segment.size for p in parts)

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, i: int) -> str:  # type: ignore[override]  # positions only, no slices
        if i < 0:
            i += self._total
        part = self._parts[bisect.bisect_right(self._starts, i) - 1]
        return part.segment.chunk_ids[i - part.offset]


class KeywordSnapshot:
    """One finished version of the BM25 index, loaded: never changes, so a question can hold on to it."""

    def __init__(self, version: str = "", parts: list[Part] | None = None, applied: int = 0) -> None:
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
        self._segments: dict[str, Segment] = {}

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
            parts.append(self._part(write_segment(self.folder, postings_of(_tokens(change.added)))))
        self._publish(self._merged(parts), change.head, records)

    def rebuild(self, records: Records) -> None:
        """Index every chunk of the record from scratch (a new index, or one in the format before segments)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with records.snapshot():
            head = records.keyword_head()
            parts = [
                self._part(write_segment(self.folder, postings_of(batch)))
                for batch in _batched(_tokens(records.chunk_texts()), BUILD_CHUNKS)
            ]
        self._publish(self._merged(parts), head, records)

    def is_current(self, records: Records) -> bool:
        """Whether the version on disk holds every change of the record."""
        return self.ensure_current().applied == records.keyword_head() and self._pointed().endswith(".json")

    def _part(self, folder: Path, dead: np.ndarray | None = None, dead_file: str | None = None) -> Part:
        segment = self._segments.get(folder.name) or Segment(folder)
        self._segments[folder.name] = segment
        return Part(segment, dead if dead is not None else np.zeros(0, np.int32), dead_file)

    def _killed(self, parts: list[Part], removed: set[str]) -> list[Part]:
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
                out.append(Part(part.segment, part.dead, part.dead_file))
                continue
            dead = np.union1d(part.dead, np.asarray(hits[n], np.int32)).astype(np.int32)
            handle, name = tempfile.mkstemp(prefix="dead-", suffix=".npy", dir=part.segment.folder)
            with os.fdopen(handle, "wb") as file:
                np.save(file, dead)
            out.append(Part(part.segment, dead, Path(name).name))
        return out

    def _merged(self, parts: list[Part]) -> list[Part]:
        """Merge segments of one size tier (or rewrite one with many deleted chunks) until none is due."""
        while (chosen := merge_plan(parts)) is not None:
            merged = merge([parts[n] for n in chosen])
            parts = [p for n, p in enumerate(parts) if n not in chosen]
            if merged.chunk_ids:
                parts.append(self._part(write_segment(self.folder, merged)))
        return parts

    def _publish(self, parts: list[Part], applied: int, records: Records) -> None:
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
        if not version.endswith(".json"):  # the format before segments, until the next writer rebuilds it
            from assistant.indexing.migrations import LegacySnapshot  # it imports this module

            return LegacySnapshot(version, self.folder / version)
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
