"""Embedding cache: a second ``embed`` over an unchanged folder vs the first.

    python benchmarks/bench_cache.py [--n 1000]

Goal: the second run takes ≤ 5 % of the first's time and makes 0 embedder calls.
Both runs use the real local MiniLM model, loaded (and warmed up) before timing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from nova_toolkit.collection import Collection
from nova_toolkit.embedders import get_embedder

WORDS = ["river", "mountain", "coffee", "train", "rocket", "orbit", "dog", "beach", "pasta", "basil", "piano", "forest", "bird", "sailing", "wind", "harbour", "engine", "station", "ticket", "recipe", "garlic", "tomato", "music", "scale", "melody", "owl", "oak", "leaves", "tide", "ocean", "storm", "city", "bridge", "market", "bread", "cheese", "garden", "flower"]


class CountingEmbedder:
    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, batch, *, purpose):
        self.calls += 1
        return self.inner.embed(batch, purpose=purpose)


def make_library(root: Path, n: int) -> None:
    rng = random.Random(0)
    for i in range(n):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize()
                     + "." for _ in range(rng.randint(2, 6))]
        (root / f"doc-{i:05d}.txt").write_text(" ".join(sentences), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    emb = CountingEmbedder(get_embedder("local"))
    emb.embed_texts(["warm up the model"])
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        make_library(lib, args.n)
        coll = Collection.open(Path(tmp) / "coll", embedder=emb)
        t0 = time.perf_counter()
        first = coll.add([str(lib)], progress=False)
        t1 = time.perf_counter()
        calls = emb.calls
        coll2 = Collection.open(Path(tmp) / "coll", embedder=emb)
        t2 = time.perf_counter()
        second = coll2.add([str(lib)], progress=False)
        t3 = time.perf_counter()
    print(f"first embed : {t1 - t0:8.3f} s  ({first.summary()}; {calls} embedder calls)")
    print(f"second embed: {t3 - t2:8.3f} s  ({second.summary()}; {emb.calls - calls} embedder calls)")
    print(f"ratio second/first = {(t3 - t2) / (t1 - t0):.4f}  (goal <= 0.05, 0 calls)")


if __name__ == "__main__":
    main()
