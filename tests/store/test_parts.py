"""Part files and the per-table source index (nova_toolkit/store/parts.py)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from nova_toolkit.store import SourceIndex, failures_schema
from nova_toolkit.store.parts import distinct_sources, read_part_sources, write_part


def test_index_maps_sources_to_every_part_holding_them():
    index = SourceIndex()
    index.add("p1", ["a", "b"])
    index.add("p2", ["b", "c"])
    index.add("p3", ["b"])
    assert index.holding(["a"]) == {"p1"}
    assert index.holding(["b"]) == {"p1", "p2", "p3"}
    assert index.holding(["c", "zzz"]) == {"p2"}
    assert index.holding([]) == set() and index.holding(["zzz"]) == set()

    index.drop("p2")
    assert "p2" not in index and len(index) == 2
    assert index.holding(["b", "c"]) == {"p1", "p3"}
    index.drop("p1")
    assert index.holding(["a", "b"]) == {"p3"}
    index.drop("p3")
    assert index.holding(["a", "b", "c"]) == set() and len(index) == 0
    index.drop("never-added")  # forgetting an unknown part is a no-op


def test_adding_a_known_part_again_changes_nothing():
    index = SourceIndex()
    index.add("p1", ["a"])
    index.add("p1", ["a"])  # a part name always means the same rows
    index.drop("p1")
    assert index.holding(["a"]) == set()


def test_sync_learns_new_live_parts_and_forgets_dead_ones():
    index = SourceIndex()
    loads: list[str] = []
    contents = {"p1": ["a"], "p2": ["b"], "p3": ["a", "c"]}

    def load(part: str) -> list[str]:
        loads.append(part)
        return contents[part]

    assert index.sync(["p1", "p2"], load) == ["p1", "p2"]
    assert index.sync(["p1", "p2"], load) == []  # nothing new: nothing read
    assert index.sync(["p2", "p3"], load) == ["p3"]  # p1 gone (rewritten by another writer)
    assert loads == ["p1", "p2", "p3"]
    assert index.holding(["a"]) == {"p3"} and index.holding(["b"]) == {"p2"}


def test_part_sources_come_from_the_file(tmp_path):
    rows = pa.table({
        "source": ["x", "y", "x", "z"], "stage": ["read"] * 4, "segment_index": [0, 1, 2, 3],
        "reason": ["r"] * 4, "at": pa.array([0] * 4, type=pa.timestamp("ms", tz="UTC")),
    })
    path = write_part(tmp_path / "failures", rows, failures_schema())
    assert path.parent == tmp_path / "failures" and path.name.startswith("part-")
    assert pq.read_table(path).schema.equals(failures_schema())
    assert sorted(read_part_sources(path)) == ["x", "y", "z"]
    assert sorted(distinct_sources(rows.column("source"))) == ["x", "y", "z"]
