"""nova_toolkit._core.similarity against libraries' own results (scikit-learn, numpy's full sort)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import normalize

from nova_toolkit._core.similarity import l2_normalize, top_k


def test_l2_normalize_matches_scikit_learn() -> None:
    x = np.random.default_rng(0).standard_normal((50, 33)).astype(np.float32)
    x[7] = 0.0  # a zero row stays zero (scikit-learn leaves it as is too)
    got = l2_normalize(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, normalize(x, norm="l2"), atol=1e-6)
    np.testing.assert_allclose(l2_normalize(x[3]), normalize(x[3:4])[0], atol=1e-6)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [0, 1, 5, 40, 64, 100])
def test_top_k_equals_a_full_stable_sort(k: int, largest: bool) -> None:
    rng = np.random.default_rng(k)
    # few distinct values: many ties, which must keep column order like a stable sort
    scores = rng.integers(0, 6, size=(20, 64)).astype(np.float32)
    idx, vals = top_k(scores, k, largest=largest)
    full = np.argsort(-scores if largest else scores, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, full)
    np.testing.assert_array_equal(vals, np.take_along_axis(scores, full, axis=1))
    one_idx, _ = top_k(scores[0], k, largest=largest)
    np.testing.assert_array_equal(one_idx, full[0])
