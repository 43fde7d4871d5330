"""Tests for nova_toolkit.segment.windows: seconds_windows covers a duration in fixed windows."""

from __future__ import annotations

import pytest

from nova_toolkit.segment import seconds_windows


def test_seconds_windows():
    assert seconds_windows(12, 5) == [(0.0, 5.0), (5.0, 10.0), (10.0, 12.0)]
    assert seconds_windows(10, 5) == [(0.0, 5.0), (5.0, 10.0)]
    assert seconds_windows(0, 5) == []
    tenths = seconds_windows(0.3, 0.1)
    assert len(tenths) == 3 and [s for s, _ in tenths] == pytest.approx([0.0, 0.1, 0.2])
    assert seconds_windows(2.5, 30) == [(0.0, 2.5)]
    for duration in (0.7, 29.99, 61.0, 3600.5):
        w = seconds_windows(duration, 7)
        assert w[0][0] == 0.0 and w[-1][1] == duration
        assert all(a[1] == b[0] for a, b in zip(w, w[1:], strict=False))
        assert all(0 < e - s <= 7 for s, e in w)
    with pytest.raises(ValueError):
        seconds_windows(-1, 5)
    with pytest.raises(ValueError):
        seconds_windows(10, 0)

