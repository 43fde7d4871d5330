"""Search hits as HTML cards: thumbnails, and ``<audio>/<video>`` players from the segment's offset."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nova_toolkit.viz.hover import _is_num, trim, where
from nova_toolkit.viz.previews import (
    _resolve,
    _source_paths,
    row_spot,
    source_contents,
    stored_thumbnails,
    thumbnail,
)

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit._core.view import CollectionView

MAX_EMBED_BYTES = 8 * 1024 * 1024


def _media_src(path: str | None, source: str, embed: bool, mime: str) -> str:
    if embed and path and os.path.getsize(path) <= MAX_EMBED_BYTES:
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return f"data:{mime};base64,{data}"
    target = path or source
    try:
        rel = os.path.relpath(target)
        return rel if not rel.startswith("..") else Path(target).resolve().as_uri()
    except ValueError:
        return target


_MIME = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac",
         ".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
         ".mkv": "video/x-matroska", ".m4a": "audio/mp4"}


def hits_html(hits, *, collection: CollectionView | None = None, embed_media: bool = True,
              px: int = 160) -> str:
    """HTML cards for search hits: thumbnails, ``<audio>/<video>`` from the segment's offset.

    A picture is the collection's stored thumbnail when it has one (so a gallery shows pictures
    without the media), else made from the media file at ``px``.
    """
    if hasattr(hits, "to_dict") and not isinstance(hits, list):
        hits = hits.to_dict("records")
    paths = _source_paths(collection) if collection is not None else {}
    stored: dict = {}
    contents: dict[str, str] = {}
    if collection is not None:
        contents = source_contents(collection)
        stored = stored_thumbnails(collection, (row_spot(h, contents) for h in hits))
    cards = []
    for rank, h in enumerate(hits, 1):
        seg = h.get("segment") or h
        row = {**h, **{k: seg.get(k) for k in ("page", "start_s", "end_s", "char_start",
                                                 "char_end")}}
        source = str(h.get("source", ""))
        path = _resolve(source, paths)
        modality = h.get("modality", "")
        media = ""
        uri = None
        # a video whose file is embedded as a player needs no picture
        if modality in ("image", "document") or (
                modality == "video" and not (path and embed_media)):
            spot = row_spot(row, contents)
            uri = stored.get(spot) if spot is not None else None
            if uri is None and path:
                uri = thumbnail(row, path, px)
        if uri:
            media = f'<img src="{uri}" style="max-width:{px}px;max-height:{px}px">'
        if path and modality in ("audio", "video"):
            ext = Path(path).suffix.lower()
            mime = _MIME.get(ext, f"{modality}/{ext.lstrip('.')}")
            start = float(seg["start_s"]) if _is_num(seg.get("start_s")) else 0.0
            frag = f"#t={start:g}"
            if _is_num(seg.get("end_s")):
                frag += f",{float(seg['end_s']):g}"
            src = _media_src(path, source, embed_media, mime) + frag
            tag = "audio" if modality == "audio" or mime.startswith("audio") else "video"
            size = "" if tag == "audio" else f' width="{px * 2}"'
            media += (f'<{tag} controls preload="metadata"{size} src="{html.escape(src)}">'
                      f"</{tag}>")
        dist = h.get("distance")
        dist_txt = f" · distance {float(dist):.3f}" if _is_num(dist) else ""
        at = where(row)
        cards.append(
            '<div style="display:flex;gap:12px;align-items:flex-start;margin:6px 0;'
            'padding:6px;border:1px solid #ddd;border-radius:6px">'
            f'<div style="min-width:{px}px">{media}</div><div>'
            f"<b>{rank}. {html.escape(os.path.basename(source))}</b> "
            f'<span style="color:#666">{html.escape(modality)} · '
            f"{html.escape(str(h.get('embedding_type', '')))}"
            f"{' · ' + html.escape(at) if at else ''}{dist_txt}</span><br>"
            f"<span>{html.escape(trim(h.get('snippet'), 300))}</span></div></div>")
    return '<div class="nova-hits">' + "".join(cards) + "</div>"


def show_hits(hits, *, collection: CollectionView | None = None, embed_media: bool = True,
              px: int = 160):
    """Search hits as an IPython HTML gallery (images, players starting at ``#t=start``)."""
    text = hits_html(hits, collection=collection, embed_media=embed_media, px=px)
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return _Html(text)
    return HTML(text)


class _Html:
    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data
