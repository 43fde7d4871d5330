"""Helpers of the stored-thumbnail tests: a small picture library, embedded once per module."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
#: An image, a video (three 5 s windows), a five-page PDF and a text (which gets no picture).
PICTURES = {
    "cat.png": SAMPLE / "images" / "cat.png",
    "cat-nap.webm": SAMPLE / "video" / "cat-nap.webm",
    "outdoor-handbook.pdf": SAMPLE / "documents" / "outdoor-handbook.pdf",
    "forest-birds.txt": SAMPLE / "text" / "forest-birds.txt",
}
#: Bytes a stored thumbnail may take at most (they are 0.6–3 KB on the sample media).
MAX_THUMB_BYTES = 6000


def picture_library(root: Path) -> Path:
    """A copy of :data:`PICTURES` in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, src in PICTURES.items():
        shutil.copy(src, root / name)
    return root


def embed_pictures(root: Path, embedder) -> Path:
    """The picture library embedded into a collection under ``root`` (its path); the library
    is then deleted, so no test finds these media through the paths the collection recorded
    (:func:`copy_embedded` puts a library back beside a copy when a test needs one)."""
    from nova_toolkit.collection import Collection

    library = picture_library(root / "library")
    coll = Collection.open(root / "collection", embedder=embedder)
    report = coll.add([str(library)], progress=False)
    assert report.failed == 0 and report.embedded == len(PICTURES), report.failures
    shutil.rmtree(library)
    return root / "collection"


def copy_embedded(collection: Path, dest: Path, *, media: bool = True) -> tuple[Path, Path]:
    """``(library, collection)``: a private copy of an :func:`embed_pictures` collection in
    ``dest``, with the media beside it where the collection expects them (unless not ``media``)."""
    shutil.copytree(collection, dest / "collection")
    if media:
        picture_library(dest / "library")
    return dest / "library", dest / "collection"


def by_name(store) -> dict[str, str]:
    """``{file name: source key}`` of the stored items."""
    return {Path(s).name: s for s in store.items().column("source").to_pylist()}


def expected_spots(store) -> set[tuple[str, str]]:
    """``(source, locator)`` of every picture row: the image, each video window, each page."""
    from nova_toolkit.decode.thumbnails import thumbnail_locator

    rows = store.segments().drop_columns(["vector"]).to_pylist()
    spots = {(r["source"], thumbnail_locator(r["modality"], r["segment_index"], r["page"]))
             for r in rows}
    return {s for s in spots if s[1] is not None}


def jpeg(data: bytes) -> Image.Image:
    """The decoded picture of a thumbnail (checked to be a JPEG)."""
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.convert("RGB")
