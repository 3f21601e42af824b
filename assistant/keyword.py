"""The keyword side of retrieval: BM25 over German-stemmed chunk text, kept in step with the record.

Dense e5 vectors miss exact names, numbers and rare words that BM25 catches; fused, the two beat either.
The index is rebuilt from the record (the source of truth) by the writer whenever indexing changed
something, and it is stamped with the record's change time, so a run killed between the two is noticed and
repaired by the next run.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from functools import lru_cache
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


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def tokenize(text: str) -> list[str]:
    """Lowercased, stop words dropped, German Snowball stems (which also fold umlauts: 'Gespräche' -> 'gesprach')."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return _stemmer().stemWords(words)


class KeywordSnapshot:
    """One finished version of the BM25 index, loaded: never changes, so a question can hold on to it."""

    def __init__(
        self,
        version: str = "",
        chunk_ids: list[str] | None = None,
        idf: dict[str, float] | None = None,
        bm25: object | None = None,
        stamp: str | None = None,
    ) -> None:
        self.version = version
        self.chunk_ids = chunk_ids or []
        self._position = {cid: n for n, cid in enumerate(self.chunk_ids)}
        self._idf = idf or {}
        self._bm25 = bm25
        self.stamp = stamp

    def scores(self, query_tokens: list[str]) -> tuple[list[str], np.ndarray]:
        """BM25 score of every chunk for the query (chunk ids in index order)."""
        if self._bm25 is None or not query_tokens:
            return self.chunk_ids, np.zeros(len(self.chunk_ids), dtype=np.float32)
        return self.chunk_ids, np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    @property
    def chunk_count(self) -> int:
        """How many chunks the index holds (sets how much evidence an answer needs)."""
        return len(self.chunk_ids)

    def position(self, chunk_id: str) -> int | None:
        """Where `chunk_id` sits in the score array (None for chunks the index does not hold)."""
        return self._position.get(chunk_id)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a stem (unknown stems count as rare)."""
        return self._idf.get(token, max(self._idf.values(), default=1.0))


_POINTER = "CURRENT"


class KeywordIndex:
    """BM25 (bm25s) over all chunks in ``<index_dir>/keyword``: finished versions in folders of their own and a
    ``CURRENT`` file naming the one to use, replaced atomically.

    Only writers build (`rebuild`, after they changed the record); readers load the finished version that
    ``CURRENT`` names whenever it changed (`ensure_current`), so a question never builds or sees a half-built
    index, and a process that did not write still sees what another one wrote."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._snapshot = KeywordSnapshot()
        self._loading = threading.Lock()

    # --- building (writers only, under the index's writer lock) ---------------------------------
    def rebuild(self, records: Records) -> None:
        """Index every chunk in the record into a new version folder, then point ``CURRENT`` at it."""
        import bm25s

        chunk_ids, tokens = [], []
        texts = {a.id: a.text for a in records.articles()}
        for chunk in records.all_chunks():
            chunk_ids.append(chunk.id)
            tokens.append(tokenize(texts[chunk.article_id][chunk.start : chunk.end]))
        stamp = str(records.last_changed())
        self.folder.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="v-", dir=self.folder))
        searchable = any(tokens)  # bm25s cannot index chunks without a single word (e.g. only "+")
        if searchable:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            bm25.save(building, show_progress=False)
        meta = {"chunk_ids": chunk_ids, "idf": _idf(tokens), "stamp": stamp, "searchable": searchable}
        (building / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        previous = self._pointed()
        pointer = self.folder / (_POINTER + ".new")
        pointer.write_text(building.name, encoding="utf-8")
        os.replace(pointer, self.folder / _POINTER)
        for old in self.folder.glob("v-*"):  # a reader may still be loading the previous one
            if old.name not in (building.name, previous):
                shutil.rmtree(old, ignore_errors=True)

    def stamp_on_disk(self) -> str | None:
        """The record change the finished version was built from (None: nothing built yet)."""
        try:
            meta = json.loads((self._version_folder(self._pointed()) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta.get("stamp")

    def is_current(self, records: Records) -> bool:
        return self.stamp_on_disk() == str(records.last_changed())

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

    def _version_folder(self, version: str) -> Path:
        return self.folder / version if version else self.folder / "-missing-"

    def _load(self, version: str) -> KeywordSnapshot:
        if not version:
            return KeywordSnapshot()
        import bm25s

        folder = self._version_folder(version)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        searchable = meta.get("searchable", bool(meta["chunk_ids"]))  # indexes from before the flag: by chunks
        bm25 = bm25s.BM25.load(folder, show_progress=False) if searchable else None
        return KeywordSnapshot(version, meta["chunk_ids"], meta["idf"], bm25, meta["stamp"])

    # --- the loaded version's answers (for callers that need no snapshot of their own) ----------
    def scores(self, query_tokens: list[str]) -> tuple[list[str], np.ndarray]:
        return self._snapshot.scores(query_tokens)

    @property
    def chunk_count(self) -> int:
        return self._snapshot.chunk_count

    def position(self, chunk_id: str) -> int | None:
        return self._snapshot.position(chunk_id)

    def idf(self, token: str) -> float:
        return self._snapshot.idf(token)


def _idf(tokenized: list[list[str]]) -> dict[str, float]:
    frequency = Counter(token for tokens in tokenized for token in set(tokens))
    total = len(tokenized)
    return {token: math.log(1 + (total - df + 0.5) / (df + 0.5)) for token, df in frequency.items()}
