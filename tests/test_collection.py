"""Collection runner end to end with the real local model: cache, replace, failures, search."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from nova_toolkit.collection import MAX_KEY_CHARS, Collection, row_key
from nova_toolkit.store import CollectionLockedError, SettingsMismatchError, Store


class Counting:
    """Wraps a real embedder and counts what reaches it."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.calls = 0
        self.segments = 0
        self.fail_after = fail_after

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, batch, *, purpose):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.segments += sum(len(s) for _, s in batch)
        return self.inner.embed(batch, purpose=purpose)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


@pytest.fixture
def lib(tmp_path):
    d = tmp_path / "lib"
    write(d / "a.txt", "The golden retriever fetched a stick from the waves at the beach.")
    write(d / "b.txt", "The rocket's upper stage performed the orbital insertion burn.")
    write(d / "sub" / "c.md", "# Pasta\n\nCook spaghetti, add tomato sauce and fresh basil.")
    return d


def test_add_search_and_cache(tmp_path, lib, local_embedder):
    emb = Counting(local_embedder)
    coll = Collection.open(tmp_path / "c", embedder=emb)
    r1 = coll.add([str(lib)], progress=False)
    assert (r1.embedded, r1.cached, r1.failed) == (3, 0, 0)
    assert len(coll) == 3 and coll.vectors().shape == (3, 384)
    hits = coll.search("dog playing in the sea", top_k=2)
    assert hits[0]["source"] == "a.txt"  # its key, relative to the library root
    assert hits[0]["path"] == os.path.join(os.path.realpath(lib), "a.txt")  # where it is
    assert hits[0]["distance"] <= hits[1]["distance"]
    assert set(hits[0]) >= {"key", "distance", "source", "path", "modality", "segment",
                            "embedding_type", "snippet", "metadata"}
    calls = emb.calls
    r2 = Collection.open(tmp_path / "c", embedder=emb).add([str(lib)], progress=False)
    assert emb.calls == calls, "an unchanged folder must not reach the embedder"
    assert (r2.embedded, r2.unchanged, r2.failed) == (0, 3, 0)


def test_changed_file_is_reembedded_and_replaced(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder, max_chars=80,
                           overlap_chars=0)
    coll.add([str(lib)], progress=False)
    src = "a.txt"
    before = coll.to_pandas()
    assert (before.source == src).sum() == 1
    write(lib / "a.txt", "Trains. " * 40)
    r = coll.add([str(lib)], progress=False)
    assert (r.embedded, r.unchanged) == (1, 2)
    after = coll.to_pandas()
    rows = after[after.source == src]
    assert len(rows) > 1 and rows.snippet.str.contains("Trains").all()
    assert rows.key.is_unique and after.key.is_unique
    assert coll.search("railway trains", top_k=1)[0]["source"] == src


def test_same_content_two_paths_embedded_once(tmp_path, lib, local_embedder):
    write(lib / "copy-of-a.txt", (lib / "a.txt").read_bytes())
    emb = Counting(local_embedder)
    coll = Collection.open(tmp_path / "c", embedder=emb)
    r = coll.add([str(lib)], progress=False)
    assert r.embedded == 3 and r.cached == 1
    assert emb.segments == 3
    df = coll.to_pandas()
    a, b = (df[df.source == n] for n in ("a.txt", "copy-of-a.txt"))
    assert len(a) == len(b) == 1 and a.key.iloc[0] != b.key.iloc[0]
    vecs = coll.vectors()
    np.testing.assert_array_equal(vecs[a.index[0]], vecs[b.index[0]])
    # later run: a new path with known content comes from the stored cache
    write(lib / "third.txt", (lib / "b.txt").read_bytes())
    r = coll.add([str(lib)], progress=False)
    assert r.cached == 1 and r.embedded == 0


def test_missing_files_removed_unless_keep_missing(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib)], progress=False)
    (lib / "b.txt").unlink()
    r = coll.add([str(lib)], progress=False, keep_missing=True)
    assert r.removed == [] and len(coll) == 3
    r = coll.add([str(lib)], progress=False)
    assert r.removed == ["b.txt"]
    assert sorted(coll.to_pandas().source) == ["a.txt", "sub/c.md"]
    assert all(h["source"] != "b.txt" for h in coll.search("rocket orbit", top_k=5))


def test_bad_input_is_reported_and_nothing_is_lost(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib)], progress=False)
    stored = len(coll)
    bad = tmp_path / "bad"
    write(bad / "empty.txt", b"")
    write(bad / "binary.txt", bytes(range(256)) * 8)
    write(bad / "unknown.xyz", b"\x00\x01\x02\x03garbage\xff\xfe" * 20)
    write(bad / "latin1.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e, a French dessert.".encode("latin-1"))
    r = coll.add([str(bad), str(tmp_path / "does-not-exist")], progress=False)
    reasons = dict(r.failures)
    # outside the library root (lib, recorded by the first add): keys climb out of it
    assert set(reasons) == {"../bad/empty.txt", "../bad/binary.txt", "../bad/unknown.xyz",
                            "../does-not-exist"}
    assert "empty" in reasons["../bad/empty.txt"]
    assert r.embedded == 1  # the latin-1 file
    df = coll.to_pandas()
    assert len(df) == stored + 1
    note = df[df.source == "../bad/latin1.txt"].note.iloc[0]
    assert "replacement" in note
    fails = coll.failures().to_pylist()
    assert {f["source"] for f in fails} == set(reasons)
    assert all(f["reason"] for f in fails)
    # re-running does not duplicate failure rows
    coll.add([str(bad), str(tmp_path / "does-not-exist")], progress=False)
    assert coll.failures().num_rows == len(fails)


def test_file_that_goes_bad_keeps_its_vectors(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib)], progress=False)
    write(lib / "a.txt", b"")
    r = coll.add([str(lib)], progress=False)
    assert r.failed == 1 and len(coll) == 3


def test_settings_are_fixed(tmp_path, lib, local_embedder):
    Collection.open(tmp_path / "c", embedder=local_embedder).add([str(lib)], progress=False)
    with pytest.raises(SettingsMismatchError, match="dimension: collection has 384, asked for 256"):
        Collection.open(tmp_path / "c", dimension=256)
    with pytest.raises(SettingsMismatchError, match="segmentation"):
        Collection.open(tmp_path / "c", max_chars=500)
    reopened = Collection.open(tmp_path / "c")
    assert reopened.settings.dimension == 384
    assert reopened.info()["items"] == 3


def test_one_writer_at_a_time(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    other = Store.open(tmp_path / "c")
    with other.writer(), pytest.raises(CollectionLockedError, match="another process"):
        coll.add([str(lib)], progress=False)


def test_interrupted_run_resumes(tmp_path, local_embedder):
    lib = tmp_path / "many"
    for i in range(12):
        write(lib / f"{i:02d}.txt", f"Document number {i} talks about topic {i * 7}.")
    emb = Counting(local_embedder, fail_after=2)
    coll = Collection.open(tmp_path / "c", embedder=emb)
    with pytest.raises(KeyboardInterrupt):
        coll.add([str(lib)], progress=False, batch_segments=4, commit_rows=4)
    done = len(Collection.open(tmp_path / "c", embedder=local_embedder))
    assert done == 8
    emb2 = Counting(local_embedder)
    r = Collection.open(tmp_path / "c", embedder=emb2).add([str(lib)], progress=False)
    assert r.unchanged == 8 and r.embedded == 4 and emb2.segments == 4


def test_metadata_and_filters(tmp_path, lib, local_embedder):
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib / "a.txt")], metadata={"lang": "en", "year": 2024}, progress=False)
    coll.add([str(lib / "b.txt")], metadata={"lang": "fr", "year": 2020}, progress=False)
    hits = coll.search("anything", top_k=10, filter={"lang": "fr"})
    assert [h["source"] for h in hits] == ["b.txt"]
    assert hits[0]["metadata"] == {"lang": "fr", "year": 2020}
    hits = coll.search("anything", top_k=10, filter={"year": {"$gte": 2021}})
    assert [h["source"] for h in hits] == ["a.txt"]
    assert len(coll.search("anything", top_k=10, modality="text")) == 2
    assert coll.search("anything", top_k=10, modality="image") == []
    with pytest.raises(ValueError, match="reserved"):
        coll.add([str(lib)], metadata={"source": "x"}, progress=False)


def test_query_by_example_file(sample_collection, sample_dir):
    path = sample_dir / "text" / "railway-journeys.txt"
    hits = sample_collection.search(file=path, top_k=3)
    assert hits[0]["source"].endswith("railway-journeys.txt")
    assert hits[0]["distance"] < 0.05


def test_row_keys_are_stable_unique_and_bounded():
    assert row_key("a.txt", "TEXT", 3) == "a.txt#TEXT#3"
    long_a = "d/" * 700 + "a.txt"
    long_b = "e/" * 700 + "a.txt"
    ka, kb = row_key(long_a, "TEXT", 0), row_key(long_b, "TEXT", 0)
    assert len(ka) <= MAX_KEY_CHARS and len(kb) <= MAX_KEY_CHARS and ka != kb
    assert ka == row_key(long_a, "TEXT", 0)


def test_sample_collection_search_quality(sample_collection):
    queries = {
        "a dog playing on the beach": "dogs-at-the-beach.txt",
        "how do rockets reach orbit": "rockets-and-orbit.md",
        "recipe with tomatoes and basil": "tomato-basil-pasta.txt",
        "sleeping car on a night train": "railway-journeys.txt",
    }
    for query, expected in queries.items():
        top = sample_collection.search(query, top_k=1)[0]
        assert top["source"].endswith(expected), (query, top["source"])


def test_index_is_rebuilt_after_changes(sample_collection, tmp_path):
    before = sample_collection.search("brand new topic: volcano eruption lava", top_k=1)
    write(tmp_path / "extra" / "volcano.txt", "The volcano erupted and lava flowed down the slope.")
    sample_collection.add([str(tmp_path / "extra")], progress=False)
    after = sample_collection.search("brand new topic: volcano eruption lava", top_k=1)
    assert after[0]["source"].endswith("volcano.txt")
    assert before[0]["source"] != after[0]["source"]
    shutil.rmtree(sample_collection.path / "index")
    again = sample_collection.search("brand new topic: volcano eruption lava", top_k=1)
    assert again[0]["key"] == after[0]["key"]


def test_with_dimension_truncates_without_embedding(sample_collection, tmp_path):
    from nova_toolkit.embedders import get_embedder

    small = sample_collection.with_dimension(256, tmp_path / "c256")
    assert small.settings.dimension == 256 and len(small) == len(sample_collection)
    vecs = small.vectors()
    assert vecs.shape[1] == 256
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # for the local backend the 256-d prefix is exactly what a 256-d embedder returns
    text_rows = small.to_pandas()
    i = int(np.flatnonzero(text_rows.embedding_type == "TEXT")[0])
    direct = get_embedder("local", dimension=256).embed_texts([text_rows.snippet.iloc[i]])[0]
    assert float(direct @ vecs[i]) > 0.999
    hit = small.search("a dog playing on the beach", top_k=1)[0]
    assert hit["source"].endswith("dogs-at-the-beach.txt")
    with pytest.raises(ValueError, match="smaller"):
        small.with_dimension(384, tmp_path / "bigger")


@pytest.mark.parametrize(("query", "modality", "expected"), [
    ("a cat curled up asleep", "image", "images/cat.png"),
    ("someone ordering an espresso at a cafe", "audio", "audio/espresso-order.mp3"),
    ("a rocket standing on the launch pad", "video", "video/rocket-launch.mp4"),
    ("how to sail a small boat", "document", "documents/outdoor-handbook.pdf"),
    ("images/rocket.webp", "video", "video/rocket-launch.mp4"),  # image -> video
])
def test_crossmodal_top3(sample_collection, sample_dir, query, modality, expected):
    """text→image, text→audio, text→video, text→document and image→video, top 3."""
    if query.startswith("images/"):
        hits = sample_collection.search(file=sample_dir / query, modality=modality, top_k=10)
    else:
        hits = sample_collection.search(query, modality=modality, top_k=10)
    sources = list(dict.fromkeys(h["source"] for h in hits))[:3]
    assert any(s.endswith(expected) for s in sources), sources
    assert all(h["modality"] == modality for h in hits)
    top = hits[0]["segment"]
    if modality in ("audio", "video"):
        assert top["start_s"] is not None and top["end_s"] > top["start_s"]
    if modality == "document":
        assert top["page"] >= 1


def test_old_public_names_still_import():
    import nova_toolkit
    import nova_toolkit.collection as c
    from nova_toolkit.pipeline import rows, runner

    assert nova_toolkit.Collection is c.Collection and nova_toolkit.AddReport is runner.AddReport
    assert c.row_key is rows.row_key and c.index_metadata is rows.index_metadata
    assert (c.INDEX_BUCKET, c.INDEX_NAME, c.NON_FILTERABLE) == ("collection", "segments",
                                                                ("snippet",))
    for name in ("hit_record", "build_embedder", "SearchResults", "RESERVED_METADATA",
                 "SNIPPET_IN_INDEX", "INDEX_DIR"):
        assert getattr(c, name) is not None


def test_collection_is_the_read_view_readers_take(sample_collection):
    from nova_toolkit._core.view import CollectionView, SearchView, index_ref

    assert isinstance(sample_collection, CollectionView)
    assert isinstance(sample_collection, SearchView)
    ref = index_ref(sample_collection)
    got = ref.client.list_vectors(vectorBucketName=ref.bucket, indexName=ref.index)
    assert len(got["vectors"]) == min(len(sample_collection), 500)


def test_add_runs_the_runner_the_facade_names(tmp_path, lib, local_embedder):
    from nova_toolkit.pipeline.runner import AddRunner

    built = []

    class Recording(AddRunner):
        def __init__(self, store, **kwargs):
            built.append(sorted(kwargs))
            super().__init__(store, **kwargs)

    class Mine(Collection):
        runner_class = Recording

    coll = Mine.open(tmp_path / "c", embedder=local_embedder)
    report = coll.add([str(lib)], progress=False, commit_rows=1)
    assert report.embedded == 3 and len(coll) == 3
    assert built == [["batch_segments", "commit_rows", "embedder", "media_root", "progress",
                      "reader", "segmentation"]]
