"""Helpers of the stage tests (a module of its own: ``conftest`` names clash across test folders)."""

from __future__ import annotations

from pathlib import Path

from nova_toolkit.segment import SegmentationConfig

SEGMENTATION = SegmentationConfig(max_chars=400, overlap_chars=40)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path
