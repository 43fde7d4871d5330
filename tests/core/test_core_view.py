"""A real ``Collection`` satisfies the read interface analysis, viz and push use (``_core.view``)."""

from __future__ import annotations

from nova_toolkit._core.view import CollectionView, IndexRef, SearchView, StoreView, index_ref


def test_a_collection_is_a_collection_view(tmp_path, local_embedder) -> None:
    from nova_toolkit.collection import INDEX_BUCKET, INDEX_NAME, Collection

    note = tmp_path / "note.txt"
    note.write_text("a small wooden boat in a quiet harbour", encoding="utf-8")
    coll = Collection.open(tmp_path / "coll", embedder=local_embedder)
    coll.add([str(note)], progress=False)
    assert isinstance(coll, CollectionView) and isinstance(coll, SearchView)
    assert isinstance(coll.store, StoreView)
    assert len(coll) == coll.to_arrow().num_rows == len(coll.vectors()) > 0
    ref = index_ref(coll)
    assert isinstance(ref, IndexRef) and ref.collection and ref.home == coll.path
    assert (ref.bucket, ref.index) == (INDEX_BUCKET, INDEX_NAME)  # the collection's own names
    listed = ref.client.list_vectors(vectorBucketName=ref.bucket, indexName=ref.index)
    assert len(listed["vectors"]) == len(coll)
