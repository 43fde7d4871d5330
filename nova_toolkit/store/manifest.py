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
    if not isinstance(manifest, dict):
        raise StoreError(f"{path}: not a collection manifest (a JSON object is expected)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"{path}: format version {version!r} is not supported by this nova-toolkit "
            f"(supports ≤ {FORMAT_VERSION}); upgrade nova-toolkit"
        )
    parts = manifest.setdefault("parts", {})
    if not isinstance(parts, dict):
        raise StoreError(f"{path}: 'parts' must map each table to a list of part files")
    for table in TABLES:  # a table added since the collection was written: no parts yet
        parts.setdefault(table, [])
    check_manifest(manifest, path)
    return manifest


def check_manifest(manifest: dict, path: Path) -> None:
    """Refuse a manifest that is not what nova-toolkit writes: a collection is input from
    others (people share them), so its fields are checked before any is used. Part names
    must be plain file names, so a listed part can only be read (or, when replaced, deleted)
    inside its table's folder of this collection."""
    if not isinstance(manifest.get("settings"), dict):
        raise StoreError(f"{path}: the manifest has no settings")
    counter = manifest.get("version")
    if not isinstance(counter, int) or isinstance(counter, bool) or counter < 0:
        raise StoreError(f"{path}: the manifest's version must be a whole number ≥ 0, "
                         f"not {counter!r}")
    for table, names in manifest["parts"].items():
        if table not in TABLES:
            raise StoreError(f"{path}: unknown table {table!r} in parts (tables: "
                             f"{', '.join(TABLES)})")
        if not isinstance(names, list):
            raise StoreError(f"{path}: parts.{table} must be a list of part files")
        for name in names:
            if not is_part_name(name):
                raise StoreError(f"{path}: parts.{table} lists {name!r}, which is not a part "
                                 "file name (parts are plain *.parquet names inside the "
                                 f"collection's {table}/ folder)")
        if len(set(names)) != len(names):
            raise StoreError(f"{path}: parts.{table} lists a part twice")


def is_part_name(name: object) -> bool:
    """A plain ``*.parquet`` file name: no folder, no ``..``, nothing a path could escape by."""
    return (isinstance(name, str) and name.endswith(".parquet") and len(name) <= 255
            and name == os.path.basename(name) and "/" not in name and "\\" not in name
            and not name.startswith(".") and "\x00" not in name
            and all(c.isprintable() for c in name))


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
