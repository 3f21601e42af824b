"""Sentence, paragraph and chunk boundaries as offsets into the article text (never copies).

Quotes are located by offsets, so every function here returns `Span`s into the text it was given: a span
never starts or ends with whitespace, and the spans of one call cover every non-whitespace character of
the text (or range) once, in order.

Sentence splitting is rule-based and tuned for German news: it does not split after abbreviations
("z. B.", "Dr.", "Nr."), initials ("Wladimir W. Putin"), ordinals ("am 1. Februar"), inside quotes, or
inside numbers, times, URLs and e-mail addresses (no whitespace follows their dots). A line break ends a
sentence unless the line is a hard-wrapped part of it (`_continues`): news text copied from print or e-mail
often breaks its lines mid-sentence, and a quote must not be half a sentence.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from assistant.errors import InvalidInputError


@dataclass(frozen=True)
class Span:
    """Half-open character range [start, end) into a text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_PARAGRAPH = re.compile(rf"\S(?:[^{_LINE_BREAKS}]*\S)?")

# Quote characters, as escapes because several look alike: double „ “ ” » « " and single ' ‚ ‘ ’ ‹ ›.
SINGLE_QUOTES = "'\u201a\u2018\u2019\u2039\u203a"
DOUBLE_QUOTES = '\u201e\u201c\u201d\u00bb\u00ab"'
_CLOSERS = DOUBLE_QUOTES + SINGLE_QUOTES + ")]"
_STARTERS = DOUBLE_QUOTES + SINGLE_QUOTES + "([\u00bf\u00a1"
_WORD_OPENING_MARKS = DOUBLE_QUOTES + SINGLE_QUOTES + "([{"  # stripped from a word before an abbreviation check

# A sentence end: terminators, then closing quotes/brackets, then whitespace and the next sentence's
# first character (captured, to test it and to know where the next sentence starts).
_END = re.compile(rf"([.!?…]+)[{re.escape(_CLOSERS)}]*(?=[^\S{_LINE_BREAKS}]+(\S))")

# Abbreviations after which a sentence never ends (compared lower-cased, without the final dot).
_NEVER_END = frozenset((
    "abb", "abs", "abt", "anm", "bd", "bes", "bspw", "bzgl", "bzw", "ca", "co", "dipl", "dr", "dt", "ebd",
    "engl", "evtl", "exkl", "fa", "fr", "frz", "geb", "gebr", "gem", "gen", "ggf", "ggü", "hg", "hl",
    "hr", "hrsg", "inkl", "ing", "kap", "kl", "lt", "mdb", "mdl", "mio", "mrd", "mr", "mrs", "ms", "nr",
    "orig", "pkt", "prof", "rd", "sen", "sog", "spez", "st", "std", "str", "tsd", "ugs", "vgl", "vs",
    "zit", "ziff", "zzgl",
))  # fmt: skip
# Abbreviations that end no sentence when a number follows ("Art. 5", "Jan. 2024"); else normal rules.
_BEFORE_NUMBER = frozenset((
    "apr", "art", "aug", "dec", "dez", "feb", "febr", "jan", "jul", "jun", "mar", "mär", "no", "nov",
    "oct", "okt", "sep", "sept", "tel",
))  # fmt: skip
_LETTER_DOTS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # z.B / d.h / U.S / e.g (final dot not included)


def split_paragraphs(text: str) -> list[Span]:
    """Paragraphs: the non-blank lines (news text often has one paragraph per line), trimmed; the lines of a
    hard-wrapped sentence are one paragraph, so that no chunk ends inside that sentence."""
    return _lines(text, 0, len(text))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of `text[start:end]`, as offsets into `text`; a line break ends a sentence unless the sentence
    goes on in the next line (`_continues`)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for line in _lines(text, start, end):
        spans.extend(_sentences_in_line(text, line.start, line.end))
    return spans


def joins_wrapped_lines(text: str) -> bool:
    """Whether a sentence of `text` runs over a line break (which the rules before 2026-12-07 split there)."""
    previous: Span | None = None
    for m in _PARAGRAPH.finditer(text):
        if previous is not None and _continues(text, previous, m.start(), m.end()):
            return True
        previous = Span(m.start(), m.end())
    return False


def _lines(text: str, start: int, end: int) -> list[Span]:
    """The trimmed non-blank lines of `text[start:end]`, a line joined to the one before when it continues it."""
    lines: list[Span] = []
    for m in _PARAGRAPH.finditer(text, start, end):
        if lines and _continues(text, lines[-1], m.start(), m.end()):
            lines[-1] = Span(lines[-1].start, m.end())
        else:
            lines.append(Span(m.start(), m.end()))
    return lines


_SENTENCE_ENDING = frozenset(".!?…:;")
_LIST_ITEM = re.compile(r"(?:[-*•·▪►]|\d{1,2}[.)])\s")
_PRINT_WRAP_AFTER = frozenset((
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "kein", "keine",
    "in", "im", "ins", "an", "am", "ans", "auf", "aus", "bei", "beim", "mit", "nach", "von", "vom", "zu", "zum",
    "zur", "für", "über", "unter", "vor", "durch", "gegen", "ohne", "um", "bis", "seit", "wegen", "und", "oder",
    "aber", "sondern", "dass", "ob", "wenn", "weil", "als", "wie", "sich", "nicht", "auch", "noch", "the", "a",
    "an", "of", "to", "on", "at", "by", "for", "with", "from", "and", "or", "but", "that",
))  # fmt: skip
"""Words a sentence never ends with: a line ending with one is cut off in the middle of its sentence."""
_SENTENCE_BREAK = re.compile(r"[.!?…][\"“”»«')\]’]*\s+\S")


def _continues(text: str, line: Span, start: int, end: int) -> bool:
    """Whether the line [start, end) goes on with the sentence of `line` (one line break between them): the
    line before does not end a sentence, and the break is a wrap, not a headline or list item above the text.
    A wrap shows as a next line starting in lower case, a line ending with an article, preposition or
    conjunction or a comma, spaces at the break (print layout), or a long line ending mid-sentence."""
    between = text[line.end : start]
    if between.count("\n") + between.count("\r") - between.count("\r\n") != 1 or any(
        c in between for c in _LINE_BREAKS if c not in "\n\r"
    ):
        return False  # a blank line, or a page or paragraph separator, ends the paragraph
    before = text[line.start : line.end]
    if before.rstrip(_CLOSERS)[-1:] in _SENTENCE_ENDING or _LIST_ITEM.match(text, start, end):
        return False
    last_word = before.rsplit(None, 1)[-1]
    if text[start].islower() or last_word.lower() in _PRINT_WRAP_AFTER or before.endswith(","):
        return True
    if between.strip("\r\n"):
        return True  # spaces around the break: a text laid out in lines
    length = line.end - line.start
    return (length >= 60 and last_word[:1].islower()) or (length >= 40 and _SENTENCE_BREAK.search(before) is not None)


def _sentences_in_line(text: str, start: int, end: int) -> list[Span]:
    """Split one trimmed line [start, end) at sentence ends that are not inside quotes or abbreviations."""
    quotes = _quote_regions(text, start, end)
    opens = [opening for opening, _ in quotes]
    spans: list[Span] = []
    current = start
    for m in _END.finditer(text, start, end):
        if _is_sentence_end(text, m, start) and not _inside(quotes, opens, m.end()):
            spans.append(Span(current, m.end()))
            current = m.start(2)
    spans.append(Span(current, end))
    return spans


def _inside(quotes: list[tuple[int, int]], opens: list[int], end: int) -> bool:
    """Whether a sentence ending at `end` (exclusive) would cut a quote open before and closed after it."""
    index = bisect.bisect_left(opens, end) - 1
    return index >= 0 and end <= quotes[index][1]


def _is_sentence_end(text: str, m: re.Match[str], line_start: int) -> bool:
    """Whether a terminator followed by whitespace really ends the sentence."""
    following = m[2]
    if not (following.isupper() or following.istitle() or following.isdigit() or following in _STARTERS):
        return False
    before = text[m.start() - 1] if m.start() > line_start else " "
    if before in "([" and text[m.end() - 1] in ")]":
        return False  # an omission mark "(…)" or "[...]" inside a sentence
    if m[1] != ".":
        return True
    return not _is_abbreviation(_word_before(text, m.start(), line_start), following)


def _word_before(text: str, dot: int, line_start: int) -> str:
    """The non-whitespace run that ends at the dot, without opening quotes or brackets."""
    begin = dot
    while begin > line_start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:dot].lstrip(_WORD_OPENING_MARKS)


def _is_abbreviation(word: str, following: str) -> bool:
    """Whether "word." is an abbreviation, initial or ordinal rather than the end of a sentence."""
    lower = word.lower()
    if len(word) == 1 and word.isalpha():
        return True  # initials ("W. Putin") and letter abbreviations ("z. B.", "d. h.", "S. 5")
    if _LETTER_DOTS.fullmatch(word) or lower in _NEVER_END:
        return True
    if lower in _BEFORE_NUMBER and following.isdigit():
        return True
    # Ordinals ("am 1. Februar", "der 2. Weltkrieg"); a year ("im Februar 2022.") ends the sentence.
    return word.isdigit() and len(word) <= 3


def _quote_regions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Outermost (open, close) positions of matched double quotes in one line, sorted and disjoint.

    German „…“ and »…«, English “…”, Swiss/French «…» and straight "…" are all recognised; “ closes a „
    and otherwise opens. A quote left open at the end of the line is ignored, so it cannot swallow the
    rest of the paragraph.
    """
    stack: list[tuple[str, int]] = []
    outermost: list[tuple[int, int]] = []
    for index in range(start, end):
        char = text[index]
        if char not in DOUBLE_QUOTES:
            continue
        top = stack[-1][0] if stack else ""
        if (char, top) in _CLOSES:
            opening = stack.pop()[1]
            while outermost and outermost[-1][0] > opening:  # nested inside this one
                outermost.pop()
            outermost.append((opening, index))
        elif char != "\u201d":  # ” only ever closes
            stack.append((char, index))
    return outermost


_CLOSES = frozenset({("“", "„"), ("”", "“"), ("”", "„"), ("«", "»"), ("»", "«"), ('"', '"')})


DEFAULT_TARGET_CHARS = 700
DEFAULT_MAX_CHARS = 1000


def chunk_text(
    text: str, *, target_chars: int = DEFAULT_TARGET_CHARS, max_chars: int = DEFAULT_MAX_CHARS
) -> list[Span]:
    """Chunks for retrieval: whole paragraphs when they fit, short ones merged, long ones cut at sentences.

    No overlap: a quote is located by offsets, so each character belongs to exactly one chunk. Every
    chunk is at most `max_chars` long and runs from the first to the last character of its content.
    Sizes come from `Settings` (checked there); a caller from Python gets an `InvalidInputError` here.
    """
    if target_chars < 1 or max_chars < target_chars:
        raise InvalidInputError(
            f"chunk sizes need 1 <= target_chars <= max_chars, got target_chars={target_chars} and "
            f"max_chars={max_chars}"
        )
    units: list[Span] = []
    for paragraph in split_paragraphs(text):
        if _length(paragraph) <= max_chars:
            units.append(paragraph)
        else:
            units.extend(_split_long_paragraph(text, paragraph, target_chars, max_chars))
    return _pack(units, target_chars, max_chars, min_fill=0)


def _split_long_paragraph(text: str, paragraph: Span, target: int, limit: int) -> list[Span]:
    """Pieces of a too-long paragraph near `target`, cut between sentences (inside one only if it must)."""
    pieces: list[Span] = []
    for sentence in split_sentences(text, paragraph.start, paragraph.end):
        if _length(sentence) <= limit:
            pieces.append(sentence)
        else:
            pieces.extend(_cut_at_whitespace(text, sentence, limit))
    return _pack(pieces, target, limit, min_fill=target // 2)


def _pack(units: list[Span], target: int, limit: int, *, min_fill: int) -> list[Span]:
    """Merge consecutive spans while the merge stays within `target` (or `limit` while under `min_fill`)."""
    packed: list[Span] = []
    for unit in units:
        if packed:
            last = packed[-1]
            merged = unit.end - last.start
            if merged <= target or (_length(last) < min_fill and merged <= limit):
                packed[-1] = Span(last.start, unit.end)
                continue
        packed.append(unit)
    tail_is_short = min_fill and len(packed) > 1 and _length(packed[-1]) < min_fill
    if tail_is_short and packed[-1].end - packed[-2].start <= limit:  # it joins the piece before it
        tail = packed.pop()
        packed[-1] = Span(packed[-1].start, tail.end)
    return packed


def _cut_at_whitespace(text: str, span: Span, limit: int) -> list[Span]:
    """Cut an over-long sentence into near-equal pieces of at most `limit`, at whitespace when possible."""
    pieces: list[Span] = []
    start = span.start
    while span.end - start > limit:
        aim = math.ceil((span.end - start) / math.ceil((span.end - start) / limit))
        cut = _last_space(text, start + 1, start + aim)
        if cut is None:
            cut = _last_space(text, start + aim, start + limit)
        if cut is None:
            cut = start + limit  # no whitespace at all: a hard cut is the only way to respect the limit
            pieces.append(Span(start, cut))
            start = cut
            continue
        pieces.append(Span(start, _rstrip(text, start, cut)))
        start = _lstrip(text, cut, span.end)
    pieces.append(Span(start, span.end))
    return pieces


def _last_space(text: str, lo: int, hi: int) -> int | None:
    """Index of the last whitespace character in text[lo:hi+1], or None."""
    for index in range(min(hi, len(text) - 1), lo - 1, -1):
        if text[index].isspace():
            return index
    return None


def _length(span: Span) -> int:
    return span.end - span.start


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _lstrip(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start
