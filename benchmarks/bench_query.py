"""Query cost: a cold CLI text query vs ``import torch``; a warm search vs raw FAISS + the encoder.

    python benchmarks/bench_query.py [--runs 7] [--rows 100000] [--queries 30] [--rounds 5]
                                     [--sample-collection DIR] [--only cold|warm]

(a) cold: ``nova-toolkit search --collection SAMPLE --text Q --top-k 5`` as a whole new process
    against a bare ``python -c "import torch"`` (the least any query that runs a torch model
    pays), alternated A B A B ... after one untimed warm-up of each, ``--runs`` pairs. Wall
    and CPU (user + sys of the child) seconds, min and median of each, and the median of the
    pairwise wall ratios. SAMPLE is ``data/sample`` embedded once with the local backend (or
    ``--sample-collection``, an existing one). Goal: ratio <= 2.5.
(b) warm: one process, a ``--rows`` collection written straight through the store (random
    unit vectors, the rows of ``bench_store.py``; embedding 100k files would time the
    embedder, not the query) and its index built, untimed, then opened again as a later
    session would (the mirror loads the index from disk and, at 100k vectors, builds and tunes
    its approximate index). Then for each of ``--queries`` different texts:
    ``Collection.search(text, top_k=10)`` against the sum of the encoder's own time
    (``embedder.embed_texts([text])``) and a raw FAISS search of that vector on the very
    FAISS index the mirror searches, with its tuned parameters (exact Flat over the same
    vectors is printed too, timed apart), the three timed in turn for each query, ``--rounds``
    passes.
    Medians over all of them; every query is run once untimed first. Goal: ratio <= 1.2.

The goals are printed next to the figures; nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # bench_store's table builders

QUERY = "a cat curled up asleep"
QUERIES = [
    "a cat curled up asleep", "a rocket on the launch pad", "someone ordering an espresso",
    "how to sail a small boat", "a dog drinking from a bowl", "birds singing at dawn",
    "a piano lesson for beginners", "a train leaving the platform", "tomato and basil pasta",
    "an astronaut in a space suit", "a camera on a tripod", "a shopping list for dinner",
    "waves on a sandy beach", "the river below the old mill", "a ferry waiting in the harbour",
    "training for a spacewalk", "brewing coffee with a filter", "a kitten playing with yarn",
    "the engine ignited for orbit", "a quiet forest in the morning", "notes from a meeting",
    "a recipe with fresh herbs", "a violin concert at night", "a glacier in the mountains",
    "children playing football", "a storm over the sea", "a map of the city centre",
    "repairing a bicycle tyre", "a lighthouse on the cliffs", "reading a book by the fire",
]


def child_run(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` to completion: (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def sample_collection(tmp: Path, given: str | None) -> Path:
    if given:
        return Path(given)
    path = tmp / "sample-collection"
    print(f"embedding data/sample into {path} (once, untimed) ...", flush=True)
    subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "embed", str(ROOT / "data" / "sample"),
                    "--collection", str(path), "--no-progress"], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def cold(args: argparse.Namespace, tmp: Path) -> None:
    coll = sample_collection(tmp, args.sample_collection)
    query = [sys.executable, "-m", "nova_toolkit.cli", "search", "--collection", str(coll),
             "--text", QUERY, "--top-k", "5"]
    torch = [sys.executable, "-c", "import torch"]
    child_run(query)
    child_run(torch)  # warm-up: the page cache holds both afterwards
    a, b = [], []
    for _ in range(args.runs):
        a.append(child_run(query))
        b.append(child_run(torch))
    ratios = [x[0] / y[0] for x, y in zip(a, b, strict=True)]
    print(f"\n(a) cold CLI text query vs `python -c \"import torch\"`, {args.runs} pairs")
    for name, runs in (("search --text", a), ("import torch", b)):
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(f"  {name:<14} wall min {min(walls):.2f} s  median {statistics.median(walls):.2f} s"
              f"   cpu min {min(cpus):.2f} s  median {statistics.median(cpus):.2f} s")
    ratio = statistics.median(ratios)
    cpu_ratio = statistics.median([x[1] / y[1] for x, y in zip(a, b, strict=True)])
    print(f"  ratio (median of pairs): wall {ratio:.2f}x (min {min(ratios):.2f}x), cpu "
          f"{cpu_ratio:.2f}x; goal <= 2.5x: {'OK' if ratio <= 2.5 else 'MISSED'}")


def build_rows(path: Path, rows: int, seed: int = 7) -> None:
    """A ``rows``-row collection of the local backend's settings, written through the store."""
    import pyarrow as pa
    from bench_store import items_table, segments_table

    from nova_toolkit.collection.opening import settings_for
    from nova_toolkit.embedders import get_embedder
    from nova_toolkit.segment import SegmentationConfig
    from nova_toolkit.store import Store

    emb = get_embedder("local")  # no model loads: settings only
    config = SegmentationConfig(max_chars=emb.default_max_chars,
                                overlap_chars=emb.default_overlap_chars)
    settings = settings_for(emb, "GENERIC_INDEX", config)
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, settings.dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    segments = segments_table(vectors)
    for name, value in (("modality", "text"), ("model_id", settings.model_id)):
        i = segments.schema.get_field_index(name)
        segments = segments.set_column(i, name, pa.repeat(pa.scalar(value), rows))
    store = Store.open(path, settings)
    with store.writer():
        store.commit(items=items_table(0, rows), segments=segments)


def timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def mirror_index(coll):
    """The FAISS index and index choice the collection's local mirror searches (benchmark-only
    peek at the mirror's state, so that the baseline is the very same FAISS call)."""
    from nova_toolkit.collection import INDEX_BUCKET, INDEX_NAME

    handle = coll.index_client()._indexes[(INDEX_BUCKET, INDEX_NAME)]
    return handle.store.faiss, handle.store.choice


def warm(args: argparse.Namespace, tmp: Path) -> None:
    import faiss

    from nova_toolkit.collection import Collection
    from nova_toolkit.vectors import ann

    path = tmp / f"rows-{args.rows}"
    t0 = time.perf_counter()
    build_rows(path, args.rows)
    Collection.open(path, create=False).index_client()  # the derived index, written
    coll = Collection.open(path, create=False)  # a later session: the index loads from disk
    queries = QUERIES[: args.queries]
    for q in queries:  # untimed first pass: the model, the index and the row table load
        coll.search(q, top_k=10)
    index, choice = mirror_index(coll)
    print(f"\n(b) warm search, {args.rows} rows x {coll.settings.dimension}-d: collection + index "
          f"built and loaded in {time.perf_counter() - t0:.1f} s (untimed); the mirror searches "
          f"{choice.factory_string} {choice.search_params or ''}")
    flat = faiss.IndexFlatIP(coll.settings.dimension)
    flat.add(coll.vectors())
    search, encode, raw, raw_flat = [], [], [], []
    for q in queries * args.rounds:
        search.append(timed(coll.search, q, top_k=10))
        t0 = time.perf_counter()
        vec = coll.embedder.embed_texts([q])
        encode.append(time.perf_counter() - t0)
        raw.append(timed(ann.search, index, choice, vec, 10))  # the mirror's own FAISS index
    # apart: an exact scan streams every vector through the caches, evicting the model and
    # the graph the three above use (interleaved, it slowed whichever ran after it)
    for q in queries:
        raw_flat.append(timed(flat.search, coll.embedder.embed_texts([q]), 10))
    med = {k: statistics.median(v) * 1000 for k, v in
           (("search", search), ("encode", encode), ("raw", raw), ("flat", raw_flat))}
    ratio = med["search"] / (med["encode"] + med["raw"])
    print(f"  Collection.search(top_k=10)        median {med['search']:.2f} ms over "
          f"{len(queries)} queries x {args.rounds} rounds")
    print(f"  encoder alone                      median {med['encode']:.2f} ms")
    print(f"  raw FAISS on the mirror's index    median {med['raw']:.2f} ms   "
          f"(exact Flat over the same vectors: {med['flat']:.2f} ms)")
    print(f"  ratio search / (encoder + raw FAISS) = {ratio:.2f}x; goal <= 1.2x: "
          f"{'OK' if ratio <= 1.2 else 'MISSED'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=7, help="(a) pairs of cold runs")
    p.add_argument("--rows", type=int, default=100_000, help="(b) rows of the warm collection")
    p.add_argument("--queries", type=int, default=30, help="(b) distinct query texts (<= 30)")
    p.add_argument("--rounds", type=int, default=5, help="(b) timed passes over the queries")
    p.add_argument("--sample-collection", default=None, metavar="DIR",
                   help="(a) an embedded data/sample collection to reuse")
    p.add_argument("--only", choices=("cold", "warm"), default=None)
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tmp = Path(tempfile.mkdtemp(prefix="bench_query_", dir="/tmp"))
    try:
        if args.only in (None, "cold"):
            cold(args, tmp)
        if args.only in (None, "warm"):
            warm(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
