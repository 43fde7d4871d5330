"""Collection store: write and load times vs a bare Parquet file; commit cost over a run.

    python benchmarks/bench_store.py [--n 100000 --dim 1024 --repeat 3]
    python benchmarks/bench_store.py --measure commits [--commits 250 --rows 4096 --commit-dim 64]

(a) raw: a table holding only the ``(n, dim)`` float32 array as a fixed-size-list column,
    ``pq.write_table`` to a temp file + fsync + ``os.replace``; loaded back with
    ``pq.read_table`` into one numpy ``(n, dim)`` array.
(b) store: a segments table of the same vectors plus the usual row columns (key, source,
    offsets, snippet, ...) committed into a fresh collection under the writer lock; loaded
    with a fresh ``Store.open(...).vectors()``.

Best of ``--repeat`` runs each. Goals: store write speed ≥ 0.8 × raw (i.e. store write
time ≤ 1.25 × raw), store load time ≤ 1.2 × raw.

(c) commits: ``--commits`` commits of ``--rows`` new sources each (an items row and a
    segments row per source, the sources also passed as ``remove_sources``, as
    ``Collection.add`` does) into one collection under one writer lock, every commit timed,
    after an untimed warm-up commit into a scratch collection (the first Parquet write of a
    process pays one-off set-up costs that would flatter the 1st commit). ``--runs`` whole
    sequences; the median over runs of the 1st and of the last commit's time are compared.
    Goal: the last commit (the 250th) takes ≤ 1.5 × the first; the median of the last ten
    vs the first ten commits is printed too, being less noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nova_toolkit.store import (
    CollectionSettings,
    Store,
    items_schema,
    segments_schema,
    vectors_to_arrow,
)

SNIPPETS = [
    "The river bends twice below the old mill before it reaches the harbour, where the ferry "
    f"waits for the morning train (variant {k})."
    for k in range(16)
]


def segments_table(vectors: np.ndarray, first: int = 0) -> pa.Table:
    """A realistic segments table around ``vectors`` (built with Arrow, not Python rows);
    one row per source ``doc{first}``, ``doc{first + 1}``, ..."""
    n, dim = vectors.shape
    ids = [f"doc{i}" for i in range(first, first + n)]
    source = pa.array(ids, type=pa.string())
    key = pa.array([f"{s}#TEXT#0" for s in ids], type=pa.string())
    sha = pa.array([f"{i:064x}" for i in range(n)], type=pa.string())
    idx = np.arange(n)
    snippet = pa.array(SNIPPETS, type=pa.string()).take(pa.array(idx % len(SNIPPETS)))
    const = lambda v, t: pa.repeat(pa.scalar(v, type=t), n)  # noqa: E731
    char_start = pa.array((idx % 7) * 900, type=pa.int64())
    cols = {
        "key": key,
        "source": source,
        "content_sha256": sha,
        "cache_key": sha,
        "modality": const("TEXT", pa.string()),
        "embedding_type": const("TEXT", pa.string()),
        "segment_index": pa.array(idx % 7, type=pa.int32()),
        "start_s": const(None, pa.float64()),
        "end_s": const(None, pa.float64()),
        "page": const(None, pa.int32()),
        "char_start": char_start,
        "char_end": pa.array((idx % 7) * 900 + 1000, type=pa.int64()),
        "snippet": snippet,
        "truncated_chars": const(0, pa.int64()),
        "note": const(None, pa.string()),
        "metadata": const(json.dumps({"folder": "library"}), pa.string()),
        "model_id": const("bench-model", pa.string()),
        "purpose": const("GENERIC_INDEX", pa.string()),
        "dimension": const(dim, pa.int32()),
        "vector": vectors_to_arrow(vectors),
    }
    return pa.table(cols, schema=segments_schema(dim))


def items_table(first: int, n: int) -> pa.Table:
    """Items rows for sources ``doc{first}`` ... ``doc{first + n - 1}``."""
    ids = [f"doc{i}" for i in range(first, first + n)]
    sha = pa.array([f"{i:064x}" for i in range(first, first + n)], type=pa.string())
    const = lambda v, t: pa.repeat(pa.scalar(v, type=t), n)  # noqa: E731
    cols = {
        "source": pa.array(ids, type=pa.string()),
        "path": pa.array([f"/library/{s}.txt" for s in ids], type=pa.string()),
        "content_sha256": sha,
        "cache_key": sha,
        "modality": const("text", pa.string()),
        "format": const("txt", pa.string()),
        "size": const(1000, pa.int64()),
        "mtime": const(1.7e9, pa.float64()),
        "n_segments": const(1, pa.int32()),
        "note": const("", pa.string()),
        "added_at": const(1_700_000_000_000, pa.timestamp("ms", tz="UTC")),
    }
    return pa.table(cols, schema=items_schema())


def commit_times(root: Path, settings: CollectionSettings, commits: int, rows: int,
                 rng: np.random.Generator) -> list[float]:
    """Time each of ``commits`` commits of ``rows`` new sources into one collection."""
    store = Store.open(root, settings)
    dim = settings.dimension
    times = []
    with store.writer():
        for c in range(commits):
            vectors = rng.standard_normal((rows, dim), dtype=np.float32)
            first = c * rows
            items, segments = items_table(first, rows), segments_table(vectors, first)
            sources = [f"doc{i}" for i in range(first, first + rows)]
            t0 = time.perf_counter()
            store.commit(items=items, segments=segments, remove_sources=sources,
                         clear_failures=sources)
            times.append(time.perf_counter() - t0)
    return times


def measure_commits(args: argparse.Namespace) -> None:
    commits, rows, dim, runs = args.commits, args.rows, args.commit_dim, args.runs
    settings = CollectionSettings(
        backend="local", model_id="bench-model", dimension=dim, purpose="GENERIC_INDEX",
        segmentation={"max_chars": 1000, "overlap_chars": 100, "segment_seconds": 5.0},
    )
    print(f"commits={commits} rows/commit={rows} dim={dim} runs={runs}")
    rng = np.random.default_rng(1)
    tmp = Path(tempfile.mkdtemp(prefix="bench_commits_", dir="/tmp"))
    try:
        commit_times(tmp / "warm-up", settings, 1, rows, rng)
        every = []
        for run in range(runs):
            t0 = time.perf_counter()
            times = commit_times(tmp / f"coll{run}", settings, commits, rows, rng)
            total = time.perf_counter() - t0
            store = Store.open(tmp / f"coll{run}")
            assert store.items().num_rows == store.segments().num_rows == commits * rows
            shutil.rmtree(tmp / f"coll{run}")
            every.append(times)
            print(f"  run {run + 1}: commit 1 {times[0]:.3f} s   commit {commits} "
                  f"{times[-1]:.3f} s   all {sum(times):.1f} s of commits "
                  f"({total:.1f} s with building the tables)")
            if args.verbose:
                print("  " + " ".join(f"{t:.3f}" for t in times))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    first = float(np.median([t[0] for t in every]))
    last = float(np.median([t[-1] for t in every]))
    window = min(10, max(1, commits // 2))
    head = float(np.median([t[:window] for t in every]))
    tail = float(np.median([t[-window:] for t in every]))
    ratio = last / first
    print(f"commit {commits} / commit 1 (median of {runs} runs) = {ratio:.2f}x  "
          f"({first:.3f} s -> {last:.3f} s; goal <= 1.5x) {'OK' if ratio <= 1.5 else 'MISSED'}")
    print(f"median of last {window} / median of first {window} commits = {tail / head:.2f}x  "
          f"({head:.3f} s -> {tail:.3f} s)")


def raw_write(path: Path, vectors: np.ndarray) -> None:
    table = pa.table({"vector": vectors_to_arrow(vectors)})
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def raw_load(path: Path, dim: int) -> np.ndarray:
    column = pq.read_table(path).column("vector")
    parts = [c.values.to_numpy(zero_copy_only=True).reshape(-1, dim) for c in column.chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def store_write(root: Path, settings: CollectionSettings, table: pa.Table) -> None:
    store = Store.open(root, settings)
    with store.writer():
        store.commit(segments=table)


def store_load(root: Path) -> np.ndarray:
    return Store.open(root).vectors()


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--commits", type=int, default=250)
    ap.add_argument("--rows", type=int, default=4096, help="new sources per commit")
    ap.add_argument("--commit-dim", type=int, default=64,
                    help="vector dimension of the commit measure (small keeps the disk use low)")
    ap.add_argument("--runs", type=int, default=3, help="whole commit sequences to time")
    ap.add_argument("--measure", default="io,commits",
                    help="comma-separated: io (write/load vs raw), commits (commit cost)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run's time")
    args = ap.parse_args()
    measures = set(args.measure.split(","))
    if "io" in measures:
        measure_io(args)
    if "commits" in measures:
        measure_commits(args)


def measure_io(args: argparse.Namespace) -> None:
    n, dim, repeat, verbose = args.n, args.dim, args.repeat, args.verbose

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    table = segments_table(vectors)
    settings = CollectionSettings(
        backend="local", model_id="bench-model", dimension=dim, purpose="GENERIC_INDEX",
        segmentation={"max_chars": 1000, "overlap_chars": 100, "segment_seconds": 5.0},
    )
    print(f"n={n} dim={dim} vectors={vectors.nbytes / 1e6:.0f} MB, best of {repeat}")

    tmp = Path(tempfile.mkdtemp(prefix="bench_store_", dir="/tmp"))
    try:
        # Raw and store runs are interleaved, so both see the same machine load, and take
        # turns going first: a run right after another one's big free gets its memory back
        # from the allocator without page faults, which is worth up to 2x on a load.
        times: dict[str, list[float]] = {"raw_w": [], "store_w": [], "raw_l": [], "store_l": []}
        for i in range(repeat):
            runs = [
                ("raw_w", raw_write, tmp / f"raw{i}.parquet", vectors),
                ("store_w", store_write, tmp / f"coll{i}", settings, table),
            ]
            for key, fn, *fargs in runs if i % 2 == 0 else runs[::-1]:
                times[key].append(timed(fn, *fargs))
            runs = [
                ("raw_l", raw_load, tmp / f"raw{i}.parquet", dim),
                ("store_l", store_load, tmp / f"coll{i}"),
            ]
            for key, fn, *fargs in runs if i % 2 == 0 else runs[::-1]:
                times[key].append(timed(fn, *fargs))
        raw_w, store_w, raw_l, store_l = (min(times[k]) for k in times)
        if verbose:
            for k, ts in times.items():
                print(f"  {k:8s} " + " ".join(f"{t:.3f}" for t in ts))

        out = store_load(tmp / "coll0")
        assert out.shape == (n, dim) and np.array_equal(out, vectors)
        assert np.array_equal(raw_load(tmp / "raw0.parquet", dim), vectors)
        raw_size = (tmp / "raw0.parquet").stat().st_size
        store_size = sum(p.stat().st_size for p in (tmp / "coll0").rglob("*.parquet"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    write_ratio = raw_w / store_w  # store write speed / raw write speed
    load_ratio = store_l / raw_l
    print(f"raw   write {raw_w:7.3f} s   load {raw_l:7.3f} s   file {raw_size / 1e6:8.1f} MB")
    print(f"store write {store_w:7.3f} s   load {store_l:7.3f} s   files {store_size / 1e6:7.1f} MB")
    print(f"store write speed / raw write speed = {write_ratio:.2f}x  (goal >= 0.8x) "
          f"{'OK' if write_ratio >= 0.8 else 'MISSED'}")
    print(f"store load time / raw load time     = {load_ratio:.2f}x  (goal <= 1.2x) "
          f"{'OK' if load_ratio <= 1.2 else 'MISSED'}")


if __name__ == "__main__":
    main()
