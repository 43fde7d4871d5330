"""Thumbnails of picture rows (images, video key frames, PDF pages) as small JPEG data URIs.

A row's thumbnail is the one stored in the collection when there is one (made while embedding,
found by content hash and spot: :mod:`nova_toolkit.store.thumbnails`), so maps and galleries
show pictures even where the media are absent; otherwise it is made from the media file, as
for a collection written before thumbnails were stored. Also where a row's file is on disk
(the store's item paths, else the source itself).
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
from collections.abc import Iterable
from typing import TYPE_CHECKING

from nova_toolkit.decode.thumbnails import THUMB_PX, thumbnail_locator
from nova_toolkit.viz.hover import _is_num

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView

__all__ = ["MAX_THUMBNAILS", "THUMB_PX", "row_spot", "source_contents", "stored_thumbnails",
           "thumbnail", "thumbnails"]

MAX_THUMBNAILS = 2000        # ≈ 3–5 KB each: a 100k-point map stays well under 50 MB


def _jpeg_data_uri(image, px: int = THUMB_PX, quality: int = 70) -> str:
    im = image.convert("RGB")
    im.thumbnail((px, px))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _video_frame(path: str, at: float):
    from PIL import Image

    from nova_toolkit.decode import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-ss", f"{max(at, 0):.3f}",
           "-i", path, "-frames:v", "1", "-an", "-f", "image2pipe", "-vcodec", "bmp", "pipe:1"]
    out = subprocess.run(cmd, capture_output=True, timeout=60).stdout
    if not out and at > 0:
        return _video_frame(path, 0.0)
    if not out:
        return None
    with Image.open(io.BytesIO(out)) as im:
        return im.convert("RGB")


def thumbnail(row: dict, path: str | None = None, px: int = THUMB_PX) -> str | None:
    """A base64 JPEG data URI (≤ ``px`` pixels) for an image, a video key frame or a PDF page.

    ``None`` for rows without a picture or whose file cannot be read.
    """
    path = path or str(row.get("source", ""))
    if not path or not os.path.isfile(path):
        return None
    modality, etype = row.get("modality"), row.get("embedding_type")
    try:
        from nova_toolkit.media import MediaItem

        if modality == "image":
            from nova_toolkit.decode import open_image

            return _jpeg_data_uri(open_image(MediaItem.from_path(path)), px)
        if modality == "video" and etype != "AUDIO":
            start = float(row["start_s"]) if _is_num(row.get("start_s")) else 0.0
            end = float(row["end_s"]) if _is_num(row.get("end_s")) else start
            frame = _video_frame(path, start + max(0.0, min(1.0, (end - start) / 2)))
            return _jpeg_data_uri(frame, px) if frame is not None else None
        if modality == "document" and _is_num(row.get("page")):
            from nova_toolkit.decode import render_pdf_page

            page = render_pdf_page(MediaItem.from_path(path), int(row["page"]), long_side=px * 2)
            return _jpeg_data_uri(page, px)
    except Exception:  # a thumbnail is a nicety; never fail the map for one
        return None
    return None


Spot = tuple[str, str]  # (content hash, locator)


def row_spot(row: dict, contents: dict[str, str] | None = None) -> Spot | None:
    """``(content hash, locator)`` of a row's picture (None when it has none): the row's own
    hash, else its source's in ``contents``; the segment index from ``segment.index`` too."""
    seg = row.get("segment") if isinstance(row.get("segment"), dict) else {}
    index = row.get("segment_index", seg.get("index"))
    page = row.get("page", seg.get("page"))
    locator = thumbnail_locator(row.get("modality"), index if _is_num(index) else None,
                                page if _is_num(page) else None)
    sha = row.get("content_sha256") or (contents or {}).get(str(row.get("source", "")))
    return (str(sha), locator) if sha and locator else None


def source_contents(collection: CollectionView) -> dict[str, str]:
    """``{source: content hash}`` of the stored items."""
    items = collection.store.items()
    if not items.num_rows:
        return {}
    return dict(zip(items.column("source").to_pylist(),
                    items.column("content_sha256").to_pylist(), strict=True))


def stored_thumbnails(collection: CollectionView, spots: Iterable[Spot | None]
                      ) -> dict[Spot, str]:
    """``{spot: data URI}`` of the thumbnails the collection stores for ``spots``.

    Empty for a collection without stored thumbnails (written before they existed) or a view
    whose store cannot read them.
    """
    wanted = {s for s in spots if s is not None}
    read = getattr(collection.store, "thumbnails", None)
    if not wanted or read is None:
        return {}
    try:
        table = read(contents={sha for sha, _ in wanted})
    except Exception:  # a damaged thumbnail part must not break the map: use the media
        return {}
    out = {}
    for row in table.to_pylist():
        spot = (row["content_sha256"], row["locator"])
        if spot in wanted and row["data"]:
            out[spot] = f"data:{row['mime']};base64," + base64.b64encode(row["data"]).decode()
    return out


class MediaPaths:
    """Where each stored source's media file is, handed out only when its bytes are the
    content the collection recorded for it (``content_sha256``).

    A collection is input from others: a crafted row naming a private picture or a key file
    would otherwise put that file's bytes into a map or a gallery the user may then share.
    Only a file whose SHA-256 equals the stored item's is read; each file is hashed once.
    """

    def __init__(self, collection: CollectionView) -> None:
        items = collection.store.items()
        cols = ("source", "path", "content_sha256")
        rows = zip(*(items.column(c).to_pylist() for c in cols), strict=True) \
            if items.num_rows else ()
        self._stored = {source: (path, sha) for source, path, sha in rows}
        self._locate = getattr(collection, "locate", None)  # where a key's file is now
        self._checked: dict[str, bool] = {}

    def get(self, source: str, default: str | None = None) -> str | None:
        """The verified local path of ``source``'s media, else ``default``."""
        path, sha = self._stored.get(source, (None, None))
        candidates = [self._locate(source) if self._locate is not None else None, path]
        for cand in candidates:
            if cand and sha and self._verified(str(cand), sha):
                return str(cand)
        return default

    def _verified(self, path: str, sha: str) -> bool:
        if path not in self._checked:
            self._checked[path] = os.path.isfile(path) and _sha256(path) == sha
        return self._checked[path]


def _sha256(path: str) -> str | None:
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _source_paths(collection: CollectionView) -> MediaPaths:
    """The collection's media, verified against its content hashes (:class:`MediaPaths`)."""
    return MediaPaths(collection)


def _resolve(source: str, paths: MediaPaths | dict[str, str]) -> str | None:
    """The media file to read for ``source``: a verified one from :class:`MediaPaths`; from a
    plain dict (paths the caller vouches for), the named file when it exists."""
    if isinstance(paths, MediaPaths):
        return paths.get(source)
    cand = paths.get(source)
    return cand if cand and os.path.isfile(cand) else None


def thumbnails(collection: CollectionView, df: pd.DataFrame | None = None, *,
               max_thumbnails: int = MAX_THUMBNAILS, px: int = THUMB_PX) -> dict[str, str]:
    """``{row key: data URI}`` for up to ``max_thumbnails`` picture rows (images first).

    The stored thumbnail of a row first; else one made from its media file (at ``px``), when
    the file is there. Document pages show for text rows as well as image rows.
    """
    df = collection.to_pandas() if df is None else df
    order = {"image": 0, "video": 1, "document": 2}
    rows = [r for r in df.to_dict("records") if r["modality"] in order
            and not (r["modality"] == "video" and r["embedding_type"] == "AUDIO")]
    rows.sort(key=lambda r: order[r["modality"]])
    rows = rows[: max(0, int(max_thumbnails))]
    spots = [row_spot(r) for r in rows]
    stored = stored_thumbnails(collection, spots)
    paths: dict[str, str] | None = None
    out: dict[str, str] = {}
    for r, spot in zip(rows, spots, strict=True):
        uri = stored.get(spot) if spot is not None else None
        if uri is None:
            paths = _source_paths(collection) if paths is None else paths
            path = _resolve(r["source"], paths)
            uri = thumbnail(r, path, px) if path else None
        if uri:
            out[r["key"]] = uri
    return out
