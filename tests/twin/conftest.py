"""A twin on a free port of 127.0.0.1, started and stopped per test."""

from __future__ import annotations

import pytest
from twin_helpers import start_twin


@pytest.fixture
def twin(tmp_path):
    t = start_twin(tmp_path)
    yield t
    t.stop()
