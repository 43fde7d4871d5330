"""The manifest: ``manifest.json`` names the format version, the settings, the live parts of
each table and a version counter. It is swapped atomically, so a reader always sees a
complete list of complete parts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nova_toolkit._core.atomic import atomic_write_bytes

from .errors import StoreError
from .schemas import TABLES

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"


def new_manifest(settings: dict) -> dict:
    """The manifest of an empty collection with ``settings`` (a settings dict)."""
    now = time.time()
    return {
        "format_version": FORMAT_VERSION,
        "settings": settings,
        "version": 0,
        "created_at": now,
        "updated_at": now,
        "parts": {t: [] for t in TABLES},
    }


def read_manifest(path: Path) -> dict:
    """Read and check a manifest; :class:`StoreError` when unreadable or too new."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable manifest ({exc})") from exc
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"{path}: format version {version!r} is not supported by this nova-toolkit "
            f"(supports ≤ {FORMAT_VERSION}); upgrade nova-toolkit"
        )
    return manifest


def write_manifest(root: Path, manifest: dict) -> None:
    """Swap ``root``'s manifest for ``manifest`` atomically."""
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    atomic_write_bytes(root / MANIFEST, data)
