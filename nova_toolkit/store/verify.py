"""Checking a whole collection on disk, and repairing what can be repaired without losing data.

:func:`check_store` reads every listed part as :func:`~.parts.read_part` does (page checksums,
vector lengths), looks for part files the manifest does not list (left by an interrupted
commit), compares the tables with each other (an item's ``n_segments`` against the vector rows
its source holds) and checks every ``derived/`` file against the store
(:mod:`.derived_files`). Each finding is a :class:`Problem` naming the file and the reason.

:func:`quarantine` (under the writer lock) never deletes what was stored: damaged parts are
moved to ``<collection>/quarantine/<timestamp>/<table>/``, the intact rows of every source that
lost rows are saved there too, and one commit (an atomic manifest swap, through
:meth:`Store.commit`) drops those parts and sources, so the next ``embed`` of the same folder
re-embeds exactly those files. The index is checked and rebuilt one room up
(:mod:`nova_toolkit.collection.verify`).
"""

from __future__ import annotations

import collections
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .derived_files import DERIVED_DIR, StaleDerivedFile, derived_problem
from .errors import PartError
from .manifest import LOCK
from .parts import read_part, read_part_sources
from .schemas import TABLES
from .store import Store

QUARANTINE_DIR = "quarantine"


@dataclass
class Problem:
    """One thing wrong with a collection: ``path`` (a file) and ``reason``; ``kind`` is
    ``manifest``, ``part``, ``leftover``, ``rows``, ``index`` or ``derived``; ``repaired``
    says what ``--repair`` did about it (None: nothing, it remains)."""

    path: str
    reason: str
    kind: str
    table: str | None = None
    sources: list[str] = field(default_factory=list)
    repaired: str | None = None


@dataclass
class VerifyReport:
    """What :meth:`Collection.verify` found (and, with ``repair``, did)."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    repair: bool = False
    quarantine: str | None = None
    lost_sources: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def remaining(self) -> list[Problem]:
        """The problems still there (all of them without ``repair``)."""
        return [p for p in self.problems if p.repaired is None]

    @property
    def sound(self) -> bool:
        return not self.remaining

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sound"] = self.sound
        return d


def writer_at_work(root: Path) -> bool:
    """Whether another process holds the collection's writer lock right now."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(root / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def check_store(store: Store, report: VerifyReport, *, locked: bool) -> dict[str, pa.Table]:
    """Add to ``report`` every problem of ``store``'s parts, leftovers and rows; the tables as
    read from their intact parts. ``locked``: the caller holds the writer lock (otherwise
    unlisted parts may be a commit in progress)."""
    root = store.root
    manifest = store.manifest
    tables: dict[str, pa.Table] = {}
    for name in TABLES:
        schema = store._schema(name)
        read = []
        for part in manifest["parts"][name]:
            try:
                read.append(read_part(root / name / part, schema))
            except PartError as exc:
                report.problems.append(Problem(str(exc.path), _reason(exc), "part", name))
        report.checked[name] = len(manifest["parts"][name])
        tables[name] = pa.concat_tables(read) if read else schema.empty_table()
    leftovers = store.garbage()
    busy = not locked and leftovers and writer_at_work(root)
    for path in leftovers:
        if busy:
            report.notes.append(f"{path}: not listed in the manifest; a writer is at work, so "
                                "it may be the commit in progress")
        else:
            report.problems.append(Problem(
                str(path), "not listed in the manifest (left by an interrupted commit)",
                "leftover", path.parent.name))
    if not any(p.kind == "part" for p in report.problems):
        report.problems.extend(row_problems(root, tables["items"], tables["segments"]))
    return tables


def _reason(exc: PartError) -> str:
    text = str(exc)
    return text[len(f"{exc.path}: "):] if text.startswith(f"{exc.path}: ") else text


def row_problems(root: Path, items: pa.Table, segments: pa.Table) -> list[Problem]:
    """Sources whose rows disagree across tables: fewer or more vector rows than the item
    says, vector rows without an item."""
    held = collections.Counter(segments.column("source").to_pylist())
    out = []
    listed = set()
    for source, n in zip(items.column("source").to_pylist(),
                         items.column("n_segments").to_pylist(), strict=True):
        listed.add(source)
        if n is not None and held.get(source, 0) != n:
            out.append(Problem(str(root / "segments"), f"source {source!r}: its item says {n} "
                               f"vector rows, the segments hold {held.get(source, 0)}", "rows",
                               "segments", [source]))
    for source in sorted(set(held) - listed):
        out.append(Problem(str(root / "items"), f"source {source!r}: {held[source]} vector rows "
                           "but no item row", "rows", "items", [source]))
    return out


def derived_problems(store: Store, report: VerifyReport, rows: int, *, repair: bool) -> None:
    """Check every ``derived/`` file against the store; with ``repair`` remove those that do
    not fit (derived data: rebuilt on next use) and prune stale ones."""
    folder = store.root / DERIVED_DIR
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    report.checked["derived"] = len(files)
    stale = 0
    for path in files:
        problem = derived_problem(path, print_=store.fingerprint, version=store.version,
                                  rows=rows)
        if problem is None:
            continue
        if isinstance(problem, StaleDerivedFile):
            stale += 1
            if repair:
                path.unlink(missing_ok=True)
            continue
        reason = str(problem)[len(f"{path}: "):]
        found = Problem(str(path), reason, "derived")
        if repair:
            path.unlink(missing_ok=True)
            found.repaired = "removed (a cache: rebuilt on next use)"
        report.problems.append(found)
    if stale:
        report.notes.append(f"{folder}: {stale} stale cache file(s) of older versions "
                            + ("removed" if repair else "(never read; --repair removes them)"))


def quarantine(store: Store, report: VerifyReport, tables: dict[str, pa.Table]) -> None:
    """Under the writer lock: move damaged parts aside, save the intact rows of the sources
    that lost rows next to them, and commit a manifest without both; remove leftovers."""
    damaged: dict[str, list[str]] = collections.defaultdict(list)
    lost: set[str] = set()
    unknown: list[str] = []
    for p in report.problems:
        if p.kind == "leftover" and p.repaired is None:
            try:
                os.unlink(p.path)
            except FileNotFoundError:
                pass
            except OSError as exc:  # a folder, a file we may not remove: left as it is
                report.notes.append(f"{p.path}: not removed ({exc.strerror or exc})")
                continue
            p.repaired = "removed (no manifest lists it)"
        elif p.kind == "rows":
            lost.update(p.sources)
        elif p.kind == "part":
            damaged[p.table].append(Path(p.path).name)
    if not damaged and not lost:
        return
    folder = _new_folder(store.root / QUARANTINE_DIR)
    for table, names in damaged.items():
        for name in names:
            path = store.root / table / name
            try:
                held = read_part_sources(path)
            except PartError:
                held = None
                unknown.append(table)
            else:
                lost.update(held)
            if path.exists():
                (folder / table).mkdir(parents=True, exist_ok=True)
                os.replace(path, folder / table / name)
    lost |= _inferred(damaged, unknown, tables)
    for name, table in tables.items():  # nothing stored is lost: the rest of their rows too
        if lost and table.num_rows:
            mine = table.filter(pc.is_in(table.column("source"),
                                         value_set=pa.array(sorted(lost), pa.string())))
            if mine.num_rows:
                (folder / name).mkdir(parents=True, exist_ok=True)
                pq.write_table(mine, folder / name / "rows-of-lost-sources.parquet")
    store.commit(remove_sources=lost, drop_parts=dict(damaged))
    report.quarantine = str(folder)
    report.lost_sources = sorted(lost)
    for p in report.problems:
        if p.kind == "part":
            p.repaired = (f"moved to {folder / p.table}" if (folder / p.table /
                          Path(p.path).name).exists() else "dropped from the manifest")
        elif p.kind == "rows":
            p.repaired = "its rows moved to quarantine; re-embed the source"
    for table in unknown:
        if table in ("failures", "thumbnails"):
            report.notes.append(f"{table}: rows of a damaged part could not be attributed to "
                                "sources (re-embed to restore them)")
    (folder / "quarantine.json").write_text(json.dumps({
        "at": time.time(), "parts": damaged, "lost_sources": sorted(lost),
        "problems": [asdict(p) for p in report.problems if p.kind in ("part", "rows")],
    }, indent=2))


def _new_folder(base: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for i in range(1000):
        folder = base / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: no free quarantine folder name")


def _inferred(damaged: dict[str, list[str]], unknown: list[str],
              tables: dict[str, pa.Table]) -> set[str]:
    """Sources that lost rows in parts too damaged to read their sources, found from the
    other tables: items whose vector rows are short, vector rows without an item."""
    out: set[str] = set()
    if "segments" in unknown:
        out.update(p.sources[0] for p in row_problems(Path(), tables["items"],
                                                      tables["segments"])
                   if p.table == "segments")
    if "items" in unknown:
        have = set(tables["items"].column("source").to_pylist())
        out.update(s for s in tables["segments"].column("source").to_pylist() if s not in have)
    return out
