"""Bytes to the text that is stored, and text to what is safe to store and to print.

Decoding tries, in order: a byte-order mark; UTF-16 without one (recognised by its zero bytes); a declared
charset (HTML meta); UTF-8, repairing a few invalid bytes as U+FFFD when most of the non-ASCII text is valid
UTF-8; Windows-1252 (Latin-1 German); charset-normalizer for other legacy encodings. Cleaning then removes
what no article means and a terminal would obey (NUL, control characters, ANSI escape sequences), replaces
lone surrogates, and normalises to NFC, so stored text, quotes and their offsets agree however the bytes
spelled an umlaut.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

MAX_CONTROL_SHARE = 0.05  # above this share of control characters a "text" is really binary data
MIN_UTF16_ZERO_SHARE = 0.4  # UTF-16 of Latin text: at least this share of its high bytes are zero ...
MAX_UTF16_STRAY_ZERO_SHARE = 0.02  # ... and almost none of its low bytes

# An escape sequence (CSI, OSC/DCS/... strings, two-character escapes) or an 8-bit CSI: removed whole, so no
# "[31m" is left behind. A string sequence only counts up to its terminator on the same line.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_UNWANTED_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all C0 and C1 but tab and newline
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins real pairs, so any left is alone
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")  # can make printed text read backwards
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # what counts towards "binary"
_LETTER = re.compile(r"[^\W\d_]")


def decode_bytes(data: bytes, *, declared: str | None = None) -> str:
    """Decode a file's bytes to the text that is stored (see the module docstring), cleaned.

    Raises ValueError with a reason for binary or undecodable data.
    """
    text = _decode_with_bom(data)
    if text is None:
        text = _decode_utf16_without_bom(data)
    if text is None:
        text = _decode_without_bom(data, declared)
    _check_looks_like_text(text)
    return clean_text(text)


def is_wide_unicode(head: bytes) -> bool:
    """Whether bytes starting a file are UTF-16 or UTF-32 (by BOM or zero bytes): such a file cannot be cut
    into lines at ``\\n`` bytes, so record files in it are read whole."""
    boms = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    if head.startswith(boms):
        return True
    even = len(head) // 2 * 2  # a cut head may end inside a surrogate pair: try one code unit shorter too
    return any(_decode_utf16_without_bom(head[:end]) is not None for end in (even, even - 2) if end >= 4)


def clean_text(text: str) -> str:
    """Text as stored: ``\\n`` newlines, no control characters but tab and newline, no escape sequences,
    lone surrogates as U+FFFD, NFC. Idempotent."""
    text = normalize_newlines(text)
    text = _UNWANTED_CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def printable(text: str) -> str:
    """Text safe to print on a terminal: cleaned, and without bidi overrides that reorder what is shown."""
    return _BIDI_CONTROL.sub("", clean_text(text))


def has_lone_surrogate(text: str) -> bool:
    """Whether `text` holds a surrogate code point (not valid Unicode: it cannot be encoded or stored)."""
    return _LONE_SURROGATE.search(text) is not None


def has_control_character(text: str) -> bool:
    """Whether `text` holds a control character (tab and newline included: for one-line values like ids)."""
    return _ANY_CONTROL.search(text) is not None


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- with a byte-order mark

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_with_bom(data: bytes) -> str | None:
    """Text decoded by its byte-order mark (which is dropped), or None when there is no BOM."""
    for bom, encoding in _BOMS:
        if not data.startswith(bom):
            continue
        body = data[len(bom) :]
        if encoding == "utf-8" and (text := _mostly_utf8(body)) is not None:
            return text
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as error:
            raise ValueError(f"undecodable: has a {encoding} byte-order mark but {error}") from None
    return None


# --------------------------------------------------------------------------- without one


def _decode_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: Latin script puts a zero in every other byte (high bytes), never between."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0) / (len(data) // 2), data[1::2].count(0) / (len(data) // 2)
    if odd >= MIN_UTF16_ZERO_SHARE and even <= MAX_UTF16_STRAY_ZERO_SHARE:
        return _try_decode(data, "utf-16-le")
    if even >= MIN_UTF16_ZERO_SHARE and odd <= MAX_UTF16_STRAY_ZERO_SHARE:
        return _try_decode(data, "utf-16-be")
    return None


def _decode_without_bom(data: bytes, declared: str | None) -> str:
    """Try the declared charset, UTF-8 (repaired if mostly valid), Windows-1252 (Latin-1 for its five
    undefined bytes), then charset-normalizer for what Windows-1252 turns into mojibake."""
    for encoding in (_known_codec(declared), "utf-8"):
        if encoding and (text := _try_decode(data, encoding)) is not None:
            return text
    if (text := _mostly_utf8(data)) is not None:
        return text
    text = data.decode("cp1252", errors=_LATIN1_FOR_UNDEFINED)
    plausible = _control_share(text) <= MAX_CONTROL_SHARE
    if plausible and not _looks_like_mojibake(text):
        return text
    detected = _detect(data)
    if detected is not None:
        return detected
    if plausible:
        return text
    if b"\x00" in data:
        raise ValueError("binary data (contains NUL bytes), not text")
    raise ValueError("undecodable: not UTF-8, Windows-1252/Latin-1 or another recognisable encoding")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with its few invalid bytes as U+FFFD, when valid UTF-8 characters outnumber the invalid bytes.

    Text in a legacy encoding has (almost) no valid multi-byte UTF-8 sequences, so it is never taken for
    damaged UTF-8; a UTF-8 article with a few broken bytes keeps every other umlaut instead of becoming
    mojibake as a whole.
    """
    escaped = data.decode("utf-8", errors="surrogateescape")
    invalid = len(_LONE_SURROGATE.findall(escaped))
    valid = len(escaped) - len(escaped.encode("ascii", errors="ignore")) - invalid
    if invalid and valid > invalid:
        return data.decode("utf-8", errors="replace")
    return None


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) as Latin-1 does."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return bytes(error.object[error.start : error.end]).decode("latin-1"), error.end


_LATIN1_FOR_UNDEFINED = "assistant-latin1-for-undefined"
codecs.register_error(_LATIN1_FOR_UNDEFINED, _latin1_for_undefined)


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):  # LookupError: a declared non-text codec like "base64"
        return None


def _known_codec(name: str | None) -> str | None:
    """A Python codec for a declared charset; Latin-1/ASCII mean Windows-1252, as browsers read them."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _looks_like_mojibake(text: str) -> bool:
    """True when most letters are non-ASCII: Cyrillic or Greek read as Windows-1252, not German."""
    letters = _LETTER.findall(text[:100_000])
    if len(letters) < 20:
        return False
    return sum(not c.isascii() for c in letters) / len(letters) > 0.5


def _detect(data: bytes) -> str | None:
    """charset-normalizer's guess if it recognised a language in it (it 'decodes' any junk), else None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None and best.coherence > 0 else None


def _check_looks_like_text(text: str) -> None:
    """Refuse decoded 'text' that is mostly NUL and control characters (a renamed image or archive)."""
    share = _control_share(_ESCAPE_SEQUENCE.sub("", text))  # coloured terminal output is still text
    if share > MAX_CONTROL_SHARE:
        raise ValueError(f"binary data ({share:.0%} NUL and control characters), not text")


def _control_share(text: str) -> float:
    """Share of control characters other than tab, newline, carriage return, vertical tab and form feed."""
    return sum(1 for _ in _CONTROL.finditer(text)) / len(text) if text else 0.0
