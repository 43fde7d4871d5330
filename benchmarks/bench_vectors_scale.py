"""Scale benchmark of the S3 Vectors mirror: chosen index vs flat, filters, kNN graph.

Data is fixed so nobody tunes it: X = Z·W + E, Z ~ N(0, 1) of shape (n, 32),
W ~ N(0, 1/32) of shape (32, 384), E ~ N(0, 0.5²), rows L2-normalised, all drawn from
``numpy.random.default_rng(0)`` in that order (E in row blocks, same stream). Queries:
1,000 rows drawn the same way from ``default_rng(1)`` (their own Z and E) on the *same*
W — the data's subspace; a fresh W would put the queries in an unrelated subspace.

    python benchmarks/bench_vectors_scale.py [--n 1000000] [--memory-budget-gib 4]

Prints the automatically chosen index, build time, peak RSS, recall@10 vs exact,
single-query QPS of the chosen index vs flat (goal >= 50x at recall >= 0.95), the
mirror's per-query overhead vs raw FAISS on the same flat index, filtered queries at
50 %, 5 % and 0.1 % selectivity (recall@10 vs brute force, exact counts, QPS), and the
k=15 kNN graph of the whole set within the memory budget.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import faiss
import numpy as np

from nova_toolkit.vectors import ann, local_client
from nova_toolkit.vectors.knn import knn_graph

RANK, DIM = 32, 384


def make_data(n: int, seed: int, w: np.ndarray | None = None, block: int = 65536):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, RANK))
    if w is None:
        w = rng.standard_normal((RANK, DIM)) / np.sqrt(RANK)
    x = np.empty((n, DIM), dtype=np.float32)
    for s in range(0, n, block):
        e = rng.standard_normal((min(block, n - s), DIM)) * 0.5
        x[s : s + block] = z[s : s + block] @ w + e
    faiss.normalize_L2(x)
    return x, w


def peak_mib() -> float:
    """This process's peak RSS (VmHWM: reset at exec, unlike ru_maxrss, which a child
    started by subprocess inherits from its parent)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_query(fn, queries: np.ndarray) -> float:
    t0 = time.perf_counter()
    for q in queries:
        fn(q)
    return (time.perf_counter() - t0) / len(queries)


def knn_only(n: int, budget: int, k: int = 15, sample: int = 1000) -> None:
    """The k=15 graph of the whole set within ``budget``; recall on sampled rows vs exact."""
    x, _ = make_data(n, 0)
    base = peak_mib()
    t0 = time.perf_counter()
    ids, dist, kc = knn_graph(x, k, memory_budget=budget, return_choice=True)
    t = time.perf_counter() - t0
    rows = np.random.default_rng(7).choice(n, sample, replace=False)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(x)
    _, truth = flat.search(x[rows], k + 1)
    truth = np.array([[j for j in r if j != i][:k] for i, r in zip(rows, truth, strict=True)])
    rec = ann.recall_at_k(ids[rows], truth)
    print(f"kNN graph k={k}: {kc.describe()}")
    print(f"kNN graph k={k} of {n:,} x {DIM}: {t:.1f} s, recall@{k} {rec:.4f} on {sample} rows "
          f"vs exact; peak RSS {peak_mib():.0f} MiB (data alone {base:.0f} MiB; budget "
          f"{budget / 2**20:.0f} MiB)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--flat-queries", type=int, default=200, help="queries timed on flat")
    ap.add_argument("--memory-budget-gib", type=float, default=4.0)
    ap.add_argument("--skip-knn", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--knn-only", action="store_true", help="only the k=15 kNN graph")
    args = ap.parse_args()
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    budget = int(args.memory_budget_gib * 2**30)
    if args.knn_only:
        return knn_only(args.n, budget)
    n, k = args.n, 10
    print(f"n={n:,} dim={DIM} queries={args.queries} budget={args.memory_budget_gib} GiB "
          f"threads={faiss.omp_get_max_threads()}")  # fmt: skip

    t0 = time.perf_counter()
    x, w = make_data(n, 0)
    qs, _ = make_data(args.queries, 1, w=w)
    print(f"data: {time.perf_counter() - t0:.1f} s, peak {peak_mib():.0f} MiB")

    flat = faiss.IndexFlatIP(DIM)
    flat.add(x)
    t0 = time.perf_counter()
    _, truth = flat.search(qs, k)
    print(f"exact ground truth for {len(qs)} queries: {time.perf_counter() - t0:.1f} s")

    keys = [f"v{i:08d}" for i in range(n)]
    bucket = np.arange(n) % 1000
    meta = [{"b": int(b)} for b in bucket]
    with tempfile.TemporaryDirectory() as root:
        c = local_client(root, memory_budget=budget)
        c.create_vector_bucket(vectorBucketName="bench")
        ix = {"vectorBucketName": "bench", "indexName": "scale"}
        c.create_index(**ix, dataType="float32", dimension=DIM, distanceMetric="cosine")
        t0 = time.perf_counter()
        c.import_vectors(**ix, keys=keys, data=x, metadata=meta)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.flush()  # builds + tunes the chosen index, persists it
        t_build = time.perf_counter() - t0
        store = c._index(ix).store
        choice = store.choice
        print(f"chosen index: {choice.describe()}")
        print(f"import {t_import:.1f} s; index build + tune + persist {t_build:.1f} s; "
              f"peak RSS {peak_mib():.0f} MiB")  # fmt: skip

        def mq(q, flt=None, topk=k):
            p = dict(ix, queryVector={"float32": q.tolist()}, topK=topk)
            if flt is not None:
                p["filter"] = flt
            return [int(v["key"][1:]) for v in c.query_vectors(**p)["vectors"]]

        found = np.array([mq(q) for q in qs])
        rec = ann.recall_at_k(found, truth)
        raw_idx = store.faiss
        ann.apply_params(raw_idx, choice)
        t_chosen_raw = per_query(lambda q: raw_idx.search(q[None, :], k), qs)
        t_chosen_mirror = per_query(mq, qs)
        fq = qs[: args.flat_queries]
        t_flat = per_query(lambda q: flat.search(q[None, :], k), fq)
        print(f"recall@10 (mirror, chosen index) = {rec:.4f}")
        print(f"single-query QPS: chosen raw {1 / t_chosen_raw:,.0f}, chosen via mirror "
              f"{1 / t_chosen_mirror:,.0f}, flat raw {1 / t_flat:,.1f} -> speed-up "
              f"{t_flat / t_chosen_raw:.0f}x raw, {t_flat / t_chosen_mirror:.0f}x via mirror")  # fmt: skip

        # filtered queries (exact counts, recall vs brute force over the matches)
        for label, cut in (("50%", 500), ("5%", 50), ("0.1%", 1)):
            rows = np.flatnonzero(bucket < cut)
            flt = {"b": {"$lt": cut}}
            sub = qs[:200]
            got = [mq(q, flt) for q in sub]
            ok_counts = all(len(g) == min(k, len(rows)) for g in got)
            ok_match = all(bucket[i] < cut for g in got for i in g)
            xs = x[rows]
            tr = []
            for q in sub:
                d = xs @ q
                top = np.argpartition(-d, k - 1)[:k]
                tr.append(rows[top[np.argsort(-d[top])]])
            r = ann.recall_at_k(np.array(got), np.array(tr))
            t = per_query(lambda q, f=flt: mq(q, f), sub)
            print(f"filter {label:>5} ({len(rows):,} match): recall@10 {r:.4f}, exact counts "
                  f"{ok_counts}, all match {ok_match}, QPS {1 / t:,.0f}")  # fmt: skip
        c.close()

    # mirror overhead vs raw FAISS on the same flat index
    with tempfile.TemporaryDirectory() as root:
        c = local_client(root, approx_threshold=n + 1)
        c.create_vector_bucket(vectorBucketName="bench")
        ix = {"vectorBucketName": "bench", "indexName": "flat"}
        c.create_index(**ix, dataType="float32", dimension=DIM, distanceMetric="cosine")
        c.import_vectors(**ix, keys=keys, data=x)
        c.flush()
        fstore = c._index(ix).store
        assert fstore.choice.exact
        f_raw = fstore.faiss
        t_raw = per_query(lambda q: f_raw.search(q[None, :], k), fq)
        t_mir = per_query(
            lambda q: c.query_vectors(**ix, queryVector={"float32": q.tolist()}, topK=k), fq
        )
        print(f"flat: raw FAISS {t_raw * 1e3:.2f} ms/query, mirror {t_mir * 1e3:.2f} ms/query "
              f"(overhead {(t_mir - t_raw) * 1e3:.2f} ms, ratio {t_mir / t_raw:.3f})")  # fmt: skip
        c.close()

    if not args.skip_knn:
        # its own process, so that its peak RSS is the graph's alone (plus the data)
        import subprocess
        import sys

        subprocess.run([sys.executable, __file__, "--knn-only", "--n", str(n),
                        "--memory-budget-gib", str(args.memory_budget_gib)], check=True)
    print(f"peak RSS overall {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
