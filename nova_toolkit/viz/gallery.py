"""Search hits as HTML cards: thumbnails, and ``<audio>/<video>`` players from the segment's offset."""

from __future__ import annotations

import base64
import contextlib
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
    try:  # relative to where the page is written: no absolute local path in shared HTML
        return Path(os.path.relpath(target)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(target).name


_MIME = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac",
         ".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
         ".mkv": "video/x-matroska", ".m4a": "audio/mp4"}


def _norm(value: str | os.PathLike) -> set[str]:
    """A file as the strings a hit may name it by: as given, and as a resolved path."""
    text = os.fspath(value)
    names = {text}
    with contextlib.suppress(OSError, ValueError):
        names.add(str(Path(text).expanduser().resolve()))
    return names


def _excluded(exclude) -> set[str]:
    if exclude is None:
        return set()
    if isinstance(exclude, (str, os.PathLike)):
        exclude = [exclude]
    return set().union(*(_norm(e) for e in exclude))


def _hit_names(h: dict, path: str | None) -> set[str]:
    names = {str(h.get("source", ""))}
    for p in (h.get("path"), path):
        if p:
            names |= _norm(p)
    return names


# inline styles (no <style> block: GitHub and some front-ends drop it). The card wraps, the media
# column is as wide as its widest player and never narrower, so a player cannot reach the title.
_CARD = ("display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-start;margin:6px 0;"
         "padding:6px;border:1px solid #ddd;border-radius:6px")
_MEDIA_COL = ("flex:0 0 auto;display:flex;flex-direction:column;gap:6px;max-width:100%;"
              "min-width:{px}px")
_TEXT_COL = "flex:1 1 220px;min-width:0;overflow-wrap:anywhere"


def _media(h: dict, row: dict, path: str | None, modality: str, stored: dict,
           contents: dict, embed_media: bool, px: int) -> str:
    seg = h.get("segment") or h
    source = str(h.get("source", ""))
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
        media = (f'<img src="{uri}" class="nova-thumb" '
                 f'style="display:block;max-width:{px}px;max-height:{px}px">')
    if path and modality in ("audio", "video"):
        ext = Path(path).suffix.lower()
        mime = _MIME.get(ext, f"{modality}/{ext.lstrip('.')}")
        start = float(seg["start_s"]) if _is_num(seg.get("start_s")) else 0.0
        frag = f"#t={start:g}"
        if _is_num(seg.get("end_s")):
            frag += f",{float(seg['end_s']):g}"
        src = _media_src(path, source, embed_media, mime) + frag
        tag = "audio" if modality == "audio" or mime.startswith("audio") else "video"
        media += (f'<{tag} class="nova-player" controls preload="metadata" '
                  f'style="display:block;width:{px * 2}px;max-width:100%" '
                  f'src="{html.escape(src)}"></{tag}>')
    return media


def _about(h: dict, row: dict, *, rank: int | None = None) -> str:
    """``#3 · video · AUDIO_VIDEO_COMBINED · 0:05–0:10 · distance 0.349``."""
    dist = h.get("distance")
    at = where(row)
    parts = [f"#{rank}"] if rank is not None else []
    parts += [html.escape(str(h.get("modality", ""))),
              html.escape(str(h.get("embedding_type", "")))]
    if at:
        parts.append(html.escape(at))
    if _is_num(dist):
        parts.append(f"distance {float(dist):.3f}")
    return " · ".join(p for p in parts if p)


def hits_html(hits, *, collection: CollectionView | None = None, embed_media: bool = True,
              px: int = 160, group_by_source: bool = False, exclude=None) -> str:
    """HTML cards for search hits: thumbnails, ``<audio>/<video>`` from the segment's offset.

    A picture is the collection's stored thumbnail when it has one (so a gallery shows pictures
    without the media), else made from the media file at ``px``. ``group_by_source`` makes one
    card per file (at its best hit's place) listing each of its hits with its own player;
    ``exclude`` drops the hits of one file or several (a source key or a path, e.g. the query
    file of a query by example). Players sit in their own column and never cover the title.
    """
    if hasattr(hits, "to_dict") and not isinstance(hits, list):
        hits = hits.to_dict("records")
    hits = list(hits)
    paths = _source_paths(collection) if collection is not None else {}
    drop = _excluded(exclude)
    ranked = []
    for h in hits:
        path = _resolve(str(h.get("source", "")), paths)
        if (path is None and collection is None and h.get("path")
                and os.path.isfile(str(h["path"]))):
            # a gallery without ``collection=`` shows the hit's own location; with one, only
            # media whose bytes are the content the collection recorded (MediaPaths)
            path = str(h["path"])
        if drop and _hit_names(h, path) & drop:
            continue
        ranked.append((len(ranked) + 1, h, path))
    stored: dict = {}
    contents: dict[str, str] = {}
    if collection is not None:
        contents = source_contents(collection)
        stored = stored_thumbnails(collection, (row_spot(h, contents) for _, h, _ in ranked))
    groups: dict[str, list] = {}
    for item in ranked:
        key = str(item[1].get("source", "")) if group_by_source else str(item[0])
        groups.setdefault(key, []).append(item)
    cards = []
    for members in groups.values():
        first_rank, first, _ = members[0]
        source = str(first.get("source", ""))
        title = (f'<b class="nova-title">{first_rank}. {html.escape(os.path.basename(source))}'
                 f"</b>")
        entries = []
        for rank, h, path in members:
            seg = h.get("segment") or h
            row = {**h, **{k: seg.get(k) for k in ("page", "start_s", "end_s", "char_start",
                                                     "char_end")}}
            modality = str(h.get("modality", ""))
            media = _media(h, row, path, modality, stored, contents, embed_media, px)
            about = _about(h, row, rank=rank if group_by_source else None)
            entries.append(
                f'<div class="nova-hit" style="{_CARD}">'
                + (f'<div class="nova-media" style="{_MEDIA_COL.format(px=px)}">{media}</div>'
                   if media else "")
                + f'<div style="{_TEXT_COL}">'
                + (title + " " if not group_by_source else "")
                + f'<span style="color:#666">{about}</span><br>'
                f"<span>{html.escape(trim(h.get('snippet'), 300))}</span></div></div>")
        if group_by_source:
            n = len(members)
            cards.append(f'<div class="nova-group" style="margin:6px 0">{title} '
                         f'<span style="color:#666">{n} hit{"s" if n != 1 else ""}</span>'
                         + "".join(entries) + "</div>")
        else:
            cards.extend(entries)
    return '<div class="nova-hits">' + "".join(cards) + "</div>"


def show_hits(hits, *, collection: CollectionView | None = None, embed_media: bool = True,
              px: int = 160, group_by_source: bool = False, exclude=None):
    """Search hits as an IPython HTML gallery (images, players starting at ``#t=start``).

    ``group_by_source`` and ``exclude`` as in :func:`hits_html`.
    """
    text = hits_html(hits, collection=collection, embed_media=embed_media, px=px,
                     group_by_source=group_by_source, exclude=exclude)
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
