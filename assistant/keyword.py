"""The keyword side of retrieval: BM25 over German-stemmed chunk text, kept in step with the record.

Dense e5 vectors miss exact names, numbers and rare words that BM25 catches; fused, the two beat either.
The index is rebuilt from the record (the source of truth) whenever indexing changed something, and it is
stamped with the record's change time, so a run killed between the two is noticed and repaired on open.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
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


class KeywordIndex:
    """BM25 (bm25s) over all chunks, persisted in ``<index_dir>/keyword``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._bm25 = None
        self._chunk_ids: list[str] = []
        self._position: dict[str, int] = {}
        self._idf: dict[str, float] = {}
        self._stamp: str | None = None

    # --- building -------------------------------------------------------------------------------
    def rebuild(self, records: Records) -> None:
        """Index every chunk in the record; written to a temporary folder and swapped in whole."""
        import bm25s

        chunk_ids, tokens = [], []
        texts = {a.id: a.text for a in records.articles()}
        for chunk in records.all_chunks():
            chunk_ids.append(chunk.id)
            tokens.append(tokenize(texts[chunk.article_id][chunk.start : chunk.end]))
        stamp = str(records.last_changed())
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".keyword-", dir=self.folder.parent))
        searchable = any(tokens)  # bm25s cannot index chunks without a single word (e.g. only "+")
        if searchable:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            bm25.save(building, show_progress=False)
        meta = {"chunk_ids": chunk_ids, "idf": _idf(tokens), "stamp": stamp, "searchable": searchable}
        (building / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        self._swap_in(building)
        self._bm25 = None  # reload lazily

    def _swap_in(self, building: Path) -> None:
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        building.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def ensure_current(self, records: Records) -> None:
        """Rebuild when missing or older than the record (e.g. after a run killed in between)."""
        current = str(records.last_changed())
        if self._stamp != current:  # another process may have rebuilt it on disk: reload first
            self._bm25 = None
            self._load()
        if self._stamp != current:
            self.rebuild(records)
            self._load()

    # --- searching ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._bm25 is not None or not (self.folder / "meta.json").exists():
            return
        import bm25s

        meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        self._chunk_ids = meta["chunk_ids"]
        self._position = {cid: n for n, cid in enumerate(self._chunk_ids)}
        self._idf = meta["idf"]
        self._stamp = meta["stamp"]
        searchable = meta.get("searchable", bool(self._chunk_ids))  # indexes from before the flag: by chunks
        self._bm25 = bm25s.BM25.load(self.folder, show_progress=False) if searchable else False

    def scores(self, query_tokens: list[str]) -> tuple[list[str], np.ndarray]:
        """BM25 score of every chunk for the query (chunk ids in index order)."""
        self._load()
        if not self._bm25 or not query_tokens:
            return self._chunk_ids, np.zeros(len(self._chunk_ids), dtype=np.float32)
        return self._chunk_ids, np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    @property
    def chunk_count(self) -> int:
        """How many chunks the index holds (sets how much evidence an answer needs)."""
        self._load()
        return len(self._chunk_ids)

    def position(self, chunk_id: str) -> int | None:
        """Where `chunk_id` sits in the score array (None for chunks the index does not hold)."""
        return self._position.get(chunk_id)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a stem (unknown stems count as rare)."""
        self._load()
        return self._idf.get(token, max(self._idf.values(), default=1.0))


def _idf(tokenized: list[list[str]]) -> dict[str, float]:
    frequency = Counter(token for tokens in tokenized for token in set(tokens))
    total = len(tokenized)
    return {token: math.log(1 + (total - df + 0.5) / (df + 0.5)) for token, df in frequency.items()}
