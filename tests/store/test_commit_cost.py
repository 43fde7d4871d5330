"""A commit opens only the parts that hold a source it replaces (nova_toolkit/store/store.py).

Two witnesses: the store's own account of the commit (``Store.last_commit``) and the
kernel's count of bytes this process read (``rchar`` in ``/proc/self/io``), compared with
what reading the parts really costs, measured here by reading them. No timing assertions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nova_toolkit.store import (
    CollectionSettings,
    CommitError,
    Store,
    failures_schema,
    items_schema,
    segments_schema,
    vectors_to_arrow,
)

DIM = 512
ROWS = 300  # sources per part: a segments part is ~600 KB, mostly vectors
N_PARTS = 10


def settings() -> CollectionSettings:
    return CollectionSettings(backend="local", model_id="m", dimension=DIM,
                              purpose="GENERIC_INDEX", segmentation={"max_chars": 100})


def rchar() -> int:
    """Bytes this process has read so far (the kernel's count: every read syscall)."""
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def sources(part: int, n: int = ROWS) -> list[str]:
    return [f"lib/p{part:02d}/file{i:04d}.txt" for i in range(n)]


def tables(srcs: list[str], seed: int, failed: list[str] | None = None) -> dict[str, pa.Table]:
    """Items and segments rows for ``srcs``; failure rows for ``failed`` (default: the
    first three of ``srcs``)."""
    n = len(srcs)
    vecs = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    items = pa.table({
        "source": srcs, "path": [f"/{s}" for s in srcs], "content_sha256": [f"sha-{s}" for s in srcs],
        "cache_key": [f"ck-{s}-{seed}" for s in srcs], "modality": ["text"] * n, "format": ["txt"] * n,
        "size": [10] * n, "mtime": [1.7e9] * n, "n_segments": [1] * n, "note": [""] * n,
        "added_at": pa.array([0] * n, type=pa.timestamp("ms", tz="UTC")),
    }, schema=items_schema())
    cols = {name: [None] * n for name in segments_schema(DIM).names}
    cols.update({
        "key": [f"{s}#TEXT#0" for s in srcs], "source": srcs, "cache_key": items["cache_key"],
        "modality": ["TEXT"] * n, "segment_index": [0] * n, "snippet": [f"text of {s}" for s in srcs],
        "metadata": [json.dumps({})] * n, "dimension": [DIM] * n, "vector": vectors_to_arrow(vecs),
    })
    segments = pa.table(cols, schema=segments_schema(DIM))
    failed = srcs[:3] if failed is None else failed
    k = len(failed)
    failures = pa.table({
        "source": failed, "stage": ["embed"] * k, "segment_index": list(range(k)),
        "reason": [f"throttled {seed}"] * k,
        "at": pa.array([0] * k, type=pa.timestamp("ms", tz="UTC")),
    }, schema=failures_schema())
    return {"items": items, "segments": segments, "failures": failures}


def add(store: Store, srcs: list[str], seed: int, **kw) -> None:
    """Commit ``srcs`` the way ``Collection.add`` does: they are also ``remove_sources``."""
    with store.writer():
        store.commit(**tables(srcs, seed), remove_sources=srcs, **kw)


@pytest.fixture
def built(tmp_path) -> tuple[Path, Store]:
    """A collection of N_PARTS commits (N_PARTS parts per table), built by one store."""
    store = Store.open(tmp_path / "coll", settings())
    for p in range(N_PARTS):
        add(store, sources(p), seed=p)
    return tmp_path / "coll", store


def whole_read_bytes(root: Path, store: Store, table: str, parts: list[str] | None = None) -> int:
    """What reading ``parts`` (default: every live part of ``table``) whole costs in rchar."""
    names = parts if parts is not None else store.manifest["parts"][table]
    before = rchar()
    for name in names:
        pq.read_table(root / table / name)
    return rchar() - before


def test_commit_of_new_sources_opens_no_part(built):
    root, store = built
    assert [len(store.manifest["parts"][t]) for t in ("items", "segments")] == [N_PARTS] * 2
    before = rchar()
    add(store, sources(99), seed=99)
    read = rchar() - before

    stats = store.last_commit
    assert stats.parts_opened() == 0 and stats.rewritten == {} and stats.sources_read == {}
    assert {t: len(v) for t, v in stats.written.items()} == {"items": 1, "segments": 1,
                                                             "failures": 1}
    smallest = min((root / "segments" / p).stat().st_size
                   for p in store.manifest["parts"]["segments"])
    # the manifest re-read by writer() and /proc/self/io itself, not one part's worth
    assert read < smallest / 10, (read, smallest)
    assert whole_read_bytes(root, store, "segments") > 100 * read  # what the old commit read


def test_replacing_sources_rewrites_only_the_parts_holding_them(built):
    root, store = built
    parts = {t: list(store.manifest["parts"][t]) for t in ("items", "segments", "failures")}
    # three sources of part 2, one of part 7 (new content: a different seed)
    replaced = sources(2)[:3] + sources(7)[10:11]
    expected = {"items": [parts["items"][2], parts["items"][7]],
                "segments": [parts["segments"][2], parts["segments"][7]],
                "failures": [parts["failures"][2]]}  # part 7's failures: its sources 0..2
    hit_bytes = sum(whole_read_bytes(root, store, t, expected[t]) for t in expected)
    before = rchar()
    add(store, replaced, seed=42)
    read = rchar() - before

    stats = store.last_commit
    assert stats.rewritten == expected and stats.sources_read == {}
    assert read < 1.5 * hit_bytes + 64_000, (read, hit_bytes)
    assert read < whole_read_bytes(root, store, "segments") / 3

    after = {t: store.manifest["parts"][t] for t in parts}
    for t in ("items", "segments"):
        untouched = [p for i, p in enumerate(parts[t]) if i not in (2, 7)]
        assert [p for p in after[t] if p in parts[t]] == untouched
        assert not (root / t / parts[t][2]).exists() and not (root / t / parts[t][7]).exists()
    check_content(Store.open(root), replaced)


def check_content(store: Store, replaced: list[str]) -> None:
    """Every source once; the replaced ones with the new rows, the others as first written."""
    items = store.items()
    srcs = items.column("source").to_pylist()
    assert len(srcs) == len(set(srcs)) == N_PARTS * ROWS
    keys = dict(zip(srcs, items.column("cache_key").to_pylist(), strict=True))
    for s in replaced:
        assert keys[s] == f"ck-{s}-42"
    seg = store.segments()
    assert sorted(seg.column("source").to_pylist()) == sorted(srcs)
    fails = store.failures().column("source").to_pylist()
    # every part's first three sources failed; part 2's were replaced by a new failure row
    assert sorted(fails) == sorted(s for p in range(N_PARTS) for s in sources(p)[:3])
    assert store.garbage() == []


def test_old_collection_reads_only_source_columns_once(built):
    """A store opened fresh (nothing on disk but parts and the manifest: a collection
    written before the index existed) learns each part's sources from the source column
    alone, once; its next commit opens nothing more."""
    root, _ = built
    store = Store.open(root)
    before = rchar()
    add(store, sources(5)[:2], seed=42)
    read = rchar() - before
    stats = store.last_commit
    live_before = N_PARTS
    assert {t: len(v) for t, v in stats.sources_read.items()} == {
        "items": live_before, "segments": live_before, "failures": live_before}
    assert {t: len(v) for t, v in stats.rewritten.items()} == {"items": 1, "segments": 1,
                                                               "failures": 1}
    everything = sum(whole_read_bytes(root, store, t) for t in ("items", "segments", "failures"))
    assert read < everything / 3, (read, everything)

    add(store, sources(6)[:1], seed=42)
    assert store.last_commit.sources_read == {}
    assert {t: len(v) for t, v in store.last_commit.rewritten.items()} == {
        "items": 1, "segments": 1, "failures": 1}
    check_content(Store.open(root), sources(5)[:2] + sources(6)[:1])


def test_index_follows_another_writers_commits(built):
    """Parts another Store (another process) wrote or dropped are learnt or forgotten at
    the next commit: the index never trusts a part that is no longer live."""
    root, first = built
    other = Store.open(root)
    add(other, sources(3)[:5], seed=42)  # rewrites part 3 of each table, appends new parts
    moved = other.last_commit.written["segments"]

    add(first, sources(3)[:2], seed=42)  # those sources now live in the other's new part
    stats = first.last_commit
    assert sorted(stats.sources_read["segments"]) == sorted(moved)
    assert stats.rewritten["segments"] == [moved[-1]]  # the part the other appended
    check_content(Store.open(root), sources(3)[:5])


def test_failed_commit_leaves_the_index_as_it_was(built, monkeypatch):
    """A commit that dies before the manifest swap teaches the index nothing."""
    import nova_toolkit.store.manifest as manifest_module

    root, store = built
    version = store.version

    def refuse(path, data):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(manifest_module, "atomic_write_bytes", refuse)
        with pytest.raises(CommitError, match="disk full") as info:  # the OS error, named
            add(store, sources(4)[:1], seed=42)
        assert isinstance(info.value.__cause__, OSError)
    assert store.version == version
    add(store, sources(4)[:1], seed=42)
    assert store.last_commit.sources_read == {}
    assert {t: len(v) for t, v in store.last_commit.rewritten.items()} == {
        "items": 1, "segments": 1, "failures": 1}
    check_content(Store.open(root), sources(4)[:1])


def test_random_commits_match_a_row_model(tmp_path):
    """Two writers taking turns (each with its own index), random adds, removals and
    cleared failures: after every commit a fresh reader sees exactly the rows a plain
    list model of the commit's contract predicts."""
    rng = np.random.default_rng(7)
    pool = [f"s{i:02d}" for i in range(24)]
    writers = [Store.open(tmp_path / "c", settings()), None]
    writers[1] = Store.open(tmp_path / "c")
    model: dict[str, list[tuple[str, str]]] = {"items": [], "segments": [], "failures": []}
    for step in range(40):
        pick = lambda k: sorted(rng.choice(pool, size=k, replace=False).tolist())  # noqa: E731
        added = pick(int(rng.integers(0, 6)))
        remove = sorted(set(added) | set(pick(int(rng.integers(0, 3)))))
        clear = pick(int(rng.integers(0, 3)))
        failed = pick(int(rng.integers(0, 3)))
        tag = f"ck-{{s}}-{step}"
        new = tables(added, seed=step, failed=failed)
        gone = {"items": set(remove), "segments": set(remove),
                "failures": set(remove) | set(clear)}
        live = Store.open(tmp_path / "c").manifest["parts"]
        must_open = {  # the live parts holding a removed source, read here with pyarrow
            t: [p for p in live[t]
                if gone[t] & set(pq.read_table(tmp_path / "c" / t / p).column("source")
                                 .to_pylist())]
            for t in gone}
        store = writers[step % 2]
        with store.writer():
            store.commit(items=new["items"] if added else None,
                         segments=new["segments"] if added else None,
                         failures=new["failures"] if failed else None,
                         remove_sources=remove, clear_failures=clear)
        assert store.last_commit.rewritten == {t: v for t, v in must_open.items() if v}, step
        for t in model:
            model[t] = [r for r in model[t] if r[0] not in gone[t]]
        model["items"] += [(s, tag.format(s=s)) for s in added]
        model["segments"] += [(s, tag.format(s=s)) for s in added]
        model["failures"] += [(s, f"throttled {step}") for s in failed]

        reader = Store.open(tmp_path / "c")
        assert reader.version == step + 1
        for t, second in (("items", "cache_key"), ("segments", "cache_key"),
                          ("failures", "reason")):
            table = reader.table(t)
            rows = zip(table.column("source").to_pylist(), table.column(second).to_pylist(),
                       strict=True)
            assert sorted(rows) == sorted(model[t]), (step, t)
        assert reader.garbage() == []
