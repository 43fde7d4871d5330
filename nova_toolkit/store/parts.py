"""Parts: the immutable Parquet files that hold a table's rows, and which sources each holds.

A part is written once (atomically) under a unique name and never changed; removing rows
means writing a new part without them. Because a name always means the same rows, what is
learnt about a part (its sources) stays true for as long as the part is live, across
commits and across other processes' commits: :class:`SourceIndex` keeps it, so a commit
only opens the parts that hold a source it replaces, instead of every part.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nova_toolkit._core.atomic import atomic_write_table

from .errors import PartError


def new_part_name() -> str:
    """A unique, time-ordered part file name."""
    return f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"


def write_part(folder: Path, table: pa.Table, schema: pa.Schema) -> Path:
    """Write ``table`` (cast to ``schema``) as a new part in ``folder``; its path."""
    table = table.select(schema.names).cast(schema)
    folder.mkdir(exist_ok=True)
    path = folder / new_part_name()
    atomic_write_table(path, with_norms(table))
    return path


#: Schema metadata key of a part's vector lengths (``{column: [min, max]}``), written with
#: the part and checked when it is read: a flipped byte that slipped past the page checksums
#: (an old part without them) still shows as a vector of impossible length.
NORMS_KEY = b"nova_toolkit.norms"
#: Relative slack on the recorded lengths (float32 rounding of the length itself).
NORM_SLACK = 1e-3


@contextlib.contextmanager
def reading_part(path: Path) -> Iterator[None]:
    """Name the part and the reason when it cannot be read: missing, cut short, damaged."""
    try:
        yield
    except FileNotFoundError:
        raise PartError(path, "is missing (the manifest lists it)") from None
    except (OSError, pa.ArrowException) as exc:
        raise PartError(path, f"is damaged ({type(exc).__name__}: {exc})") from None


def _dense(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema
            if pa.types.is_fixed_size_list(f.type) and pa.types.is_floating(f.type.value_type)]


def _norms(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return np.linalg.norm(flat.reshape(-1, column.type.list_size).astype(np.float64), axis=1)


def with_norms(table: pa.Table) -> pa.Table:
    """``table`` with its vector columns' length range in the schema metadata."""
    ranges = {}
    for name in _dense(table.schema):
        norms = _norms(table.column(name))
        finite = norms[np.isfinite(norms)]
        if finite.size:  # [min, max, rows whose length is NaN or infinite]
            ranges[name] = [float(finite.min()), float(finite.max()),
                            int(norms.size - finite.size)]
    if not ranges:
        return table
    meta = dict(table.schema.metadata or {})
    meta[NORMS_KEY] = json.dumps(ranges).encode()
    return table.replace_schema_metadata(meta)


def read_part(path: Path, schema: pa.Schema) -> pa.Table:
    """Every row of a part, its page checksums verified and its vectors' lengths checked
    against the range recorded when it was written."""
    with reading_part(path):
        table = pq.read_table(path, schema=schema, page_checksum_verification=True)
        recorded = (pq.read_schema(path).metadata or {}).get(NORMS_KEY)
    if recorded and table.num_rows:
        for name, (low, high, nonfinite) in json.loads(recorded).items():
            if name not in table.column_names:
                continue
            norms = _norms(table.column(name))
            finite = np.isfinite(norms)
            bad = np.flatnonzero(finite & ~((norms >= low * (1 - NORM_SLACK))
                                            & (norms <= high * (1 + NORM_SLACK))))
            if not bad.size and int((~finite).sum()) != nonfinite:
                bad = np.flatnonzero(~finite)
            if bad.size:
                raise PartError(path, f"is damaged: row {int(bad[0])} has a {name} of length "
                                f"{norms[bad[0]]:.4g}, outside the {low:.4g}-{high:.4g} "
                                f"written ({bad.size} such rows)")
    return table


def read_part_sources(path: Path, shared: dict[str, str] | None = None) -> list[str]:
    """The distinct sources of a part, reading only its footer and ``source`` column
    (``shared``: see :func:`distinct_sources`)."""
    with reading_part(path), pq.ParquetFile(path, page_checksum_verification=True) as part:
        return distinct_sources(part.read(columns=["source"]).column("source"), shared)


def distinct_sources(column: pa.ChunkedArray | pa.Array,
                     shared: dict[str, str] | None = None) -> list[str]:
    """Distinct values of a source column. With ``shared`` (one dict per commit), equal
    sources of the three tables' new parts become one string object (the indexes then
    hold one copy per source; cheaper than ``sys.intern`` on a large collection)."""
    values = [s for s in pc.unique(column).to_pylist() if s is not None]
    if shared is None:
        return values
    return [shared.setdefault(s, s) for s in values]


class SourceIndex:
    """Which parts of one table hold which sources.

    Filled lazily from the parts themselves (:meth:`sync`), so a collection written before
    the index existed needs nothing new on disk. Lookups cost what is asked, not what is
    stored: :meth:`holding` is one dict probe per source.
    """

    def __init__(self) -> None:
        self._sources: dict[str, list[str]] = {}  # part -> its distinct sources
        self._parts: dict[str, str | tuple[str, ...]] = {}  # source -> its part(s)

    def __contains__(self, part: str) -> bool:
        return part in self._sources

    def __len__(self) -> int:
        return len(self._sources)

    def add(self, part: str, sources: Iterable[str]) -> None:
        """Record that ``part`` holds ``sources`` (distinct)."""
        if part in self._sources:
            return
        sources = list(sources)
        self._sources[part] = sources
        if self._parts.keys().isdisjoint(sources):  # the usual case, done in C
            self._parts.update(dict.fromkeys(sources, part))
            return
        for s in sources:
            held = self._parts.get(s)
            if held is None:
                self._parts[s] = part
            elif isinstance(held, str):
                self._parts[s] = (held, part)
            else:
                self._parts[s] = (*held, part)

    def drop(self, part: str) -> None:
        """Forget ``part`` (no longer live)."""
        for s in self._sources.pop(part, ()):
            held = self._parts[s]
            rest = () if isinstance(held, str) else tuple(p for p in held if p != part)
            if not rest:
                del self._parts[s]
            else:
                self._parts[s] = rest[0] if len(rest) == 1 else rest

    def holding(self, sources: Iterable[str]) -> set[str]:
        """The parts that hold any of ``sources``."""
        out: set[str] = set()
        stored = self._parts.keys() & (sources if isinstance(sources, set) else set(sources))
        for s in stored:  # usually few: most sources a commit replaces are new
            held = self._parts[s]
            if isinstance(held, str):
                out.add(held)
            else:
                out.update(held)
        return out

    def sync(self, live: list[str], load: Callable[[str], list[str]]) -> list[str]:
        """Match the index to the ``live`` parts: forget the others, learn the new ones
        through ``load(part) -> sources``; the parts that had to be loaded."""
        keep = set(live)
        for part in [p for p in self._sources if p not in keep]:
            self.drop(part)
        missing = [p for p in live if p not in self._sources]
        for part in missing:
            self.add(part, load(part))
        return missing


@dataclass
class CommitStats:
    """What one commit read and wrote, per table (part file names), for diagnostics and
    tests: ``rewritten`` parts were read whole (they held a replaced source),
    ``sources_read`` parts had only their source column read (to learn what they hold)."""

    rewritten: dict[str, list[str]] = field(default_factory=dict)
    sources_read: dict[str, list[str]] = field(default_factory=dict)
    written: dict[str, list[str]] = field(default_factory=dict)

    def parts_opened(self) -> int:
        """How many existing parts the commit opened (whole or source column only)."""
        return sum(map(len, self.rewritten.values())) + sum(map(len, self.sources_read.values()))
