"""Files derived from a collection's rows (``<collection>/derived/``): how they are written,
read back and checked.

A derived file (a 2-D map, a kNN graph) is a cache, so it is never trusted blindly: a file can
be cut short, damaged, hand-edited, or copied from another collection. Each is an ``.npz``
holding its arrays and a JSON header (:data:`META`) naming the kind, the store
:func:`fingerprint` it was made from (store version + the segment parts, whose names are
unique, so two collections never share one), the row count and its params. Reading
(:func:`read_derived`) checks the header against the store and every array against its
kind's :data:`KINDS` pattern; anything else is a :class:`DerivedFileError` (the caller warns
and rebuilds). The analysis room keys and fills these files; ``verify`` checks them.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nova_toolkit._core.atomic import atomic_write_bytes

from .errors import StoreError

DERIVED_DIR = "derived"
META = "__meta__"
FORMAT = 1

#: Array patterns per kind: ``name -> (shape, dtype kind, rule)``. A shape is a tuple of
#: ints and names; ``"rows"`` is the store's row count, other names must agree across arrays.
#: Rules: ``finite`` (no NaN nor infinity), ``no-nan``, ``row-ids`` (-1 or a row number).
KINDS: dict[str, dict[str, tuple[tuple, str, str]]] = {
    "projection": {"coords": (("rows", 2), "f", "finite")},
    "knn": {"ids": (("rows", "k"), "i", "row-ids"), "dist": (("rows", "k"), "f", "no-nan")},
}


class DerivedFileError(StoreError):
    """A derived file that does not fit the collection (unreadable, another store, wrong
    shape); it is ignored and rebuilt, never used."""


class StaleDerivedFile(DerivedFileError):
    """A derived file made for an older version of this collection (or by an older
    nova-toolkit): harmless, never read, dead weight."""


def fingerprint(version: int, segment_parts: list[str], dimension: int) -> str:
    """What a derived file must have been made from: this store version of these rows."""
    blob = json.dumps([version, sorted(segment_parts), dimension])
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def write_derived(path: Path, kind: str, arrays: dict[str, np.ndarray], *, print_: str,
                  version: int, rows: int, params: dict) -> None:
    """Write ``arrays`` as derived file ``path`` (atomic), with the header that ties them
    to store fingerprint ``print_``."""
    meta = {"format": FORMAT, "kind": kind, "fingerprint": print_, "version": version,
            "rows": rows, "params": params}
    buf = io.BytesIO()
    np.savez(buf, **arrays, **{META: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())


def read_meta_and_arrays(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of a derived file, read whole (zip CRCs checked);
    :class:`DerivedFileError` when it cannot be, :class:`StaleDerivedFile` for an older
    format's file."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
        if not magic.startswith((b"PK\x03\x04", b"\x93NUMPY")):
            raise DerivedFileError(f"{path}: unreadable (not a NumPy .npz file)")
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):  # a bare .npy, as maps once were
            raise StaleDerivedFile(f"{path}: written by an older nova-toolkit (no header)")
        with z:
            arrays = {name: z[name] for name in z.files}
    except DerivedFileError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DerivedFileError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    if META not in arrays:
        raise StaleDerivedFile(f"{path}: written by an older nova-toolkit (no header)")
    try:
        meta = json.loads(arrays.pop(META).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DerivedFileError(f"{path}: unreadable header ({exc})") from None
    if not isinstance(meta, dict):
        raise DerivedFileError(f"{path}: unreadable header (not an object)")
    return meta, arrays


def check_derived(path: Path, meta: dict, arrays: dict[str, np.ndarray], *, print_: str,
                  version: int, rows: int, kind: str | None = None,
                  params: dict | None = None) -> None:
    """Raise :class:`DerivedFileError` unless the file fits the store as it is now."""
    made = meta.get("version")
    if meta.get("fingerprint") != print_:
        if isinstance(made, int) and not isinstance(made, bool) and made < version:
            raise StaleDerivedFile(f"{path}: made for store version {made}, now {version}")
        raise DerivedFileError(f"{path}: made for another collection or store (its "
                               "fingerprint is not this collection's)")
    if meta.get("format") != FORMAT:
        raise DerivedFileError(f"{path}: format {meta.get('format')!r} is not {FORMAT}")
    if kind is not None and meta.get("kind") != kind:
        raise DerivedFileError(f"{path}: holds a {meta.get('kind')!r}, not a {kind!r}")
    if params is not None and meta.get("params") != json.loads(json.dumps(params)):
        raise DerivedFileError(f"{path}: made with other parameters")
    if meta.get("rows") != rows:
        raise DerivedFileError(f"{path}: made for {meta.get('rows')!r} rows, the store has "
                               f"{rows}")
    pattern = KINDS.get(meta.get("kind"))
    if pattern is None:
        raise DerivedFileError(f"{path}: unknown kind {meta.get('kind')!r}")
    sizes: dict[str, int] = {"rows": rows}
    for name, (shape, dtype, rule) in pattern.items():
        array = arrays.get(name)
        if array is None:
            raise DerivedFileError(f"{path}: has no {name!r} array")
        if array.dtype.kind != dtype or array.ndim != len(shape):
            raise DerivedFileError(f"{path}: {name} is {array.dtype}{list(array.shape)}, "
                                   f"not {dtype}-typed {list(shape)}")
        for want, got in zip(shape, array.shape, strict=True):
            want = sizes.setdefault(want, got) if isinstance(want, str) else want
            if want != got:
                raise DerivedFileError(f"{path}: {name} has shape {list(array.shape)}, "
                                       f"expected {[sizes.get(s, s) for s in shape]}")
        _check_values(path, name, array, rule, rows)


def _check_values(path: Path, name: str, array: np.ndarray, rule: str, rows: int) -> None:
    if rule == "finite" and not np.isfinite(array).all():
        raise DerivedFileError(f"{path}: {name} holds NaN or infinite values")
    if rule == "no-nan" and np.isnan(array).any():
        raise DerivedFileError(f"{path}: {name} holds NaN values")
    if rule == "row-ids" and array.size and (array.min() < -1 or array.max() >= rows):
        raise DerivedFileError(f"{path}: {name} names rows outside 0..{rows - 1}")


def read_derived(path: Path, kind: str, *, print_: str, version: int, rows: int,
                 params: dict | None = None) -> dict[str, np.ndarray]:
    """The arrays of derived file ``path`` when it fits the store now; else
    :class:`DerivedFileError` (:class:`StaleDerivedFile` when it is merely old)."""
    meta, arrays = read_meta_and_arrays(path)
    check_derived(path, meta, arrays, print_=print_, version=version, rows=rows, kind=kind,
                  params=params)
    return arrays


def derived_problem(path: Path, *, print_: str, version: int, rows: int) -> Any:
    """For ``verify``: None when ``path`` fits the store, else its :class:`DerivedFileError`."""
    if path.name.startswith("."):
        return StaleDerivedFile(f"{path}: a temporary file left by an interrupted write")
    try:
        meta, arrays = read_meta_and_arrays(path)
        check_derived(path, meta, arrays, print_=print_, version=version, rows=rows)
    except DerivedFileError as exc:
        return exc
    return None
