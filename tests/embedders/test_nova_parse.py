"""Reading ``truncatedCharLength``: absent or 0 is "not truncated", n is "n characters kept"."""

from __future__ import annotations

import json
import warnings

import pytest

from nova_toolkit.embedders import Embedding
from nova_toolkit.embedders.nova.parse import jsonl_rows, sync_embeddings, truncated_chars
from nova_toolkit.embedders.nova.text_limits import (
    TextTruncatedWarning,
    fit_query_text,
    fit_text_segments,
)
from nova_toolkit.segment import Segment, chunk_text


def test_truncated_chars_reading():
    assert truncated_chars(None, 500) == 0
    assert truncated_chars(0, 500) == 0  # AWS's demo output: 0 on an untruncated segment
    assert truncated_chars(500, 500) == 0
    assert truncated_chars(8192, 9000) == 808
    assert truncated_chars(10, None) == 0


def test_sync_zero_and_real_truncation():
    emb = {"embeddingType": "TEXT", "embedding": [1.0, 0.0]}
    (whole,) = sync_embeddings({"embeddings": [emb]}, 0, snippet="abc", text_len=3)
    (zero,) = sync_embeddings({"embeddings": [{**emb, "truncatedCharLength": 0}]}, 0,
                              snippet="abc", text_len=3)
    (cut,) = sync_embeddings({"embeddings": [{**emb, "truncatedCharLength": 32768}]}, 0,
                             text_len=40000)
    assert (whole.truncated_chars, zero.truncated_chars, cut.truncated_chars) == (0, 0, 7232)


def test_async_jsonl_zero_is_not_truncated():
    text = "x" * 794 + " " + "y" * 40000
    lines = [  # the first line as AWS's demo output shows it
        {"embedding": [0.0, 1.0], "status": "SUCCESS", "segmentMetadata": {
            "segmentIndex": 0, "truncatedCharLength": 0, "segmentStartCharPosition": 0,
            "segmentEndCharPosition": 794}},
        {"embedding": [1.0, 0.0], "status": "SUCCESS", "segmentMetadata": {
            "segmentIndex": 1, "truncatedCharLength": 32768, "segmentStartCharPosition": 795,
            "segmentEndCharPosition": 40795}},
    ]
    body = "\n".join(json.dumps(x) for x in lines).encode()
    first, second = jsonl_rows(body, "TEXT", text=text)
    assert isinstance(first, Embedding) and first.truncated_chars == 0
    assert first.snippet == "x" * 794
    assert second.truncated_chars == 40000 - 32768


def test_fit_text_segments_spans_and_pages():
    text = ("word " * 4000).strip()  # 19,999 chars
    segs = [Segment(0, "short page", 0, 10, page=1), Segment(1, text, 0, len(text), page=2)]
    fitted = fit_text_segments(segs)
    assert [s.index for s in fitted] == list(range(len(fitted)))
    assert fitted[0].text == "short page" and fitted[0].page == 1
    assert all(len(s.text) <= 8192 for s in fitted) and len(fitted) == 4
    assert all(s.page == 2 and s.text == text[s.char_start:s.char_end] for s in fitted[1:])
    assert fitted[1].char_start == 0 and fitted[-1].char_end == len(text)
    assert fit_text_segments(segs[:1]) == segs[:1]
    # offsets are relative to the text the long segment came from
    shifted = fit_text_segments([Segment(0, text, 100, 100 + len(text))])
    assert shifted[0].char_start == 100 and shifted[-1].char_end == 100 + len(text)
    assert [s.char_start - 100 for s in shifted] == [c.char_start for c in
                                                     chunk_text(text, max_chars=8192)]


def test_fit_query_text():
    long = "a" * 9000
    with pytest.warns(TextTruncatedWarning, match="last 809 characters"):
        assert fit_query_text(long + "b", "END") == "a" * 8192
    with pytest.warns(TextTruncatedWarning, match="first 809"):
        assert fit_query_text(long + "b", "START").endswith("b")
    with pytest.raises(ValueError, match="truncation is NONE"):
        fit_query_text(long, "NONE")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_query_text("short", "NONE") == "short"
