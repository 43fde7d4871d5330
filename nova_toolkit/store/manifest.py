"""The manifest: ``manifest.json`` names the format version, the settings, the live parts of
each table, a version counter and the library root. It is swapped atomically, so a reader
always sees a complete list of complete parts.

The **library root** (``media_root``) is the folder local source keys are relative to
(:mod:`nova_toolkit.media.library`), recorded at a collection's first add of local files:
``{"relative": path from the collection directory, "absolute": path}``. The relative form
keeps a collection and its media working when they move together; the absolute one when
the collection moves alone.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from nova_toolkit._core.atomic import atomic_write_bytes

from .errors import StoreError
from .schemas import TABLES

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"
#: Manifest entry of the library root (absent until the first add of local files).
MEDIA_ROOT = "media_root"


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
    parts = manifest.setdefault("parts", {})
    for table in TABLES:  # a table added since the collection was written: no parts yet
        parts.setdefault(table, [])
    return manifest


def write_manifest(root: Path, manifest: dict) -> None:
    """Swap ``root``'s manifest for ``manifest`` atomically."""
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    atomic_write_bytes(root / MANIFEST, data)


def media_root_entry(root: str, collection_dir: str | os.PathLike) -> dict:
    """The manifest's ``media_root`` entry for absolute ``root`` of the collection at
    ``collection_dir``: relative to the collection directory when possible, and absolute."""
    entry = {"absolute": root}
    try:
        rel = os.path.relpath(root, os.path.realpath(collection_dir))
    except ValueError:  # another drive (Windows): absolute only
        return entry
    entry["relative"] = rel.replace(os.sep, "/")
    return entry


def media_root_candidates(entry: dict | None, collection_dir: str | os.PathLike) -> list[str]:
    """Where the library root recorded as ``entry`` may be now, best first: relative to the
    collection directory as it is now, then the absolute path. Empty when none is recorded."""
    if not isinstance(entry, dict):
        return []
    out = []
    rel = entry.get("relative")
    if isinstance(rel, str):
        here = os.path.realpath(collection_dir)
        out.append(os.path.realpath(os.path.join(here, rel.replace("/", os.sep))))
    absolute = entry.get("absolute")
    if isinstance(absolute, str) and os.path.isabs(absolute) and absolute not in out:
        out.append(absolute)
    return out
