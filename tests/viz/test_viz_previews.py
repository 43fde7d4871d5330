"""nova_toolkit.viz.previews: hover thumbnails for images and video key frames, capped."""

from __future__ import annotations

import base64
import io

import pytest

from nova_toolkit import viz

pytestmark = pytest.mark.slow


def test_thumbnails_for_images_and_video_frames(coll, pca_coords):
    from PIL import Image

    df = coll.to_pandas()
    fig = viz.semantic_map(coll, coords=pca_coords)
    thumbs = fig.layout.meta[viz.META_THUMBS]
    images = df[df.modality == "image"].key
    assert set(images) <= set(thumbs)
    assert any(k in thumbs for k in df[df.modality == "video"].key)
    for uri in thumbs.values():
        assert uri.startswith("data:image/jpeg;base64,")
        im = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert max(im.size) <= viz.THUMB_PX
    capped = viz.semantic_map(coll, coords=pca_coords, thumbnails_max=3)
    assert len(capped.layout.meta[viz.META_THUMBS]) == 3
    none = viz.semantic_map(coll, coords=pca_coords, thumbnails_max=0)
    assert none.layout.meta[viz.META_THUMBS] == {}
