"""nova_toolkit.viz.gallery: search hits as cards with thumbnails and players at the offset."""

from __future__ import annotations

import pytest

from nova_toolkit import viz

pytestmark = pytest.mark.slow


def test_show_hits_gallery(coll):
    hits = coll.search("a tabby cat sleeping", top_k=20)
    html = viz.show_hits(hits, collection=coll).data
    assert html.count('class="nova-hits"') == 1
    assert "<img src=\"data:image/jpeg;base64," in html
    media = [h for h in hits if h["modality"] in ("audio", "video")]
    assert media
    h = media[0]
    tag = "<audio" if h["modality"] == "audio" else "<video"
    assert tag in html
    assert f"#t={h['segment']['start_s']:g}" in html
    # without embedding, players point at the file
    plain = viz.hits_html(hits.to_pandas(), collection=coll, embed_media=False)
    assert "data:audio" not in plain and "#t=" in plain
