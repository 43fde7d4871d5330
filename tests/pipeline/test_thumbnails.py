"""Thumbnails made while embedding, stored in the collection with the rows (one commit).

One per picture spot (the image, each video window, each PDF page), a few KB each, in their
own table: rows, vectors and search never read them; cached content makes none again; they
follow their rows through metadata updates, content changes and removal; the Ray engine
(which makes them in its embed actors) stores the same ones.
"""

from __future__ import annotations

import shutil

import pytest
from ray_helpers import thumbnail_rows
from thumbnail_helpers import (
    MAX_THUMB_BYTES,
    PICTURES,
    by_name,
    copy_embedded,
    embed_pictures,
    expected_spots,
    jpeg,
    picture_library,
)

from nova_toolkit.collection import Collection
from nova_toolkit.decode.thumbnails import THUMB_PX
from nova_toolkit.pipeline import rows as rowlib
from nova_toolkit.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, local_embedder):
    return embed_pictures(tmp_path_factory.mktemp("pictures"), local_embedder)


@pytest.fixture
def pictures(embedded, tmp_path, local_embedder):
    """``(library, collection)``: a private copy of the embedded picture library."""
    library, root = copy_embedded(embedded, tmp_path / "copy")
    return library, Collection.open(root, embedder=local_embedder)


@pytest.fixture
def made(monkeypatch):
    """Every item a thumbnail is made for (the real maker, counted)."""
    calls: list[str] = []
    real = rowlib.thumbnails_for

    def counted(item, segments, *args, **kwargs):
        calls.append(item.source)
        return real(item, segments, *args, **kwargs)

    monkeypatch.setattr(rowlib, "thumbnails_for", counted)
    return calls


def test_one_small_thumbnail_per_picture_spot(embedded):
    store = Store.open(embedded)
    thumbs = store.thumbnails()
    got = list(zip(thumbs.column("source").to_pylist(), thumbs.column("locator").to_pylist(),
                   strict=True))
    assert len(got) == len(set(got))  # one per spot
    spots = expected_spots(store)
    assert set(got) == spots
    names = by_name(store)
    kinds = {name: sorted(loc for src, loc in spots if src == names[name]) for name in names}
    assert kinds["cat.png"] == ["image"]
    assert kinds["cat-nap.webm"] == ["segment=0", "segment=1", "segment=2"]
    assert kinds["outdoor-handbook.pdf"] == [f"page={n}" for n in range(1, 6)]
    assert kinds["forest-birds.txt"] == []
    content = dict(zip(store.items().column("source").to_pylist(),
                       store.items().column("content_sha256").to_pylist(), strict=True))
    for row in thumbs.to_pylist():
        assert row["content_sha256"] == content[row["source"]]
        assert row["mime"] == "image/jpeg" and 0 < len(row["data"]) <= MAX_THUMB_BYTES
        im = jpeg(row["data"])
        assert (im.width, im.height) == (row["width"], row["height"])
        assert max(im.size) == THUMB_PX
    # the rows and their parts hold no picture bytes
    assert "data" not in store.segments().column_names
    assert "thumbnail" not in Collection.open(embedded).to_arrow(vectors=True).column_names


def test_rows_vectors_and_search_never_read_thumbnails(pictures, local_embedder):
    _, coll = pictures
    for part in (coll.path / "thumbnails").iterdir():  # gone: any read of them would fail
        part.unlink()
    again = Collection.open(coll.path, embedder=local_embedder)
    assert again.to_arrow(vectors=True).num_rows == again.vectors().shape[0] > 0
    hits = again.search("a cat sleeping", top_k=3)
    assert len(hits) == 3


def test_cached_content_makes_no_thumbnail_again(pictures, made):
    library, coll = pictures
    report = coll.add([str(library)], progress=False)
    assert report.unchanged == len(PICTURES) and made == []
    shutil.copy(library / "cat.png", library / "cat-again.png")
    report = coll.add([str(library)], progress=False)
    assert report.cached == 1 and made == []  # same content as cat.png: copied, not made
    names = by_name(coll.store)
    thumbs = {(r["source"], r["locator"]): r["data"] for r in coll.store.thumbnails().to_pylist()}
    assert thumbs[(names["cat-again.png"], "image")] == thumbs[(names["cat.png"], "image")]
    shutil.copy(PICTURES["cat.png"].parent / "coffee.jpg", library / "coffee.jpg")
    report = coll.add([str(library)], progress=False)
    assert report.embedded == 1 and len(made) == 1 and made[0].endswith("coffee.jpg")


def test_thumbnails_follow_their_rows(pictures):
    library, coll = pictures
    store = coll.store
    cat = by_name(store)["cat.png"]

    def cat_thumbs():
        store.refresh()
        return store.thumbnails(sources=[cat]).to_pylist()

    before = cat_thumbs()
    assert len(before) == 1
    # rows rewritten for their metadata (same content) keep their picture
    coll.update_metadata([cat], set={"album": "pets"})
    assert cat_thumbs() == before
    coll.add([str(library)], metadata={"album": "home"}, progress=False)
    assert cat_thumbs() == before
    assert store.thumbnails().num_rows == len(expected_spots(store))
    # new content under the same name: a new picture replaces the old one
    shutil.copy(PICTURES["cat.png"].parent / "rocket.webp", library / "cat.png")
    coll.add([str(library)], progress=False)
    (after,) = cat_thumbs()
    assert after["content_sha256"] != before[0]["content_sha256"]
    assert after["data"] != before[0]["data"]
    # a copy at a smaller dimension keeps them (no embedder call, no picture made)
    small = coll.with_dimension(256, coll.path.parent / "small")
    assert thumbnail_rows(small.store) == thumbnail_rows(store)
    # removal takes the pictures too
    coll.remove([cat])
    assert cat_thumbs() == []
    assert store.thumbnails().num_rows == len(expected_spots(store))


def test_the_ray_engine_stores_the_same_thumbnails(embedded, tmp_path, ray_cluster):
    from nova_toolkit.pipeline.ray_engine import RayEngine

    library = picture_library(tmp_path / "library")
    remote = Collection.open(tmp_path / "ray")
    report = remote.add([str(library)], progress=False,
                        engine=RayEngine(workers=2, worker_cpus=0.5))
    assert report.failed == 0 and report.embedded == len(PICTURES)
    local = thumbnail_rows(Store.open(embedded))
    assert len(local) == len(expected_spots(remote.store))
    assert thumbnail_rows(remote.store) == local
