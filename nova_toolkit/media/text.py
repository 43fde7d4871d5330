"""Text decoding: whether bytes are text, and how they decode (an honest note of any loss).

Detection (:mod:`nova_toolkit.media.detection`) judges the first :data:`SNIFF_BYTES` with
the same rules :func:`decode_text` applies to the whole content.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

#: How many leading bytes the sniffers look at (text detection samples this much too).
SNIFF_BYTES = 64 * 1024
_TEXT_MIN_PRINTABLE = 0.90


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with an honest note of how.

    Attributes
    ----------
    text : str
        The decoded text (a BOM is removed).
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"`` or ``"utf-8 (with replacement)"``.
    replaced : bool
        True when undecodable bytes were replaced with U+FFFD; a row built from this text
        must say so.
    """

    text: str
    encoding: str
    replaced: bool


def _printable_ratio(s: str) -> float:
    """Share of characters that are printable or whitespace (U+FFFD and NUL count as bad)."""
    if not s:
        return 1.0
    good = 0
    for ch in s:
        if ch == "\ufffd" or ch == "\x00":
            continue
        if ch.isprintable() or ch in "\t\n\r\f\v":
            good += 1
    return good / len(s)


def _looks_like_text(s: str) -> bool:
    return "\x00" not in s and _printable_ratio(s) >= _TEXT_MIN_PRINTABLE


def _decode_prefix(data: bytes, encoding: str) -> tuple[str, bool]:
    """Decode a prefix that may end inside a multi-byte sequence.

    Returns the text and whether it decoded strictly.
    """
    try:
        dec = codecs.getincrementaldecoder(encoding)("strict")
        return dec.decode(data, final=False), True
    except UnicodeDecodeError:
        dec = codecs.getincrementaldecoder(encoding)("replace")
        return dec.decode(data, final=False), False


def _sniff_text_encoding(sample: bytes) -> str | None:
    """Which decoding :func:`decode_text` will use for data starting with ``sample``.

    Returns ``None`` when the bytes are binary (not text).
    """
    if sample.startswith(codecs.BOM_UTF8):
        text, _ = _decode_prefix(sample[3:], "utf-8")
        return "utf-8-sig" if _looks_like_text(text) else None
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, _ = _decode_prefix(sample, "utf-16")
        return "utf-16" if _looks_like_text(text) else None
    if b"\x00" in sample:
        return None
    text, strict = _decode_prefix(sample, "utf-8")
    if strict:
        return "utf-8" if _looks_like_text(text) else None
    # Not UTF-8. Judge "is this text?" on the kinder of two lenient decodes: UTF-8 with
    # replacement, or Latin-1 (where every byte is a character, so accented prose in a legacy
    # 8-bit encoding still reads as printable while random bytes do not: ~24 % of byte values
    # are control characters).
    if _looks_like_text(text) or _looks_like_text(sample.decode("latin-1")):
        return "utf-8 (with replacement)"
    return None


def decode_text(data: bytes) -> DecodedText | None:
    """Decode ``data`` as text, or return ``None`` when it is binary.

    UTF-8 (a BOM is stripped → ``"utf-8-sig"``) and UTF-16 with a BOM decode as such. Other
    bytes count as text when they hold no NUL and at least ~90 % of the leniently decoded
    characters are printable or whitespace (e.g. Latin-1 prose); they are decoded as UTF-8 with
    ``errors="replace"`` and flagged ``replaced=True`` so nothing silently changes.
    """
    data = bytes(data)
    if not data:
        return DecodedText("", "utf-8", False)
    if data.startswith(codecs.BOM_UTF8):
        body = data[3:]
        try:
            return DecodedText(body.decode("utf-8"), "utf-8-sig", False)
        except UnicodeDecodeError:
            text = body.decode("utf-8", errors="replace")
            return (
                DecodedText(text, "utf-8 (with replacement)", True)
                if _looks_like_text(text[:SNIFF_BYTES])
                else None
            )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, replaced = data.decode("utf-16"), False
        except UnicodeDecodeError:
            text, replaced = data.decode("utf-16", errors="replace"), True
        return (
            DecodedText(text, "utf-16", replaced) if _looks_like_text(text[:SNIFF_BYTES]) else None
        )
    if _sniff_text_encoding(data[:SNIFF_BYTES]) is None:
        return None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        return DecodedText(data.decode("utf-8", errors="replace"), "utf-8 (with replacement)", True)
