"""The semantic map at scale: N synthetic points end to end, and UMAP's neighbour search.

1. end to end on a synthetic collection of N rows (384-d, 30 topics, snippets):
   project (FAISS kNN + UMAP) → cluster (k-means + c-TF-IDF labels) → semantic_map →
   export_html; time of each step and the HTML size;
2. UMAP fed with the FAISS kNN graph vs umap-learn's own neighbour search (NN-descent) on
   the same vectors, in the same process: ratio (goal ≥ 1.5× faster).

Usage: python benchmarks/bench_map.py [--n 100000] [--dim 384] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

WORDS = ["cat", "dog", "rocket", "coffee", "pasta", "piano", "train", "forest", "beach", "sail", "camera", "orbit", "espresso", "garlic", "melody", "platform", "oak", "tripod", "lens", "sauce", "whisker", "puppy", "launch", "beans", "basil", "scale", "ticket", "bird", "shutter", "wave"]


def synthetic(n: int, dim: int, topics: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dim)).astype(np.float32)
    topic = rng.integers(0, topics, n)
    vecs = centres[topic] + rng.normal(0, 0.6, (n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    snippets = [f"labels: {WORDS[t]} (0.{i % 90 + 10}) | speech: a {WORDS[(t + 1) % len(WORDS)]}"
                f" and a {WORDS[t]} number {i}" for i, t in enumerate(topic)]
    return vecs.astype(np.float32), topic, snippets


def synthetic_collection(root: Path, vecs: np.ndarray, snippets: list[str]):
    """A real collection directory holding ``vecs`` (no embedder involved)."""
    from nova_toolkit.collection import Collection
    from nova_toolkit.store import (
        CollectionSettings,
        Store,
        segments_schema,
        vectors_to_arrow,
    )

    n, dim = vecs.shape
    settings = CollectionSettings(backend="local", model_id="synthetic", dimension=dim,
                                  purpose="GENERIC_INDEX", segmentation={})
    store = Store.open(root, settings)
    schema = segments_schema(dim)
    modalities = np.array(["text", "image", "audio", "video", "document"])[np.arange(n) % 5]
    sources = [f"synthetic/{i // 4}.bin" for i in range(n)]
    cols = {
        "key": [f"{s}#TEXT#{i % 4}" for i, s in enumerate(sources)], "source": sources,
        "content_sha256": ["0" * 64] * n, "cache_key": ["0" * 64] * n,
        "modality": modalities.tolist(), "embedding_type": ["TEXT"] * n,
        "segment_index": (np.arange(n) % 4).astype(np.int32),
        "start_s": np.where(np.isin(modalities, ["audio", "video"]), (np.arange(n) % 4) * 5.0,
                            np.nan),
        "end_s": np.where(np.isin(modalities, ["audio", "video"]), (np.arange(n) % 4) * 5.0 + 5,
                          np.nan),
        "page": [None] * n, "char_start": [None] * n, "char_end": [None] * n,
        "snippet": snippets, "truncated_chars": [0] * n, "note": [None] * n,
        "metadata": [None] * n, "model_id": ["synthetic"] * n, "purpose": ["GENERIC_INDEX"] * n,
        "dimension": np.full(n, dim, np.int32),
    }
    arrays = [pa.array(cols[f.name], type=f.type, from_pandas=True) for f in schema
              if f.name != "vector"]
    table = pa.Table.from_arrays([*arrays, vectors_to_arrow(vecs)], schema=schema)
    with store.writer():
        store.commit(segments=table)
    return Collection(Store.open(root), None)


def timed(label: str, fn, results: dict):
    t = time.perf_counter()
    out = fn()
    results[label] = round(time.perf_counter() - t, 2)
    print(f"  {label:<28} {results[label]:8.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--n-neighbors", type=int, default=15)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()

    from nova_toolkit import analysis, viz
    from nova_toolkit.analysis.projection import _umap

    print(f"bench_map: n={args.n} dim={args.dim} n_neighbors={args.n_neighbors}")
    vecs, topic, snippets = synthetic(args.n, args.dim)
    results: dict = {"n": args.n, "dim": args.dim}
    # warm-up: numba compiles UMAP's kernels once per process; keep that out of both timings
    timed("umap warm-up (jit, 4.5k)", lambda: _umap(
        vecs[:4500], n_neighbors=args.n_neighbors, min_dist=0.1, seed=0), results)
    timed("umap warm-up nndescent (4.5k)", lambda: _umap(
        vecs[:4500], n_neighbors=args.n_neighbors, min_dist=0.1, seed=0, use_faiss=False),
        results)
    with tempfile.TemporaryDirectory() as tmp:
        coll = synthetic_collection(Path(tmp) / "coll", vecs, snippets)
        print("end to end:")
        t0 = time.perf_counter()
        knn = timed("faiss knn_graph", lambda: analysis.precomputed_knn(vecs, args.n_neighbors),
                    results)
        del knn
        coords = timed("project (faiss kNN + umap)", lambda: analysis.project(
            coll, "umap", n_neighbors=args.n_neighbors), results)
        timed("project again (cached)", lambda: analysis.project(
            coll, "umap", n_neighbors=args.n_neighbors), results)
        clusters = timed("cluster (kmeans + labels)", lambda: analysis.cluster(coll), results)
        fig = timed("semantic_map", lambda: viz.semantic_map(
            coll, coords=coords, color_by="cluster", clusters=clusters), results)
        path = timed("export_html", lambda: viz.export_html(fig, Path(tmp) / "map.html"),
                     results)
        results["end_to_end_s"] = round(time.perf_counter() - t0 - results["faiss knn_graph"], 2)
        results["html_mb"] = round(path.stat().st_size / 1e6, 2)
        from sklearn.metrics import adjusted_rand_score

        results["cluster_ari_vs_topics"] = round(adjusted_rand_score(topic, clusters.labels), 3)
        print(f"  end to end {results['end_to_end_s']} s, HTML {results['html_mb']} MB, "
              f"{clusters.n_clusters} clusters (ARI vs topics {results['cluster_ari_vs_topics']})")
    if not args.skip_baseline:
        print("UMAP neighbour search: FAISS kNN graph vs umap-learn's NN-descent:")
        faiss_s = results["project (faiss kNN + umap)"]
        timed("umap (own nndescent)", lambda: _umap(
            vecs, n_neighbors=args.n_neighbors, min_dist=0.1, seed=0, use_faiss=False), results)
        results["umap_speedup_faiss_vs_own"] = round(results["umap (own nndescent)"] / faiss_s,
                                                     2)
        print(f"  FAISS-fed UMAP is {results['umap_speedup_faiss_vs_own']}x faster "
              "(goal >= 1.5x)")
        import numpy.random as npr
        from umap.umap_ import nearest_neighbors

        timed("umap-learn kNN alone", lambda: nearest_neighbors(
            vecs, args.n_neighbors, "cosine", {}, False, npr.RandomState(0), low_memory=True,
            verbose=False), results)
        results["knn_speedup_faiss_vs_nndescent"] = round(
            results["umap-learn kNN alone"] / results["faiss knn_graph"], 2)
        print(f"  neighbour search alone: FAISS {results['faiss knn_graph']} s vs NN-descent "
              f"{results['umap-learn kNN alone']} s = {results['knn_speedup_faiss_vs_nndescent']}x;"
              " the rest is UMAP's layout, the same in both")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
