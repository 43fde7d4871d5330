"""Images through the local backend: EfficientNet-Lite → ConSE labels, OCR text, one space."""

from __future__ import annotations

import numpy as np
import pytest

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.embedders.local.image import conse
from nova_toolkit.embedders.local.labels import label_names, label_texts, label_vectors
from nova_toolkit.embedders.local.ocr import has_real_text
from nova_toolkit.embedders.local.vision import ocr_weight
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item

CFG = SegmentationConfig(max_chars=1000, overlap_chars=100)


def embed_files(embedder, paths):
    items = [MediaItem.from_path(p) for p in paths]
    return embedder.embed([(it, segment_item(it, CFG)) for it in items], purpose="GENERIC_INDEX")


def test_label_vectors_match_their_texts():
    vecs = label_vectors()
    assert vecs.shape == (1000, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-2)
    assert len(label_names()) == 1000 and label_names()[281] == "tabby cat"
    assert label_texts()[517][1].startswith("construction crane")  # the gloss disambiguates


def test_conse_is_the_weighted_mix_of_top_labels():
    labels = np.eye(4, dtype=np.float32)
    probs = np.array([[0.6, 0.3, 0.1, 0.0]], dtype=np.float32)
    v = conse(probs, labels, k=2)
    np.testing.assert_allclose(v[0], np.array([2, 1, 0, 0]) / np.sqrt(5), atol=1e-6)


def test_ocr_word_check_and_weight():
    assert has_real_text("Quarterly sales report")
    assert not has_real_text("S= 2 II ooo")
    assert ocr_weight(0) == 0 and ocr_weight(1) == 0.3 and ocr_weight(100) == 0.85


def test_image_rows_and_crossmodal_ranking(local_embedder, media_dir):
    names = ["chelsea.png", "coffee.png", "rocket.png", "report.png"]
    results = embed_files(local_embedder, [media_dir / n for n in names])
    rows = [r[0] for r in results]
    for r in rows:
        assert isinstance(r, Embedding) and r.embedding_type == "IMAGE" and r.segment_index == 0
        assert r.vector.dtype == np.float32 and r.vector.shape == (384,)
        assert abs(np.linalg.norm(r.vector) - 1) < 1e-5
    assert "cat" in rows[0].snippet and "(0." in rows[0].snippet
    assert "espresso" in rows[1].snippet
    assert "text:" in rows[3].snippet and "sales report" in rows[3].snippet.lower()
    assert "text:" not in rows[0].snippet  # no words read into a cat photo
    v = np.stack([r.vector for r in rows])
    q = local_embedder.embed_texts(["a cat", "a cup of coffee", "a rocket", "sales report"])
    sims = q @ v.T
    assert list(sims.argmax(axis=1)) == [0, 1, 2, 3], np.round(sims, 2)


def test_256_is_the_prefix_and_query_by_example(local_embedder, media_dir):
    e256 = get_embedder("local", dimension=256)
    [[short]] = embed_files(e256, [media_dir / "chelsea.png"])
    [[full]] = embed_files(local_embedder, [media_dir / "chelsea.png"])
    assert short.vector.shape == (256,)
    prefix = full.vector[:256] / np.linalg.norm(full.vector[:256])
    np.testing.assert_allclose(short.vector, prefix, atol=1e-4)
    q = local_embedder.embed_query(MediaItem.from_path(media_dir / "chelsea.jpg"))
    others = embed_files(local_embedder, [media_dir / "coffee.png", media_dir / "rocket.png"])
    assert q @ full.vector > max(q @ r[0].vector for r in others) + 0.2
    assert q @ full.vector > 0.9


@pytest.mark.parametrize("variant", ["lite0"])
def test_smaller_variant_still_works(media_dir, variant):
    e = get_embedder("local", image_model=variant)
    assert variant in e.model_id
    [[row]] = embed_files(e, [media_dir / "coffee.png"])
    assert "espresso" in row.snippet
