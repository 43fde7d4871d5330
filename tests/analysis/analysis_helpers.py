"""Synthetic vectors for the analysis tests: three well-separated blobs with labelled snippets."""

from __future__ import annotations

import numpy as np


def blobs(n_per: int = 40, d: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(d, dtype=np.float32)[:3] * 5
    vecs = np.concatenate([c + rng.normal(0, 0.3, (n_per, d)) for c in centres])
    truth = np.repeat(np.arange(3), n_per)
    words = ["cat whiskers sofa", "rocket launch orbit", "coffee espresso beans"]
    texts = [f"labels: {words[t]} (0.{i % 9 + 1}0) | speech: the {words[t].split()[i % 3]}"
             for i, t in enumerate(truth)]
    return vecs.astype(np.float32), truth, texts
