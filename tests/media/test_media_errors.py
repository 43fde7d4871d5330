"""Tests for nova_toolkit.media.errors: the error names the source and the reason, and pickles."""

from __future__ import annotations

import pickle

from nova_toolkit.media import MediaError, UnsupportedMediaError


def test_mediaerror_shape_and_pickle():
    e = MediaError("a/b.png", "empty file (0 bytes)")
    assert (e.source, e.reason, str(e)) == (
        "a/b.png",
        "empty file (0 bytes)",
        "a/b.png: empty file (0 bytes)",
    )
    e2 = pickle.loads(pickle.dumps(UnsupportedMediaError("x", "y")))
    assert type(e2) is UnsupportedMediaError and str(e2) == "x: y"

