"""A shared collection cannot make a map or a gallery read files it does not hold.

A collection is crafted as an attacker would: its rows keep their recorded content hash but
point at a "private" picture of the user (the items' ``path``, a segment's ``source``), and
its stored thumbnails are gone so previews must go to the disk. Only media whose bytes are
the recorded content are read (MediaPaths), so the private picture never reaches the HTML;
with the genuine media in place, pictures come back. Exported HTML holds no absolute path.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from thumbnail_helpers import PICTURES, copy_embedded, embed_pictures

from nova_toolkit import viz
from nova_toolkit.collection import Collection
from nova_toolkit.viz.previews import thumbnail

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, local_embedder):
    return embed_pictures(tmp_path_factory.mktemp("untrusted"), local_embedder)


def rewrite(collection: Path, table: str, change) -> None:
    """Rewrite every part of ``table`` through ``change`` (valid checksums: a careful forger)."""
    manifest = json.loads((collection / "manifest.json").read_text())
    for name in manifest["parts"][table]:
        path = collection / table / name
        data = change(pq.read_table(path))
        pq.write_table(data, path, write_page_checksum=True)


def forget_thumbnails(collection: Path) -> None:
    manifest = json.loads((collection / "manifest.json").read_text())
    manifest["parts"]["thumbnails"] = []
    (collection / "manifest.json").write_text(json.dumps(manifest))


def set_column(table: pa.Table, name: str, values: list) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(name), pa.array(values, table.schema.field(
        name).type))


@pytest.fixture
def private(tmp_path) -> Path:
    """The user's private picture (another photo than the collection's cat)."""
    path = tmp_path / "private" / "secret.png"
    path.parent.mkdir()
    shutil.copy(Path(PICTURES["cat.png"]).parents[1] / "images" / "cameraman.bmp", path)
    return path


def secret_uri(private: Path) -> str:
    uri = thumbnail({"modality": "image"}, str(private))
    assert uri and uri.startswith("data:image/jpeg")
    return uri


def test_rows_pointing_at_a_private_picture_do_not_read_it(embedded, tmp_path, private,
                                                             local_embedder):
    _, root = copy_embedded(embedded, tmp_path / "shared", media=False)
    forget_thumbnails(root)
    cat_key = next(k for k in Collection.open(root, create=False).store.items()
                   .column("source").to_pylist() if k.endswith("cat.png"))
    # the items' path of the cat names the private picture; a PDF page row names it directly
    rewrite(root, "items", lambda t: set_column(t, "path", [
        str(private) if s == cat_key else p
        for s, p in zip(t.column("source").to_pylist(), t.column("path").to_pylist(),
                        strict=True)]))
    rewrite(root, "segments", lambda t: set_column(t, "source", [
        str(private) if m == "document" else s
        for s, m in zip(t.column("source").to_pylist(), t.column("modality").to_pylist(),
                        strict=True)]))
    coll = Collection.open(root, embedder=local_embedder, create=False)
    secret = secret_uri(private)
    thumbs = viz.thumbnails(coll)
    assert secret not in thumbs.values() and not thumbs  # nothing verified, nothing read
    html = viz.hits_html(coll.search("a cat", top_k=10), collection=coll)
    assert "<img" not in html and secret.split(",")[1][:200] not in html
    out = viz.export_html(viz.semantic_map(coll, method="pca"), tmp_path / "map.html")
    assert secret.split(",")[1][:200] not in out.read_text()
    assert str(private) not in out.read_text()


def test_the_genuine_media_are_still_read_and_no_absolute_path_is_written(
        embedded, tmp_path, local_embedder):
    library, root = copy_embedded(embedded, tmp_path / "mine", media=True)
    forget_thumbnails(root)
    coll = Collection.open(root, embedder=local_embedder, create=False)
    thumbs = viz.thumbnails(coll)
    assert len(thumbs) >= 3  # the image, video windows, PDF pages: read from the verified media
    # a file replaced by other bytes under the same name is no longer the recorded content
    shutil.copy(Path(PICTURES["cat.png"]).parents[1] / "images" / "cameraman.bmp",
                library / "cat.png")
    keys = set(viz.thumbnails(Collection.open(root, embedder=local_embedder,
                                              create=False)))
    image_keys = set(pc.filter(coll.store.segments().column("key"),
                               pc.equal(coll.store.segments().column("modality"), "image"))
                     .to_pylist())
    assert image_keys and not image_keys & keys
    html = viz.hits_html(coll.search("a cat sleeping", top_k=10), collection=coll,
                         embed_media=False)
    srcs = re.findall(r'src="([^"]*)"', html)
    assert any(".webm#t=" in s for s in srcs)  # the video plays from its segment
    assert not [s for s in srcs if s.startswith(("/", "file:"))]  # relative, not absolute
    out = viz.export_html(viz.semantic_map(coll, method="pca"), tmp_path / "map.html")
    assert str(tmp_path) not in out.read_text()  # no absolute local path in the page
