"""A ``derived/`` cache that does not fit is ignored with a warning and rebuilt, never trusted.

The caches are made by the real analysis functions on a real collection, then damaged the way
people and disks damage them: cut short, replaced by an array of the wrong shape (with a valid
header), copied from another collection, or left from an older store version. Each is ignored
with a :class:`CorruptCacheWarning`; the result equals a fresh computation and the file is
rewritten so that the next call reads it back without a warning. ``map`` on the CLI works over
a damaged cache too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from nova_toolkit import analysis
from nova_toolkit.analysis.derived import CorruptCacheWarning
from nova_toolkit.collection import Collection
from nova_toolkit.store.derived_files import write_derived

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def only_cache(coll, pattern: str) -> Path:
    found = list((coll.path / "derived").glob(pattern))
    assert len(found) == 1, found
    return found[0]


def quietly(fn, *args, **kwargs):
    """Call ``fn``; fail on any CorruptCacheWarning (the cache must be read back as is)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorruptCacheWarning)
        return fn(*args, **kwargs)


def test_a_truncated_projection_is_rebuilt_with_a_warning(sample_collection):
    coll = sample_collection
    fresh = analysis.project(coll, "pca")
    path = only_cache(coll, "projection-pca-*.npz")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(CorruptCacheWarning, match="unreadable"):
        again = analysis.project(coll, "pca")
    np.testing.assert_allclose(again, fresh, atol=1e-5)
    np.testing.assert_allclose(quietly(analysis.project, coll, "pca"), fresh, atol=1e-5)


@pytest.mark.parametrize("bad", [
    {"coords": np.zeros((3, 2), np.float32)},            # rows of another collection
    "wrong-columns",                                     # (n, 3)
    "nan",                                               # right shape, NaN inside
])
def test_a_projection_of_the_wrong_shape_is_rebuilt(sample_collection, bad):
    coll = sample_collection
    fresh = analysis.project(coll, "pca")
    path = only_cache(coll, "projection-pca-*.npz")
    n = len(coll)
    if bad == "wrong-columns":
        arrays = {"coords": np.zeros((n, 3), np.float32)}
    elif bad == "nan":
        arrays = {"coords": np.full((n, 2), np.nan, np.float32)}
    else:
        arrays = bad
    # a valid header that claims it fits this store: only the arrays are wrong
    write_derived(path, "projection", arrays, print_=coll.store.fingerprint,
                  version=coll.store.version, rows=n, params={"method": "pca"})
    with pytest.warns(CorruptCacheWarning):
        again = analysis.project(coll, "pca")
    assert again.shape == (n, 2)
    np.testing.assert_allclose(again, fresh, atol=1e-5)
    quietly(analysis.project, coll, "pca")


def test_a_knn_graph_naming_rows_that_do_not_exist_is_rebuilt(sample_collection):
    coll = sample_collection
    ids, dist = analysis.neighbours(coll, 5)
    path = only_cache(coll, "knn-*.npz")
    bad = ids.copy()
    bad[0, 0] = len(coll) + 7
    write_derived(path, "knn", {"ids": bad, "dist": dist}, print_=coll.store.fingerprint,
                  version=coll.store.version, rows=len(coll), params={"knn_options": {}})
    with pytest.warns(CorruptCacheWarning, match="outside"):
        again, _ = analysis.neighbours(coll, 5)
    np.testing.assert_array_equal(again, ids)


def test_a_cache_copied_from_another_collection_is_not_used(sample_collection, tmp_path,
                                                            local_embedder):
    coll = sample_collection
    lib = tmp_path / "other-lib"
    lib.mkdir()
    for i in range(len(coll)):  # the same row count: only the fingerprint tells them apart
        (lib / f"note{i:03d}.txt").write_text(f"Note number {i} about lighthouse keeper {i}.")
    other = Collection.open(tmp_path / "other", embedder=local_embedder)
    other.add([str(lib)], progress=False)
    assert len(other) == len(coll)
    theirs = analysis.project(other, "pca")
    mine = analysis.project(coll, "pca")
    # a plain copy of their derived/ folder: other names, never read
    for f in (other.path / "derived").iterdir():
        shutil.copy(f, coll.path / "derived" / f.name)
    np.testing.assert_allclose(quietly(analysis.project, coll, "pca"), mine, atol=1e-5)
    # even under the name this collection would read, its header gives it away
    path = analysis.projection_cache_path(coll, "pca", {})
    shutil.copy(analysis.projection_cache_path(other, "pca", {}), path)
    with pytest.warns(CorruptCacheWarning, match="another collection"):
        got = analysis.project(coll, "pca")
    np.testing.assert_allclose(got, mine, atol=1e-5)
    assert not np.allclose(got, theirs)


def test_a_cache_of_an_older_store_version_is_not_used(sample_collection, tmp_path):
    coll = sample_collection
    before = analysis.project(coll, "pca")
    old = analysis.projection_cache_path(coll, "pca", {})
    kept = tmp_path / "old.npz"
    shutil.copy(old, kept)
    more = tmp_path / "more"
    more.mkdir()
    (more / "owls.txt").write_text("Owls hunt at night and sleep in hollow trees by day.")
    coll.add([str(more)], progress=False)
    shutil.copy(kept, analysis.projection_cache_path(coll, "pca", {}))
    with pytest.warns(CorruptCacheWarning, match="stale"):
        now = analysis.project(coll, "pca")
    assert now.shape == (len(coll), 2) and len(coll) > len(before)


def test_map_on_the_cli_rebuilds_a_damaged_cache(sample_collection, tmp_path):
    coll = sample_collection
    analysis.project(coll, "pca")
    path = only_cache(coll, "projection-pca-*.npz")
    path.write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "map.html"
    r = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "map", "--collection",
                        str(coll.path), "--method", "pca", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "CorruptCacheWarning" in r.stderr
    assert out.stat().st_size > 0
    np.testing.assert_allclose(quietly(analysis.project, coll, "pca"),
                               analysis.project(coll, "pca", cache=False), atol=1e-5)
