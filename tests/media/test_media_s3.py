"""Tests for nova_toolkit.media.s3: s3:// URIs parsed; MediaItem.from_s3 refuses a bad one."""

from __future__ import annotations

import pytest

from nova_toolkit.media import MediaError, MediaItem, parse_s3_uri


def test_parse_s3_uri():
    assert parse_s3_uri("s3://bucket/a/b.mp4") == ("bucket", "a/b.mp4")
    with pytest.raises(ValueError):
        parse_s3_uri("s3://bucket-only")
    with pytest.raises(MediaError):
        MediaItem.from_s3("https://example.com/x.png", client=object())

