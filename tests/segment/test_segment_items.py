"""Tests for nova_toolkit.segment.items: segment_item per modality; HTML cut by its visible text."""

from __future__ import annotations

import io

from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment, SegmentationConfig, segment_item


def test_segment_item_text_and_other_modalities():
    item = MediaItem.from_bytes(b"alpha beta gamma delta", source="t.txt")
    segs = segment_item(item, SegmentationConfig(max_chars=11))
    assert [s.text for s in segs] == ["alpha beta", "gamma delta"]
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 1)).save(buf, format="PNG")
    img = MediaItem.from_bytes(buf.getvalue(), source="pic.png")
    assert segment_item(img, SegmentationConfig(max_chars=11)) == [Segment(0)]


def test_segment_item_latin1_offsets_index_decoded_text():
    raw = "café au lait, très bon".encode("latin-1")
    item = MediaItem.from_bytes(raw, source="l1.txt")
    decoded = item.text().text
    for s in segment_item(item, SegmentationConfig(max_chars=8)):
        assert decoded[s.char_start : s.char_end] == s.text



def test_html_is_segmented_by_its_visible_text():
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import html_to_text, item_text

    page = (b"<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>"
            b"<body><h1>Rockets</h1><p>A rocket\n  reaches orbit.</p><script>var x=1;</script>"
            b"<p>Stages &amp; engines.</p></body></html>")
    item = MediaItem.from_bytes(page, source="page.html", filename="page.html")
    text = item_text(item)
    assert text == "Rockets\n\nA rocket reaches orbit.\n\nStages & engines."
    assert html_to_text("<p>x</p>") == "x"
    segs = segment_item(item, SegmentationConfig(max_chars=1000))
    assert [s.text for s in segs] == [text]
    assert "<" not in segs[0].text and "color" not in segs[0].text
