"""The collection's index is derived data: checked against the store, rebuilt, never waited for.

Tampering goes through the real mirror (PutVectors on the index folder), so every file it
writes carries a valid checksum: only a check against the store can tell. The writer that
holds the lock is another process, as an ``embed`` running beside a notebook would be.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from search_helpers import build_small_collection, run_cli

from nova_toolkit.collection import Collection
from nova_toolkit.collection.index_upkeep import INDEX_BUCKET, INDEX_DIR, INDEX_NAME
from nova_toolkit.vectors import local_client
from nova_toolkit.vectors.index_files import CorruptIndexWarning

pytestmark = pytest.mark.slow
WHERE = {"vectorBucketName": INDEX_BUCKET, "indexName": INDEX_NAME}


@pytest.fixture(scope="module")
def built(tmp_path_factory, local_embedder):
    return build_small_collection(tmp_path_factory.mktemp("upkeep"), local_embedder)


@pytest.fixture
def coll_dir(built, tmp_path):
    return shutil.copytree(built, tmp_path / "coll")


def tamper(coll_dir, change) -> None:
    """Change the index as a hostile or buggy tool would, through the mirror itself."""
    client = local_client(coll_dir / INDEX_DIR)
    change(client)
    client.close()


def first_row(coll_dir):
    coll = Collection.open(coll_dir, create=False)
    row = coll.to_arrow().slice(0, 1).to_pylist()[0]
    return row["key"], coll.vectors()[0]


def reopened_search(coll_dir, local_embedder):
    coll = Collection.open(coll_dir, embedder=local_embedder, create=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        hits = coll.search("a cat", top_k=5)
    return coll, hits, [w for w in seen if issubclass(w.category, CorruptIndexWarning)]


def test_a_sound_index_loads_without_a_rebuild(coll_dir, local_embedder):
    before = sorted(p.name for p in (coll_dir / INDEX_DIR).rglob("*"))
    _, hits, warned = reopened_search(coll_dir, local_embedder)
    assert hits and not warned
    assert sorted(p.name for p in (coll_dir / INDEX_DIR).rglob("*")) == before


@pytest.mark.parametrize("how", ["vector", "extra key", "missing key", "metadata"])
def test_a_tampered_index_is_found_and_rebuilt_from_the_store(coll_dir, local_embedder, how):
    key, vector = first_row(coll_dir)
    other = np.roll(vector, 7).astype(np.float32)

    def change(client):
        if how == "vector":
            client.put_vectors(vectors=[{"key": key, "data": {"float32": other.tolist()},
                                         "metadata": client.get_vectors(
                                             keys=[key], returnMetadata=True, **WHERE)[
                                             "vectors"][0]["metadata"]}], **WHERE)
        elif how == "extra key":
            client.put_vectors(vectors=[{"key": "planted", "data": {"float32":
                                         other.tolist()}}], **WHERE)
        elif how == "missing key":
            client.delete_vectors(keys=[key], **WHERE)
        else:
            client.put_vectors(vectors=[{"key": key, "data": {"float32": vector.tolist()},
                                         "metadata": {"modality": "image",
                                                      "source": "elsewhere"}}], **WHERE)

    tamper(coll_dir, change)
    coll, hits, warned = reopened_search(coll_dir, local_embedder)
    assert len(warned) == 1 and "does not match the collection's rows" in str(warned[0].message)
    assert all(h["key"] != "planted" for h in hits)
    client = coll.index_client()
    found = client.get_vectors(keys=[key], returnData=True, returnMetadata=True, **WHERE)
    np.testing.assert_allclose(found["vectors"][0]["data"]["float32"], vector, atol=1e-6)
    assert client.count_vectors(**WHERE) == len(coll)
    _, _, again = reopened_search(coll_dir, local_embedder)  # rebuilt once, then trusted
    assert not again


def test_a_damaged_stamp_rebuilds(coll_dir, local_embedder):
    (coll_dir / INDEX_DIR / "store-version.json").write_text("{not json")
    coll, hits, _ = reopened_search(coll_dir, local_embedder)
    assert hits
    stamp = json.loads((coll_dir / INDEX_DIR / "store-version.json").read_text())
    assert stamp["version"] == coll.store.version


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from nova_toolkit.store import Store
    store = Store.open(sys.argv[1])
    with store.writer():
        print("locked", flush=True)
        sys.stdin.readline()  # until the test says so
""")


def test_readers_do_not_wait_for_a_writer(coll_dir, local_embedder, tmp_path):
    # a new file is committed; the shared index is now one version behind
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "lighthouse.txt").write_text("A lighthouse keeper climbs the tower at dusk to "
                                          "light the lamp for the ships.", encoding="utf-8")
    coll = Collection.open(coll_dir, embedder=local_embedder, create=False)
    assert coll.add([str(extra)], progress=False).embedded == 1
    stamp = (coll_dir / INDEX_DIR / "store-version.json").read_text()
    writer = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(coll_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        # the CLI (another process) and this one both search while the writer holds the lock
        r = run_cli("search", "--collection", str(coll_dir), "--text", "lighthouse keeper",
                    "--top-k", "1", "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)[0]["source"].endswith("lighthouse.txt")
        reader = Collection.open(coll_dir, embedder=local_embedder, create=False)
        assert reader.search("lighthouse keeper", top_k=1)[0]["source"].endswith(
            "lighthouse.txt")
        # the shared index was left to the writer
        assert (coll_dir / INDEX_DIR / "store-version.json").read_text() == stamp
    finally:
        writer.communicate("done\n", timeout=60)
    assert writer.returncode == 0
