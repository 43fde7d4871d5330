"""Tests for nova_toolkit.segment.segments: Segment.to_dict, SegmentationConfig checks and key."""

from __future__ import annotations

import json

import pytest

from nova_toolkit.segment import Segment, SegmentationConfig


def test_segment_to_dict():
    s = Segment(3, "hi", 4, 6)
    assert s.to_dict() == {
        "index": 3,
        "start_s": None,
        "end_s": None,
        "page": None,
        "char_start": 4,
        "char_end": 6,
    }


# ---------------------------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"max_chars": 0}, "max_chars"),
        ({"max_chars": -3}, "max_chars"),
        ({"max_chars": 10, "overlap_chars": 10}, "overlap_chars"),
        ({"max_chars": 10, "overlap_chars": -1}, "overlap_chars"),
        ({"max_chars": 10, "segment_seconds": 0.5}, "segment_seconds"),
        ({"max_chars": 10, "segment_seconds": 31}, "segment_seconds"),
        ({"max_chars": 10, "segment_seconds": float("nan")}, "segment_seconds"),
        ({"max_chars": 2.5}, "max_chars"),
        ({"max_chars": True}, "max_chars"),
        ({"max_chars": 10, "embedding_mode": "COMBINED"}, "embedding_mode"),
    ],
)
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SegmentationConfig(**kwargs)


def test_config_key_stable_and_distinct():
    a = SegmentationConfig(max_chars=1000, overlap_chars=100, segment_seconds=5)
    b = SegmentationConfig(1000, 100, 5.0)
    assert a == b and a.key() == b.key()
    assert a.key() == ('{"embedding_mode":"AUDIO_VIDEO_COMBINED","max_chars":1000,'
                       '"overlap_chars":100,"segment_seconds":5.0}')
    assert json.loads(a.key()) == a.to_dict()
    assert SegmentationConfig(1000).key() != a.key()
    assert SegmentationConfig(1000, 100, 6).key() != a.key()
    assert SegmentationConfig(1000, 100, 5, "AUDIO_VIDEO_SEPARATE").key() != a.key()
    assert SegmentationConfig(1, 0, 1).segment_seconds == 1.0
    assert SegmentationConfig(10, segment_seconds=30).segment_seconds == 30.0

