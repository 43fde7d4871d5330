"""``verify``: check a whole collection — manifest, parts, leftovers, rows, index, derived
caches — and, with ``repair``, rebuild what is derived and quarantine what is damaged.

The store-level checks and the quarantine are :mod:`nova_toolkit.store.verify`; this module
adds the index (:func:`~.index_upkeep.index_mismatch`, rebuilt by
:meth:`~.index_upkeep.IndexUpkeep.index_client`) and runs it all, under the writer lock when
repairing so that no commit interleaves.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from nova_toolkit.collection.index_upkeep import INDEX_DIR, _read_stamp, index_mismatch
from nova_toolkit.store import CollectionNotFoundError, Store, StoreError
from nova_toolkit.store.manifest import MANIFEST
from nova_toolkit.store.verify import (
    Problem,
    VerifyReport,
    check_store,
    derived_problems,
    quarantine,
)

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit.collection.facade import Collection

__all__ = ["Problem", "VerifyReport", "open_for_verify", "verify_collection"]

#: Checks run again when another process committed meanwhile (its parts then moved on).
RETRIES = 3


def open_for_verify(path: str | os.PathLike, *,
                    repair: bool = False) -> tuple[Store | None, VerifyReport | None]:
    """The store at ``path`` to verify, or (None, a report of its one problem) when its
    manifest cannot be read (nothing else can then be checked). No manifest at all is a
    :class:`CollectionNotFoundError`."""
    root = Path(path)
    if not (root / MANIFEST).is_file():
        raise CollectionNotFoundError(f"{root}: not a collection (no {MANIFEST})")
    try:
        store = Store.open(root)
        _ = store.settings.dimension
    except (StoreError, KeyError, TypeError, ValueError) as exc:
        reason = str(exc)
        if reason.startswith(f"{root / MANIFEST}: "):
            reason = reason[len(f"{root / MANIFEST}: "):]
        report = VerifyReport(str(root), repair=repair)
        report.problems.append(Problem(str(root / MANIFEST), reason or repr(exc), "manifest"))
        return None, report
    return store, None


def verify_collection(coll: Collection, *, repair: bool = False) -> VerifyReport:
    """Check ``coll`` whole (see :mod:`nova_toolkit.store.verify`); with ``repair``, under
    the writer lock: quarantine damaged parts and the sources that lost rows, remove
    leftovers, rebuild the index and drop derived files that do not fit."""
    start = time.perf_counter()
    store = coll.store
    with store.writer() if repair else contextlib.nullcontext():
        for _ in range(RETRIES):  # without the lock a commit may land while parts are read
            store.refresh()
            report = VerifyReport(str(store.root), repair=repair)
            tables = check_store(store, report, locked=repair)
            if repair or not report.problems or _version_now(store) == store.version:
                break
        changed = False
        if repair:
            before = store.version
            quarantine(store, report, tables)
            changed = store.version != before
        intact = repair or not any(p.kind in ("part", "rows") for p in report.problems)
        if intact:
            rows = store.segments().num_rows
            derived_problems(store, report, rows, repair=repair)
            _check_index(coll, report, repair=repair, changed=changed)
        else:
            report.notes.append("index and derived caches not checked: the rows they derive "
                                "from are damaged (--repair quarantines them first)")
    report.seconds = time.perf_counter() - start
    return report


def _version_now(store: Store) -> int | None:
    """The version the manifest on disk has now (None when it cannot be read)."""
    try:
        return Store.open(store.root).version
    except StoreError:
        return None


def _check_index(coll: Collection, report: VerifyReport, *, repair: bool,
                 changed: bool) -> None:
    from nova_toolkit.vectors import local_client

    root = coll.path / INDEX_DIR
    stamp = root / "store-version.json"
    report.checked["index"] = int(root.is_dir())
    if not root.is_dir():
        report.notes.append(f"{root}: no index yet (built by the first search)")
        return
    found = None
    want = coll._index_stamp()
    recorded = _read_stamp(stamp) if stamp.is_file() else None
    if recorded == want:
        try:
            client = local_client(root)
        except Exception as exc:  # noqa: BLE001 - derived data that cannot be opened
            problem = f"it cannot be opened: {type(exc).__name__}: {exc}"
        else:
            problem = index_mismatch(client, coll.store.segments(), coll.settings.dimension)
            client.close()
        if problem is not None:
            found = Problem(str(root), f"the index does not match the collection's rows "
                            f"({problem})", "index")
            report.problems.append(found)
    elif stamp.is_file() and recorded is None:
        found = Problem(str(stamp), "unreadable stamp", "index")
        report.problems.append(found)
    elif not repair:
        report.notes.append(f"{root}: stale (store version moved on); rebuilt by the next "
                            "search")
    if repair and (found is not None or changed or recorded != want):
        coll._index = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report says it
            coll.index_client()
        if found is not None:
            found.repaired = "rebuilt from the store"
        else:
            report.notes.append(f"{root}: rebuilt from the store")
