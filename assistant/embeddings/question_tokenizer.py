"""The bundled model's tokenizer for one question, ready in milliseconds.

`tokenizers` needs about a second to build its Unigram model from 250,000 pieces, longer than everything else
a cold `assistant ask` does. A question is a few dozen pieces, so this module runs the same pipeline in plain
Python over a dict: the model's character replacements, NFKC, collapsed spaces, Metaspace words ("▁" before
each), Viterbi over the piece scores with the same unknown-piece penalty and tie order, unknown runs fused,
`<s> … </s>`. Tests compare its ids with `tokenizers` on thousands of real sentences. Text it cannot promise
to treat the same (special-token strings, long text) is left to `tokenizers` (`QuickTokenizer.encode` -> None).
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from pathlib import Path

import numpy as np

_METASPACE = "\u2581"
_UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY
_CODE_POINT = re.compile(r"\\x\{([0-9A-Fa-f]+)\}")
_SPACES = re.compile(" {2,}")
MAX_QUICK_CHARS = 2000  # far below 510 pieces: longer text goes to `tokenizers`


class QuickTokenizer:
    """Unigram tokenization of short texts, identical to the exported `tokenizer.json` (see module doc)."""

    def __init__(
        self,
        sorted_pieces: list[str],
        sorted_ids: list[int],
        scores: np.ndarray,
        *,
        unk_id: int,
        specials: list[str],
        replacements: dict[int, str],
    ) -> None:
        """`sorted_pieces` in Python's string order with their ids: a bisect finds a piece, so no 250,000-entry
        dict is built per process (that alone took longer than the rest of the question)."""
        self._pieces, self._piece_ids = sorted_pieces, sorted_ids
        self._scores = scores.astype(np.float64)
        self._max_len = max(map(len, sorted_pieces))
        self._unk_score = float(self._scores.min()) - _UNK_PENALTY
        self.unk_id = unk_id
        self._specials = specials
        self.bos_id, self.eos_id = self._known_id("<s>"), self._known_id("</s>")
        self._translate = replacements

    @classmethod
    def load(cls, vocab_file: Path, ids_file: Path, scores_file: Path, head_file: Path) -> QuickTokenizer:
        """From the export's sorted pieces and their ids, the scores by id, and `tokenizer.json` without its
        vocabulary (`head_file`)."""
        pieces = vocab_file.read_bytes().decode("utf-8").split("\0")
        head = json.loads(head_file.read_text(encoding="utf-8"))
        return cls(
            pieces,
            np.load(ids_file).tolist(),
            np.load(scores_file),
            unk_id=int(head["model"]["unk_id"]),
            specials=[str(token["content"]) for token in head["added_tokens"]],
            replacements=_replacements(head["normalizer"]),
        )

    def _known_id(self, piece: str) -> int:
        """The id of a piece every vocabulary of this kind holds (``<s>``, ``</s>``)."""
        found = self._id(piece)
        if found is None:
            raise ValueError(f"the tokenizer's vocabulary lacks {piece!r}")
        return found

    def _id(self, piece: str) -> int | None:
        at = bisect.bisect_left(self._pieces, piece)
        return self._piece_ids[at] if at < len(self._pieces) and self._pieces[at] == piece else None

    def encode(self, text: str) -> list[int] | None:
        """Token ids with `<s>`/`</s>`, or None when `tokenizers` must handle this text."""
        if len(text) > MAX_QUICK_CHARS or any(special in text for special in self._specials):
            return None
        normalized = _SPACES.sub(" ", unicodedata.normalize("NFKC", text.translate(self._translate)))
        ids = [self.bos_id]
        for word in _metaspace_words(normalized) if normalized else ():  # nothing to prepend "▁" to
            ids.extend(self._viterbi(word))
        ids.append(self.eos_id)
        return ids

    def _viterbi(self, word: str) -> list[int]:
        """Best-scoring segmentation; ties keep the earlier start, as tokenizers' `encode_optimized` does."""
        n = len(word)
        best: list[float | None] = [0.0] + [None] * n
        start = [0] * (n + 1)
        piece_id = [0] * (n + 1)
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            single = False
            for end in range(i + 1, min(n, i + self._max_len) + 1):
                found = self._id(word[i:end])
                if found is None:
                    continue
                score = here + float(self._scores[found])
                if best[end] is None or score > best[end]:  # type: ignore[operator]
                    best[end], start[end], piece_id[end] = score, i, found
                single = single or end == i + 1
            if not single:
                score = here + self._unk_score
                if best[i + 1] is None or score > best[i + 1]:  # type: ignore[operator]
                    best[i + 1], start[i + 1], piece_id[i + 1] = score, i, self.unk_id
        return self._backtrack(word, start, piece_id)

    def _backtrack(self, word: str, start: list[int], piece_id: list[int]) -> list[int]:
        """Pieces from the end; consecutive unknown pieces become one, looked up again as a whole string."""
        pieces: list[str] = []
        unknown: list[str] = []
        end = len(word)
        while end > 0:
            begin = start[end]
            if piece_id[end] == self.unk_id:
                unknown.append(word[begin:end])
            else:
                if unknown:
                    pieces.append("".join(reversed(unknown)))
                    unknown = []
                pieces.append(word[begin:end])
            end = begin
        if unknown:
            pieces.append("".join(reversed(unknown)))
        return [self.unk_id if (found := self._id(piece)) is None else found for piece in reversed(pieces)]


def _metaspace_words(text: str) -> list[str]:
    """Metaspace(prepend_scheme="always", split=True): spaces become "▁", each "▁" starts a word."""
    replaced = text.replace(" ", _METASPACE)
    if not replaced.startswith(_METASPACE):
        replaced = _METASPACE + replaced
    return [_METASPACE + part for part in replaced.split(_METASPACE)[1:]]


def _replacements(normalizer: dict[str, list[dict[str, str | dict[str, str]]]]) -> dict[int, str]:
    """The normalizer's Replace steps before NFKC (character classes written as `\\x{HEX}`) as a translate table."""
    table: dict[int, str] = {}
    for step in normalizer["normalizers"]:
        if step["type"] == "NFKC":
            break
        if step["type"] != "Replace":
            raise ValueError(f"unexpected normalizer step {step['type']}")
        pattern, content = step["pattern"], step["content"]
        if not isinstance(pattern, dict) or not isinstance(content, str):
            raise ValueError("unexpected Replace step")
        for code_point in _CODE_POINT.findall(pattern["Regex"]):
            table[int(code_point, 16)] = content
    return table
