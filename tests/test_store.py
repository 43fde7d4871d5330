"""The Parquet-backed collection store: round trip, removals, settings, lock, crash safety.

Everything runs on real Parquet files under ``tmp_path`` (no mocks); crashes are real
processes that die with ``os._exit`` in the middle of a commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nova_toolkit.store import (
    FORMAT_VERSION,
    MANIFEST,
    SCHEMA_KEY,
    CollectionLockedError,
    CollectionSettings,
    SettingsMismatchError,
    Store,
    StoreError,
    arrow_to_vectors,
    cache_key,
    failures_schema,
    items_schema,
    segments_schema,
    vectors_to_arrow,
)

ROOT = Path(__file__).resolve().parents[1]
DIM = 8
SEGMENTATION = {"max_chars": 100, "overlap_chars": 10, "segment_seconds": 5.0}
T0 = datetime(2024, 5, 17, 12, 30, 45, 123000, tzinfo=timezone.utc)


def settings(**changes) -> CollectionSettings:
    base = dict(backend="local", model_id="m", dimension=DIM, purpose="GENERIC_INDEX",
                segmentation=dict(SEGMENTATION))
    base.update(changes)
    return CollectionSettings(**base)


# -- table builders (column names straight from the schemas) -----------------------------------
def items_table(sources: list[str]) -> pa.Table:
    n = len(sources)
    cols = {
        "source": sources,
        "path": [f"/library/{s}" for s in sources],
        "content_sha256": [f"{i:064x}" for i in range(n)],
        "cache_key": [f"ck-{s}" for s in sources],
        "modality": ["TEXT"] * n,
        "format": ["txt"] * n,
        "size": [1000 + i for i in range(n)],
        "mtime": [1.7e9 + i / 3 for i in range(n)],
        "n_segments": [2] * n,
        "note": [None if i % 2 else f"note é {i}" for i in range(n)],
        "added_at": [T0] * n,
    }
    assert list(cols) == items_schema().names
    return pa.table(cols, schema=items_schema())


def segments_table(sources: list[str], per_source: int = 2, seed: int = 0,
                   dim: int = DIM) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = [(s, j) for s in sources for j in range(per_source)]
    n = len(rows)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    if n:  # values whose bits a lossy path would change
        vectors[0, :4] = [-0.0, np.float32(1e-45), np.finfo(np.float32).max, np.nan]
    cols = {
        "key": [f"{s}#TEXT#{j}" for s, j in rows],
        "source": [s for s, _ in rows],
        "content_sha256": [f"sha-{s}" for s, _ in rows],
        "cache_key": [f"ck-{s}" for s, _ in rows],
        "modality": ["TEXT"] * n,
        "embedding_type": ["TEXT"] * n,
        "segment_index": [j for _, j in rows],
        "start_s": [None if j == 0 else j * 5.0 for _, j in rows],
        "end_s": [None if j == 0 else j * 5.0 + 5 for _, j in rows],
        "page": [None] * n,
        "char_start": [j * 90 for _, j in rows],
        "char_end": [j * 90 + 100 for _, j in rows],
        "snippet": [f"snippet «{s}» {j}" for s, j in rows],
        "truncated_chars": [0] * n,
        "note": [None] * n,
        "metadata": [json.dumps({"tag": s}) for s, _ in rows],
        "model_id": ["m"] * n,
        "purpose": ["GENERIC_INDEX"] * n,
        "dimension": [dim] * n,
        "vector": vectors_to_arrow(vectors),
    }
    schema = segments_schema(dim)
    assert list(cols) == schema.names
    return pa.table(cols, schema=schema), vectors


def failures_table(sources: list[str]) -> pa.Table:
    n = len(sources)
    cols = {
        "source": sources,
        "stage": ["embed"] * n,
        "segment_index": [i for i in range(n)],
        "reason": [f"throttled: {s}" for s in sources],
        "at": [T0] * n,
    }
    assert list(cols) == failures_schema().names
    return pa.table(cols, schema=failures_schema())


def commit(store: Store, **kw) -> None:
    with store.writer():
        store.commit(**kw)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def assert_same_rows(actual: pa.Table, expected: pa.Table) -> None:
    assert actual.schema.names == expected.schema.names
    for name in expected.schema.names:
        if name == "vector":
            continue  # compared bit for bit (NaN != NaN) by the caller
        assert actual.column(name).type == expected.column(name).type, name
        assert actual.column(name).to_pylist() == expected.column(name).to_pylist(), name


def part_names(store: Store, table: str) -> list[str]:
    return list(store.manifest["parts"][table])


def run_py(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "coll"


# -- round trip ---------------------------------------------------------------------------------
def test_round_trip_bit_for_bit(root):
    store = Store.open(root, settings())
    items = items_table(["a.txt", "b.txt", "c.txt"])
    segs, vecs = segments_table(["a.txt", "b.txt", "c.txt"], per_source=3)
    fails = failures_table(["d.pdf"])
    commit(store, items=items, segments=segs, failures=fails)

    again = Store.open(root)  # from disk only
    assert again.settings == settings()
    assert again.version == 1
    assert_same_rows(again.items(), items)
    assert_same_rows(again.segments(), segs)
    assert_same_rows(again.failures(), fails)
    assert bits(arrow_to_vectors(again.segments().column("vector"), DIM)).tobytes() \
        == bits(vecs).tobytes()

    out = again.vectors()
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32 and out.shape == (len(vecs), DIM)
    assert np.array_equal(bits(out), bits(vecs))
    assert not out.flags.writeable
    with pytest.raises(ValueError):
        out[0, 0] = 1.0
    assert again.vectors() is out  # cached
    # one part → the array is a view of the Arrow buffer, not a copy
    column = again.segments().column("vector")
    assert column.num_chunks == 1
    values = column.chunk(0).values
    assert np.shares_memory(out, values.to_numpy(zero_copy_only=True))
    assert out.ctypes.data == values.buffers()[1].address + values.offset * 4

    # settings travel in every part's Parquet schema metadata and in the manifest
    for name in ("items", "segments", "failures"):
        parts = part_names(again, name)
        assert len(parts) == 1
        meta = pq.read_schema(root / name / parts[0]).metadata
        assert json.loads(meta[SCHEMA_KEY]) == settings().to_dict()
    # the vector column is stored plain (no dictionary, statistics or compression)
    columns = pq.read_metadata(root / "segments" / part_names(again, "segments")[0]).row_group(0)
    for i in range(columns.num_columns):
        col = columns.column(i)
        if col.path_in_schema.startswith("vector."):
            assert col.compression == "UNCOMPRESSED" and not col.has_dictionary_page
            assert not col.is_stats_set
        else:
            assert col.compression == "SNAPPY"
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["settings"] == settings().to_dict()
    assert manifest["version"] == 1


def test_empty_collection_reads(root):
    store = Store.open(root, settings())
    again = Store.open(root)
    assert again.version == 0
    assert again.items().num_rows == 0 and again.failures().num_rows == 0
    assert again.segments().schema.names == segments_schema(DIM).names
    assert again.vectors().shape == (0, DIM) and again.vectors().dtype == np.float32
    assert store.garbage() == []


def test_multi_part_vectors_in_row_order(root):
    store = Store.open(root, settings())
    s1, v1 = segments_table(["a"], seed=1)
    s2, v2 = segments_table(["b", "c"], seed=2)
    commit(store, segments=s1)
    commit(store, segments=s2)
    out = Store.open(root).vectors()
    assert np.array_equal(bits(out), bits(np.concatenate([v1, v2])))
    assert not out.flags.writeable
    assert Store.open(root).segments().column("key").to_pylist() == \
        s1.column("key").to_pylist() + s2.column("key").to_pylist()


def test_arrow_to_vectors_respects_slices():
    v = np.arange(10 * DIM, dtype=np.float32).reshape(10, DIM)
    arr = vectors_to_arrow(v)
    assert np.array_equal(arrow_to_vectors(arr.slice(3, 4), DIM), v[3:7])
    chunked = pa.chunked_array([arr.slice(0, 2), arr.slice(5, 3)])
    assert np.array_equal(arrow_to_vectors(chunked, DIM), np.concatenate([v[:2], v[5:8]]))
    # vectors_to_arrow shares the input buffer (no per-row copies)
    assert np.shares_memory(arr.values.to_numpy(zero_copy_only=True), v)


# -- removals -----------------------------------------------------------------------------------
def test_remove_sources_rewrites_only_the_parts_holding_them(root):
    store = Store.open(root, settings())
    seg_ab, v_ab = segments_table(["a", "b"], seed=1)
    seg_c, v_c = segments_table(["c"], seed=2)
    seg_d, v_d = segments_table(["d"], seed=3)
    commit(store, items=items_table(["a", "b"]), segments=seg_ab, failures=failures_table(["b"]))
    commit(store, items=items_table(["c"]), segments=seg_c)
    commit(store, items=items_table(["d"]), segments=seg_d, failures=failures_table(["x"]))
    assert store.version == 3
    before = {t: part_names(store, t) for t in ("items", "segments", "failures")}
    assert [len(before[t]) for t in ("items", "segments", "failures")] == [3, 3, 2]

    commit(store, remove_sources=["b"])
    assert store.version == 4
    after = {t: part_names(store, t) for t in ("items", "segments", "failures")}
    for t in ("items", "segments"):
        assert after[t][1:] == before[t][1:]  # untouched parts keep their file names
        assert after[t][0] != before[t][0]  # the part holding "b" was rewritten...
        assert not (root / t / before[t][0]).exists()  # ...and the old file deleted
    assert after["failures"] == before["failures"][1:]  # a part left empty is dropped

    again = Store.open(root)
    assert again.items().column("source").to_pylist() == ["a", "c", "d"]
    assert again.segments().column("source").to_pylist() == ["a", "a", "c", "c", "d", "d"]
    assert again.failures().column("source").to_pylist() == ["x"]
    expected = np.concatenate([v_ab[:2], v_c, v_d])
    assert np.array_equal(bits(again.vectors()), bits(expected))
    assert again.garbage() == []


def test_remove_and_add_same_source_replaces(root):
    store = Store.open(root, settings())
    commit(store, items=items_table(["a", "b"]), segments=segments_table(["a", "b"])[0])
    new, v_new = segments_table(["a"], per_source=3, seed=9)
    commit(store, items=items_table(["a"]), segments=new, remove_sources=["a"])
    again = Store.open(root)
    assert sorted(again.items().column("source").to_pylist()) == ["a", "b"]
    assert again.segments().column("source").to_pylist() == ["b", "b", "a", "a", "a"]
    assert np.array_equal(bits(again.vectors()[2:]), bits(v_new))


def test_clear_failures_removes_only_failure_rows(root):
    store = Store.open(root, settings())
    segs, vecs = segments_table(["a", "c"])
    commit(store, items=items_table(["a", "c"]), segments=segs,
           failures=failures_table(["a", "c"]))
    before = {t: part_names(store, t) for t in ("items", "segments", "failures")}
    v0 = store.version

    commit(store, clear_failures=["a"])
    assert store.version == v0 + 1
    assert part_names(store, "items") == before["items"]
    assert part_names(store, "segments") == before["segments"]
    assert part_names(store, "failures") != before["failures"]
    again = Store.open(root)
    assert again.failures().column("source").to_pylist() == ["c"]
    assert again.items().column("source").to_pylist() == ["a", "c"]
    assert again.segments().column("source").to_pylist() == ["a", "a", "c", "c"]
    assert np.array_equal(bits(again.vectors()), bits(vecs))


def test_version_increments_per_commit_and_writer_sees_other_commits(root):
    a = Store.open(root, settings())
    b = Store.open(root)
    for i in range(3):
        commit(a, items=items_table([f"a{i}"]))
        assert a.version == i + 1
    commit(b, items=items_table(["b"]))  # writer() refreshes: nothing of a's is lost
    assert b.version == 4
    assert Store.open(root).items().column("source").to_pylist() == ["a0", "a1", "a2", "b"]
    a.refresh()
    assert a.version == 4 and a.items().num_rows == 4


# -- settings and format ------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [
    ("backend", "nova"),
    ("model_id", "other-model"),
    ("dimension", 16),
    ("purpose", "GENERIC_RETRIEVAL"),
    ("segmentation", {**SEGMENTATION, "max_chars": 200}),
])
def test_settings_mismatch_names_the_setting(root, name, value):
    Store.open(root, settings())
    with pytest.raises(SettingsMismatchError) as exc:
        Store.open(root, settings(**{name: value}))
    msg = str(exc.value)
    assert f"{name}:" in msg and repr(value) in msg
    assert isinstance(exc.value, StoreError)
    # the other fixed settings are not reported
    others = {"backend", "model_id", "dimension", "purpose", "segmentation"} - {name}
    assert not any(f"{o}:" in msg for o in others)


def test_extra_settings_do_not_conflict(root):
    Store.open(root, settings())
    Store.open(root, settings(extra={"batch_size": 64}))  # not a fixed setting


def test_non_collection_dir(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(StoreError, match="not a collection"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="not an empty directory"):
        Store.open(tmp_path, settings())
    with pytest.raises(StoreError, match="not a collection"):
        Store.open(tmp_path / "missing")
    assert not Store.exists(tmp_path)


def test_newer_format_version_is_refused(root):
    Store.open(root, settings())
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (root / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=f"format version {FORMAT_VERSION + 1}"):
        Store.open(root)


def test_unreadable_manifest(root):
    Store.open(root, settings())
    (root / MANIFEST).write_text("{not json")
    with pytest.raises(StoreError, match="unreadable manifest"):
        Store.open(root)


# -- lock ---------------------------------------------------------------------------------------
LOCK_PROBE = """
    import sys
    from nova_toolkit.store import CollectionLockedError, Store
    store = Store.open(sys.argv[1])
    try:
        with store.writer():
            print("ACQUIRED")
    except CollectionLockedError as exc:
        print("LOCKED:", exc)
"""


def test_single_writer_lock(root):
    first = Store.open(root, settings())
    second = Store.open(root)
    with first.writer():
        with first.writer():  # re-entrant within the same object
            pass
        with pytest.raises(CollectionLockedError) as exc, second.writer():
            pass
        msg = str(exc.value)
        assert str(root) in msg and "another process is writing" in msg
        proc = run_py(LOCK_PROBE, str(root))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("LOCKED:") and "another process is writing" in proc.stdout
        with pytest.raises(StoreError, match="writer lock"):
            second.commit(items=items_table(["x"]))
        first.commit(items=items_table(["a"]))
    # released: the others can write now
    proc = run_py(LOCK_PROBE, str(root))
    assert proc.stdout.strip() == "ACQUIRED", proc.stderr
    commit(second, items=items_table(["b"]))
    assert Store.open(root).items().column("source").to_pylist() == ["a", "b"]


def test_commit_without_lock_raises(root):
    store = Store.open(root, settings())
    with pytest.raises(StoreError, match="writer lock"):
        store.commit(items=items_table(["a"]))
    assert store.version == 0 and not (root / "items").exists()


# -- crash safety -------------------------------------------------------------------------------
CRASHING_COMMIT = """
    import os, sys
    import pyarrow as pa
    import pyarrow.parquet as pq
    import nova_toolkit.store as st
    import nova_toolkit.store.manifest as manifest_module

    root, new, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    tables = {t: pq.read_table(os.path.join(new, t + ".parquet"))
              for t in ("items", "segments", "failures")}
    store = st.Store.open(root)
    with store.writer():
        if mode == "manifest":
            # die after the new parts are written, before the manifest swap
            def die(path, data):
                os._exit(1)
            manifest_module.atomic_write_bytes = die
        else:
            # the first part (the rewritten items part) is written whole, the next half-way
            real, calls = pq.write_table, []
            def half(table, where, **kw):
                calls.append(1)
                if len(calls) == 1:
                    return real(table, where, **kw)
                data = pa.BufferOutputStream()
                real(table, data, **kw)
                data = data.getvalue().to_pybytes()
                where.write(data[: len(data) // 2])
                where.flush()
                os._exit(1)
            pq.write_table = half
        store.commit(remove_sources=["a"], **tables)
    print("SURVIVED")
"""


def crash_commit(root: Path, tmp_path: Path, mode: str) -> None:
    new = tmp_path / "new"
    new.mkdir()
    pq.write_table(items_table(["z"]), new / "items.parquet")
    pq.write_table(segments_table(["z"], seed=5)[0], new / "segments.parquet")
    pq.write_table(failures_table(["z"]), new / "failures.parquet")
    proc = run_py(CRASHING_COMMIT, str(root), str(new), mode)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "SURVIVED" not in proc.stdout


def committed_before(root: Path) -> tuple[Store, np.ndarray]:
    store = Store.open(root, settings())
    segs, vecs = segments_table(["a", "b"], seed=1)
    commit(store, items=items_table(["a", "b"]), segments=segs, failures=failures_table(["b"]))
    return store, vecs


def assert_state_before(root: Path, vecs: np.ndarray) -> Store:
    store = Store.open(root, settings())
    assert store.version == 1
    assert store.items().column("source").to_pylist() == ["a", "b"]
    assert store.segments().column("source").to_pylist() == ["a", "a", "b", "b"]
    assert store.failures().column("source").to_pylist() == ["b"]
    assert np.array_equal(bits(store.vectors()), bits(vecs))
    return store


def assert_commit_works(root: Path, store: Store) -> None:
    segs, vecs = segments_table(["y"], seed=7)
    commit(store, items=items_table(["y"]), segments=segs)
    again = Store.open(root)
    assert again.version == 2
    assert again.items().column("source").to_pylist() == ["a", "b", "y"]
    assert np.array_equal(bits(again.vectors()[-2:]), bits(vecs))


def test_crash_before_manifest_swap(root, tmp_path):
    _, vecs = committed_before(root)
    live = {t: set(part_names(Store.open(root), t)) for t in ("items", "segments", "failures")}
    crash_commit(root, tmp_path, "manifest")

    store = assert_state_before(root, vecs)
    garbage = store.garbage()
    # the rewritten items/segments parts (without "a") and one new part per table: none named
    # by the manifest; the old parts, which the dead commit made obsolete, are still there
    assert sorted(p.parent.name for p in garbage) == \
        ["failures", "items", "items", "segments", "segments"]
    for p in garbage:
        assert p.name.endswith(".parquet") and p.name not in live[p.parent.name]
        assert pq.read_table(p).num_rows > 0  # complete, just orphaned
    for t, names in live.items():
        assert all((root / t / n).is_file() for n in names)
    assert not list(root.rglob("*.tmp"))
    assert_commit_works(root, store)


def test_crash_while_writing_a_part(root, tmp_path):
    _, vecs = committed_before(root)
    crash_commit(root, tmp_path, "part")

    # every file with a .parquet name is a complete Parquet file; the torso is a hidden .tmp
    for p in root.rglob("*.parquet"):
        pq.read_metadata(p)
        pq.read_table(p)
    tmp = list(root.rglob(".*.tmp"))
    assert len(tmp) == 1 and tmp[0].name.startswith(".part-")
    assert [p.name for p in root.rglob("*") if "tmp" in p.name] == [tmp[0].name]
    with pytest.raises(pa.ArrowException):
        pq.read_table(tmp[0])

    store = assert_state_before(root, vecs)
    garbage = sorted(p.name for p in store.garbage())
    assert tmp[0].name in garbage
    assert len(garbage) == 2  # the torso + the complete, orphaned rewritten items part
    assert_commit_works(root, store)


# -- cache key ----------------------------------------------------------------------------------
def test_cache_key():
    sha = "ab" * 32
    key = cache_key(sha, settings())
    assert len(key) == 64 and key == cache_key(sha, settings())
    # stable under things that do not change the vectors
    assert cache_key(sha, settings(backend="nova")) == key
    assert cache_key(sha, settings(extra={"batch_size": 8})) == key
    reordered = dict(reversed(list(SEGMENTATION.items())))
    assert cache_key(sha, settings(segmentation=reordered)) == key
    # changes with each input that does
    changed = [
        cache_key("cd" * 32, settings()),
        cache_key(sha, settings(segmentation={**SEGMENTATION, "max_chars": 101})),
        cache_key(sha, settings(segmentation={**SEGMENTATION, "overlap_chars": 0})),
        cache_key(sha, settings(segmentation={**SEGMENTATION, "segment_seconds": 6.0})),
        cache_key(sha, settings(model_id="m2")),
        cache_key(sha, settings(purpose="GENERIC_RETRIEVAL")),
        cache_key(sha, settings(dimension=16)),
    ]
    assert key not in changed
    assert len(set(changed)) == len(changed)
