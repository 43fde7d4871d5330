"""Rows stage: real local embeddings → rows, keys and index metadata."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from pipeline_helpers import SEGMENTATION, write

from nova_toolkit.embedders import EmbedFailure
from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.planner import segments_for
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.pipeline.rows import (
    MAX_KEY_CHARS,
    SNIPPET_IN_INDEX,
    copied_rows,
    embedded_rows,
    index_metadata,
    item_row,
    metadata_json,
    row_key,
)
from nova_toolkit.store import vectors_to_arrow

LONG = " ".join(f"Sentence {i} is about the sea, ships and the harbour." for i in range(30))


def embedded(tmp_path, local_embedder, store, text=LONG, meta=None):
    item = MediaItem.from_path(write(tmp_path / "doc.txt", text))
    plan = segments_for(item, SEGMENTATION)
    plan = type(plan)(item, "key-1", plan.segments, plan.note)
    (result,) = local_embedder.embed([(item, plan.segments)], purpose="GENERIC_INDEX")
    return plan, result, embedded_rows(plan, result, store.settings, metadata_json(meta))


def test_one_row_per_segment_with_its_offsets_and_vector(tmp_path, local_embedder, store):
    plan, result, built = embedded(tmp_path, local_embedder, store, meta={"lang": "en"})
    assert len(plan.segments) > 1 and len(built.rows) == len(plan.segments) == len(result)
    assert built.failures == []
    for row, seg, vec in zip(built.rows, plan.segments, built.vectors, strict=True):
        assert row["key"] == row_key(plan.item.source, "TEXT", seg.index)
        assert (row["char_start"], row["char_end"]) == (seg.char_start, seg.char_end)
        assert row["snippet"] == seg.text and row["cache_key"] == "key-1"
        assert row["metadata"] == '{"lang": "en"}' and row["dimension"] == 384
        assert vec.dtype == np.float32 and abs(float(np.linalg.norm(vec)) - 1) < 1e-5
    item = item_row(plan.item, plan.key, len(built.rows), "a note")
    assert item["n_segments"] == len(built.rows) and item["note"] == "a note"


def test_failed_segments_become_failures_and_copies_are_rekeyed(tmp_path, local_embedder, store):
    plan, result, _ = embedded(tmp_path, local_embedder, store)
    mixed = [result[0], EmbedFailure(1, "ThrottlingException: slow down")] + list(result[2:])
    built = embedded_rows(plan, mixed, store.settings, None)
    assert len(built.rows) == len(result) - 1
    assert built.failures == [Failure(plan.item.source, "embed",
                                      "ThrottlingException: slow down", 1)]
    twin = MediaItem.from_path(write(tmp_path / "twin.txt", LONG))
    copies = copied_rows(built.rows, twin, '{"k": 1}')
    assert [c["key"] for c in copies] == [
        row_key(twin.source, r["embedding_type"], r["segment_index"]) for r in built.rows]
    assert {c["source"] for c in copies} == {twin.source} and built.rows[0]["source"] != \
        twin.source  # the originals are left alone


def test_row_keys_fit_the_s3_vectors_limit():
    short = row_key("a.txt", "TEXT", 3)
    assert short == "a.txt#TEXT#3"
    a, b = "x" * 2000 + "a", "x" * 2000 + "b"
    ka, kb = row_key(a, "IMAGE", 0), row_key(b, "IMAGE", 0)
    assert len(ka) <= MAX_KEY_CHARS and len(kb) <= MAX_KEY_CHARS and ka != kb
    assert ka.endswith("xa#IMAGE#0") and row_key(a, "IMAGE", 0) == ka  # stable


def test_index_metadata_cuts_snippets_and_merges_user_metadata(tmp_path, local_embedder, store):
    _, _, built = embedded(tmp_path, local_embedder, store, text="word " * 300,
                           meta={"year": 2024})
    rows = [dict(r, snippet="s" * 3000) for r in built.rows]
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    table = pa.table({**cols, "vector": vectors_to_arrow(np.stack(built.vectors))})
    meta = index_metadata(table)
    assert len(meta) == len(rows)
    assert len(meta[0]["snippet"]) == SNIPPET_IN_INDEX and meta[0]["year"] == 2024
    assert "page" not in meta[0]  # None values are left out
    assert json.loads(rows[0]["metadata"]) == {"year": 2024}


def test_reserved_metadata_keys_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        metadata_json({"source": "mine"})
    assert metadata_json(None) is None and metadata_json({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
