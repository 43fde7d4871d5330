"""nova_toolkit.analysis.mrl: recall of Matryoshka-truncated vectors against the full ones."""

from __future__ import annotations

import numpy as np
import pytest

from nova_toolkit import analysis

pytestmark = pytest.mark.slow


def test_dimension_study_on_collection(sample_collection_dir):
    from nova_toolkit.collection import Collection

    coll = Collection.open(sample_collection_dir)
    study = analysis.dimension_study(coll, dims=(64, 128, 256, 384, 1024, 3072), k=5)
    table, best = study
    stored = coll.settings.dimension
    assert table["dim"].tolist() == [d for d in (64, 128, 256, 384) if d <= stored]
    assert table["recall_at_k"].iloc[-1] == 1.0
    assert table["recall_at_k"].is_monotonic_increasing
    assert best == table.loc[table.recall_at_k >= 0.95, "dim"].min()
    assert study.best_dim == best


def test_dimension_study_synthetic_mrl_spectrum():
    rng = np.random.default_rng(0)
    d = 256
    scale = 1 / np.sqrt(1 + np.arange(d))  # Matryoshka-like: most signal in the first axes
    vecs = (rng.normal(size=(2000, d)) * scale).astype(np.float32)
    table, best = analysis.dimension_study(vecs, dims=(16, 32, 64, 128, 256), k=10,
                                           n_queries=100, target=0.9)
    recalls = table["recall_at_k"].to_numpy()
    assert recalls[-1] == 1.0 and (np.diff(recalls) >= 0).all() and recalls[0] < 0.9
    assert best in (32, 64, 128, 256) and table.set_index("dim").loc[best, "recall_at_k"] >= 0.9
