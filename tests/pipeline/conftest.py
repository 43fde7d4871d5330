"""Shared pieces of the stage tests: a store with the real local backend's settings, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nova_toolkit.collection.opening import settings_for
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import Store

SEGMENTATION = SegmentationConfig(max_chars=400, overlap_chars=40)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def store(tmp_path, local_embedder) -> Store:
    """An empty collection store with the local backend's real settings."""
    return Store.open(tmp_path / "store",
                      settings_for(local_embedder, "GENERIC_INDEX", SEGMENTATION))
