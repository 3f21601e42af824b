"""Checking a language model's quotes against the passages they cite: pure functions, no model involved.

A model may misquote, paraphrase inside quotation marks, or cite the wrong passage. Only a quote found in the
passage it cites becomes a `Quote` (with offsets into the article: ``article.text[start:end] == quote.text``);
every other one is removed from the answer visibly. Matching is exact first, then after normalizing whitespace
and typographic quotation marks (models often write " for „ or turn a line break into a space); the quote's
text is always the article's own characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answers import Passage, Quote
from assistant.chunking import DOUBLE_QUOTES, SINGLE_QUOTES

_QUOTE = re.compile(
    r"(?:„(?P<de>[^„“”\"]+?)[“”\"]|“(?P<en>[^„“”\"]+?)[”“]|\"(?P<plain>[^„“”\"]+?)\"|«(?P<fr>[^«»]+?)»)"
    r"(?P<cite>[ \t]*\[(?P<n>\d{1,2})(?:\s*[,;]\s*\d{1,2})*\])?"
)
_MARKER = re.compile(r"\[(\d{1,2})(?:\s*[,;]\s*\d{1,2})*\]")
MIN_QUOTE_CHARS = 3
"""Quoted text shorter than this (after stripping) is a quotation mark in prose, not a quote."""


@dataclass(frozen=True)
class QuotedText:
    """One quotation in the model's answer: its text, the passage number it cites (1-based) if any, and where
    in the answer it stands (the whole ``„…“ [n]`` including the marker)."""

    text: str
    cites: int | None
    start: int
    end: int


@dataclass(frozen=True)
class Verification:
    """The answer with only verified quotes left (markers renumbered to the quotes), and the counts."""

    text: str
    quotes: list[Quote]
    dropped: int


def find_quotations(answer: str) -> list[QuotedText]:
    """The quotations in `answer`, each with the passage number its marker ``[n]`` cites (None without one)."""
    found = []
    for match in _QUOTE.finditer(answer):
        text = next(group for group in (match["de"], match["en"], match["plain"], match["fr"]) if group is not None)
        if len(text.strip()) < MIN_QUOTE_CHARS:
            continue
        cites = int(match["n"]) if match["n"] else None
        found.append(QuotedText(text.strip(), cites, match.start(), match.end()))
    return found


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where `quote` stands in `text`: exactly, else after normalizing whitespace and quotation marks.

    Returns offsets into `text` (not into its normalized form), so ``text[start:end]`` is the original wording.
    """
    quote = quote.strip()
    if not quote:
        return None
    exact = text.find(quote)
    if exact >= 0:
        return exact, exact + len(quote)
    normal_text, positions = normalize_with_positions(text)
    normal_quote, _ = normalize_with_positions(quote)
    normal_quote = normal_quote.strip()
    found = normal_text.find(normal_quote) if normal_quote else -1
    if found < 0:
        return None
    return positions[found], positions[found + len(normal_quote) - 1] + 1


def normalize_with_positions(text: str) -> tuple[str, list[int]]:
    """`text` with whitespace runs as one space and quotation marks unified, and for each of its characters
    the index of the original character it came from."""
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        elif char in DOUBLE_QUOTES:
            char = '"'
        elif char in SINGLE_QUOTES:
            char = "'"
        chars.append(char)
        positions.append(index)
    return "".join(chars), positions


def locate_in_passage(quote: str, passage: Passage) -> tuple[int, int] | None:
    """Article offsets of `quote` inside `passage` (passage text is ``article.text[passage.start:passage.end]``)."""
    span = locate(quote, passage.text)
    if span is None:
        return None
    return passage.start + span[0], passage.start + span[1]


def verify(answer: str, passages: list[Passage], *, removed: str) -> Verification:
    """Keep the quotations found in the passage they cite (an uncited one: in any passage), replace the others
    with `removed`, and renumber citation markers to the kept quotes (a marker with no kept quote from its
    passage is deleted), so ``[n]`` in the text always means ``quotes[n-1]``."""
    quotes: list[Quote] = []
    passage_to_number: dict[int, int] = {}
    pieces: list[str] = []
    dropped = 0
    cursor = 0
    for quotation in find_quotations(answer):
        pieces.append(_renumber_later(answer[cursor : quotation.start]))
        cursor = quotation.end
        found = _verified(quotation, passages)
        if found is None:
            dropped += 1
            pieces.append(removed)
            continue
        rank, quote = found
        quotes.append(quote)
        passage_to_number.setdefault(rank, len(quotes))
        pieces.append(f"„{quote.text}“ [{len(quotes)}]")
    pieces.append(_renumber_later(answer[cursor:]))
    text = _apply_markers("".join(pieces), passage_to_number)
    return Verification(_tidy(text), quotes, dropped)


def _verified(quotation: QuotedText, passages: list[Passage]) -> tuple[int, Quote] | None:
    """The cited passage's rank and the located quote, or None when the quote is not where it claims to be."""
    if quotation.cites is not None:
        candidates = [quotation.cites - 1] if 1 <= quotation.cites <= len(passages) else []
    else:
        candidates = list(range(len(passages)))
    for rank in candidates:
        span = locate_in_passage(quotation.text, passages[rank])
        if span is not None:
            return rank, make_quote(passages[rank], *span)
    return None


def make_quote(passage: Passage, start: int, end: int) -> Quote:
    """A `Quote` of ``article.text[start:end]`` (offsets inside `passage`), with the passage's metadata."""
    text = passage.text[start - passage.start : end - passage.start]
    return Quote(
        text=text,
        article_id=passage.article_id,
        start=start,
        end=end,
        score=passage.score,
        title=passage.title,
        source=passage.source,
        published=passage.published,
    )


# Markers outside quotations still name passages; they are rewritten at the end, once the kept quotes are known.
# While assembling, they are shielded as ⟦n⟧ so the new quote markers [k] are not rewritten a second time.
def _renumber_later(text: str) -> str:
    return _MARKER.sub(lambda m: f"⟦{m.group(1)}⟧", text)


def _apply_markers(text: str, passage_to_number: dict[int, int]) -> str:
    def replace(match: re.Match[str]) -> str:
        number = passage_to_number.get(int(match.group(1)) - 1)
        return f"[{number}]" if number else ""

    return re.sub(r"⟦(\d+)⟧", replace, text)


def strip_markers(text: str) -> str:
    """`text` without citation markers (for an answer none of whose citations held)."""
    return _tidy(_MARKER.sub("", text))


def _tidy(text: str) -> str:
    """Spaces left before punctuation or doubled by removed markers."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
