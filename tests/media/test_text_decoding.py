"""Tests for nova_toolkit.media.text: UTF-8/UTF-16, BOMs, replacement flagged, binary refused."""

from __future__ import annotations

import codecs
import random

import pytest

from nova_toolkit.media import DecodedText, MediaItem, decode_text


def test_utf8_plain_and_bom():
    item = MediaItem.from_bytes("naïve café ✓".encode(), source="u8")
    assert item.text() == DecodedText("naïve café ✓", "utf-8", False)
    item = MediaItem.from_bytes(codecs.BOM_UTF8 + "naïve café".encode(), source="bom")
    assert item.modality == "text"
    assert item.text() == DecodedText("naïve café", "utf-8-sig", False)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(encoding):
    text = "Hello, wörld — ünïcode\nsecond line"
    raw = text.encode(encoding)
    if encoding != "utf-16":  # add the BOM explicitly
        raw = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + raw
    item = MediaItem.from_bytes(raw, source="u16.txt")
    assert (item.modality, item.format) == ("text", "txt")
    assert item.text() == DecodedText(text, "utf-16", False)


def test_latin1_text_is_replaced_and_flagged(tmp_path):
    text = "Le café était très animé ce soir-là, à côté de la gare.\n" * 3
    p = tmp_path / "latin1.txt"
    p.write_bytes(text.encode("latin-1"))
    item = MediaItem.from_path(p)
    assert item.modality == "text"
    decoded = item.text()
    assert decoded.replaced is True
    assert decoded.encoding == "utf-8 (with replacement)"
    assert "\ufffd" in decoded.text and "caf\ufffd" in decoded.text
    assert item.text() is decoded  # decoded once


def test_decode_text_binary_is_none():
    assert decode_text(b"abc\x00def") is None
    assert decode_text(random.Random(3).randbytes(1000)) is None
    assert decode_text(b"") == DecodedText("", "utf-8", False)



def test_multibyte_char_across_sniff_boundary():
    from nova_toolkit.media import SNIFF_BYTES

    text = "a" * (SNIFF_BYTES - 1) + "é" + " end"
    item = MediaItem.from_bytes(text.encode(), source="edge")
    assert item.text() == DecodedText(text, "utf-8", False)

