"""Writer stage: buffered, atomic ``Store.commit`` on a real store."""

from __future__ import annotations

import numpy as np
from pipeline_helpers import SEGMENTATION, write

from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.planner import segments_for
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.pipeline.rows import embedded_rows, failure_row, item_row
from nova_toolkit.pipeline.writer import BufferedWriter, Committed
from nova_toolkit.store import Store


def built(tmp_path, local_embedder, store, name, text):
    item = MediaItem.from_path(write(tmp_path / name, text))
    plan = segments_for(item, SEGMENTATION)
    plan = type(plan)(item, f"key-{name}", plan.segments, plan.note)
    (result,) = local_embedder.embed([(item, plan.segments)], purpose="GENERIC_INDEX")
    rows = embedded_rows(plan, result, store.settings, None)
    return item_row(item, plan.key, len(rows.rows)), rows


def test_commits_only_when_due_or_forced(tmp_path, local_embedder, store):
    with store.writer():
        w = BufferedWriter(store, commit_rows=2)
        a_item, a = built(tmp_path, local_embedder, store, "a.txt", "Dogs run on the beach.")
        w.add_item(a_item, a.rows, a.vectors)
        assert not w.due and w.flush() is None and store.segments().num_rows == 0
        b_item, b = built(tmp_path, local_embedder, store, "b.txt", "Rockets reach orbit.")
        w.add_item(b_item, b.rows, b.vectors)
        w.add_failure(failure_row(Failure("bad.png", "read", "not an image")))
        assert w.due
        done = w.flush()
        assert done == Committed(2, frozenset({a_item["source"], b_item["source"]}),
                                 frozenset({"bad.png"}))
        assert w.flush(force=True) is None  # nothing left to write
    again = Store.open(store.root)  # what is on disk
    assert sorted(again.items().column("source").to_pylist()) == sorted(
        [a_item["source"], b_item["source"]])
    assert again.failures().column("source").to_pylist() == ["bad.png"]
    assert np.allclose(again.vectors(), np.stack(a.vectors + b.vectors))


def test_rows_of_reads_the_buffer_then_the_store(tmp_path, local_embedder, store):
    with store.writer():
        w = BufferedWriter(store, commit_rows=100)
        a_item, a = built(tmp_path, local_embedder, store, "a.txt", "Pasta with basil.")
        w.add_item(a_item, a.rows, a.vectors)
        rows, vecs = w.rows_of(a_item["source"])
        assert rows == a.rows and rows[0] is not a.rows[0]  # copies
        w.flush(force=True)
        rows, vecs = w.rows_of(a_item["source"])
        assert [r["key"] for r in rows] == [r["key"] for r in a.rows]
        assert np.allclose(np.stack(vecs), np.stack(a.vectors))
        assert w.rows_of("never-stored") == ([], [])


def test_replacing_and_removing_sources(tmp_path, local_embedder, store):
    with store.writer():
        w = BufferedWriter(store)
        a_item, a = built(tmp_path, local_embedder, store, "a.txt", "First version.")
        w.add_item(a_item, a.rows, a.vectors)
        w.flush(force=True)
        a2_item, a2 = built(tmp_path, local_embedder, store, "a.txt", "Second version, changed.")
        w.add_item(a2_item, a2.rows, a2.vectors)
        w.flush(force=True)
        assert store.segments().column("snippet").to_pylist() == ["Second version, changed."]
        w.remove_sources([a_item["source"]])
    assert Store.open(store.root).segments().num_rows == 0


def test_an_unflushed_buffer_leaves_the_store_as_it_was(tmp_path, local_embedder, store):
    with store.writer():
        w = BufferedWriter(store, commit_rows=100)
        a_item, a = built(tmp_path, local_embedder, store, "a.txt", "Committed.")
        w.add_item(a_item, a.rows, a.vectors)
        w.flush(force=True)
        version = store.version
        b_item, b = built(tmp_path, local_embedder, store, "b.txt", "Never committed.")
        w.add_item(b_item, b.rows, b.vectors)  # the run dies here
    again = Store.open(store.root)
    assert again.version == version and again.items().column("source").to_pylist() == [
        a_item["source"]]
