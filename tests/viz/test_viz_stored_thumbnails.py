"""Maps and galleries show the collection's stored thumbnails when the media are gone.

The picture library (an image, a video, a PDF, a text) is embedded, its media deleted, then
``nova-toolkit map`` (a subprocess) and a gallery still carry a ``data:image/jpeg`` picture
for every picture row, and headless Chromium decodes them. A collection written before
thumbnails were stored still opens and maps, its pictures made from the media as before.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cdp
import pytest
from thumbnail_helpers import MAX_THUMB_BYTES, copy_embedded, embed_pictures, jpeg

from nova_toolkit import viz
from nova_toolkit.collection import Collection
from nova_toolkit.decode.thumbnails import thumbnail_locator

pytestmark = pytest.mark.slow

JPEG_URI = "data:image/jpeg;base64,"
# every picture of the page decoded by the browser: [natural width, natural height] each
DECODED = """Promise.all(%s.map(src => new Promise(done => {
  const im = new Image();
  im.onload = () => done([im.naturalWidth, im.naturalHeight]);
  im.onerror = () => done([0, 0]);
  im.src = src;
})))"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, local_embedder):
    return embed_pictures(tmp_path_factory.mktemp("pictures"), local_embedder)


@pytest.fixture
def without_media(embedded, tmp_path, local_embedder) -> Collection:
    """A copy of the embedded collection whose media are nowhere."""
    _, root = copy_embedded(embedded, tmp_path / "copy", media=False)
    return Collection.open(root, embedder=local_embedder)


def map_thumbnails(collection: Path, out: Path, *extra: str) -> dict[str, str]:
    """``nova-toolkit map`` in a subprocess; the thumbnails its HTML carries, by row key."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "map", "--collection",
                           str(collection), "--out", str(out), "--method", "pca", *extra],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    found = re.search(r'"nova_thumbnails":(\{[^{}]*\})', out.read_text())
    assert found, "the map carries no thumbnail table"
    return json.loads(found.group(1))  # plotly escapes "/" as \u002f: JSON reads it back


def picture_keys(coll: Collection) -> set[str]:
    """Keys of the rows a map shows a picture for (video sound-only rows have none)."""
    df = coll.to_pandas()
    return {r["key"] for r in df.to_dict("records")
            if thumbnail_locator(r["modality"], r["segment_index"], r["page"])
            and r["embedding_type"] != "AUDIO"}


def decoded_in_chromium(uris: list[str]) -> list[list[int]]:
    assert cdp.find_chromium(), cdp.MISSING
    with cdp.Chromium() as page:
        page.navigate("about:blank")
        return page.evaluate(DECODED % json.dumps(uris))


def test_map_shows_stored_thumbnails_without_the_media(without_media, tmp_path):
    coll = without_media
    keys = picture_keys(coll)
    modalities = set(coll.to_pandas().set_index("key").loc[sorted(keys), "modality"])
    assert modalities == {"image", "video", "document"}
    thumbs = map_thumbnails(coll.path, tmp_path / "map.html")
    assert set(thumbs) == keys
    for uri in thumbs.values():
        assert uri.startswith(JPEG_URI)
        data = base64.b64decode(uri[len(JPEG_URI):])
        assert len(data) <= MAX_THUMB_BYTES and max(jpeg(data).size) <= viz.THUMB_PX
    sizes = decoded_in_chromium(sorted(set(thumbs.values())))
    assert all(0 < w <= viz.THUMB_PX and 0 < h <= viz.THUMB_PX for w, h in sizes), sizes


def test_gallery_shows_stored_thumbnails_without_the_media(without_media):
    coll = without_media
    hits = coll.search("a cat", top_k=len(coll))
    pictures = [h for h in hits if h["modality"] in ("image", "video", "document")]
    assert {h["modality"] for h in pictures} == {"image", "video", "document"}
    page = viz.hits_html(hits, collection=coll)
    uris = re.findall(r'<img src="(data:image/jpeg;base64,[^"]+)"', page)
    assert len(uris) == len(pictures)  # one picture per picture hit, none for the text
    assert "<video" not in page and "<audio" not in page  # no file to play
    sizes = decoded_in_chromium(sorted(set(uris)))
    assert all(w > 0 and h > 0 for w, h in sizes), sizes


def test_a_collection_without_stored_thumbnails_still_maps(embedded, tmp_path, local_embedder):
    library, root = copy_embedded(embedded, tmp_path / "old")
    # as written before thumbnails were stored: no thumbnails table in the manifest, no parts
    manifest = json.loads((root / "manifest.json").read_text())
    del manifest["parts"]["thumbnails"]
    (root / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(root / "thumbnails")
    coll = Collection.open(root, embedder=local_embedder)
    assert coll.store.thumbnails().num_rows == 0
    keys = picture_keys(coll)
    from_media = map_thumbnails(root, tmp_path / "with-media.html")
    assert set(from_media) == keys  # made from the media files, as before
    # the old collection takes new files, whose pictures are stored from then on
    shutil.copy(library / "cat.png", library / "cat-again.png")
    shutil.copy(Path(viz.__file__).resolve().parents[2] / "data" / "sample" / "images"
                / "coffee.jpg", library / "coffee.jpg")
    report = coll.add([str(library)], progress=False)
    assert report.failed == 0 and report.embedded == 1 and report.cached == 1
    stored = {Path(s).name for s in coll.store.thumbnails().column("source").to_pylist()}
    assert stored == {"coffee.jpg"}  # the copy's source had none stored to copy
    shutil.rmtree(library)
    without = map_thumbnails(root, tmp_path / "without-media.html")
    names = coll.to_pandas().set_index("key")["source"].map(lambda s: Path(s).name)
    assert {names[k] for k in without} == {"coffee.jpg"}
