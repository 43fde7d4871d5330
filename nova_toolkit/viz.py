"""Pictures of a collection: the semantic map (plotly Scattergl), result galleries, HTML export.

``semantic_map`` draws the rows of a collection at their 2-D projection
(:func:`nova_toolkit.analysis.project`), coloured by modality, cluster or any
row/metadata field, with the snippet (and page / time offsets) on hover and a
small thumbnail for image rows, video key frames and document pages.
``export_html`` writes one standalone file (plotly.js inlined) that works
offline; a small script in it shows the thumbnail of the hovered point.
In Jupyter, :class:`MapSelection` turns a lasso/box selection into a DataFrame.

Nothing here computes embeddings; projection and clustering come from
:mod:`nova_toolkit.analysis`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

    from nova_toolkit._core.view import CollectionView
    from nova_toolkit.analysis import ClusterResult

THUMB_PX = 96
MAX_THUMBNAILS = 2000        # ≈ 3–5 KB each: a 100k-point map stays well under 50 MB
SNIPPET_CHARS = 160
MODALITY_COLORS = {"text": "#1f77b4", "document": "#9467bd", "image": "#2ca02c",
                   "audio": "#ff7f0e", "video": "#d62728"}
META_THUMBS = "nova_thumbnails"
NONE_LABEL = "(none)"

# Shows the hovered point's thumbnail (layout.meta.nova_thumbnails[customdata[1]]) in a
# floating <img>; plotly's own hover labels cannot hold images.
HOVER_SCRIPT = """
(function () {
  var gd = document.getElementById('{plot_id}');
  if (!gd || !gd.on) { return; }
  var box = document.createElement('img');
  box.id = 'nova-thumb';
  box.style.cssText = 'position:fixed;display:none;pointer-events:none;z-index:1000;' +
    'border:1px solid #888;background:#fff;max-width:96px;max-height:96px';
  document.body.appendChild(box);
  gd.on('plotly_hover', function (ev) {
    var thumbs = (gd.layout.meta || {}).nova_thumbnails || {};
    var p = ev.points && ev.points[0];
    var id = p && p.customdata ? p.customdata[1] : '';
    if (id && thumbs[id]) {
      box.src = thumbs[id];
      var e = ev.event || {};
      box.style.left = ((e.clientX || 0) + 16) + 'px';
      box.style.top = ((e.clientY || 0) + 16) + 'px';
      box.style.display = 'block';
    } else { box.style.display = 'none'; }
  });
  gd.on('plotly_unhover', function () { box.style.display = 'none'; });
})();
"""


# ---------------------------------------------------------------------------------------------
# hover text and thumbnails
# ---------------------------------------------------------------------------------------------

def _fmt_time(seconds: float) -> str:
    seconds = float(seconds)
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


def _is_num(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and np.isnan(x))


def where(row: dict) -> str:
    """Where a row sits in its source: ``page 3``, ``0:05.0–0:10.0`` or ``chars 0–1000``."""
    if _is_num(row.get("page")):
        return f"page {int(row['page'])}"
    if _is_num(row.get("start_s")):
        end = f"–{_fmt_time(row['end_s'])}" if _is_num(row.get("end_s")) else ""
        return f"{_fmt_time(row['start_s'])}{end}"
    if _is_num(row.get("char_start")) and _is_num(row.get("char_end")):
        return f"chars {int(row['char_start'])}–{int(row['char_end'])}"
    return ""


def trim(text: str | None, n: int = SNIPPET_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def hover_text(row: dict, *, extra: str = "") -> str:
    """Plotly hover HTML for one row: file name, modality/type, offsets, trimmed snippet."""
    name = os.path.basename(str(row.get("source", "")))
    bits = [f"<b>{html.escape(name)}</b>",
            html.escape(f"{row.get('modality', '')} · {row.get('embedding_type', '')}")]
    at = where(row)
    if at:
        bits[-1] += " · " + html.escape(at)
    if extra:
        bits.append(html.escape(extra))
    snippet = trim(row.get("snippet"))
    if snippet:
        # wrap long snippets so the hover box stays narrow
        words, lines, line = snippet.split(" "), [], ""
        for w in words:
            if len(line) + len(w) > 60 and line:
                lines.append(line)
                line = ""
            line = f"{line} {w}".strip()
        lines.append(line)
        bits.append("<br>".join(html.escape(x) for x in lines))
    return "<br>".join(bits)


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


def _source_paths(collection: CollectionView) -> dict[str, str]:
    items = collection.store.items()
    if not items.num_rows:
        return {}
    return dict(zip(items.column("source").to_pylist(), items.column("path").to_pylist(),
                    strict=True))


def _resolve(source: str, paths: dict[str, str]) -> str | None:
    for cand in (paths.get(source), source):
        if cand and os.path.isfile(cand):
            return cand
    return None


def thumbnails(collection: CollectionView, df: pd.DataFrame | None = None, *,
               max_thumbnails: int = MAX_THUMBNAILS, px: int = THUMB_PX) -> dict[str, str]:
    """``{row key: data URI}`` for up to ``max_thumbnails`` picture rows (images first)."""
    df = collection.to_pandas() if df is None else df
    paths = _source_paths(collection)
    order = {"image": 0, "video": 1, "document": 2}
    rows = [r for r in df.to_dict("records") if r["modality"] in order
            and not (r["modality"] == "video" and r["embedding_type"] == "AUDIO")
            and not (r["modality"] == "document" and r["embedding_type"] == "TEXT")]
    rows.sort(key=lambda r: order[r["modality"]])
    out: dict[str, str] = {}
    for r in rows[: max(0, int(max_thumbnails))]:
        path = _resolve(r["source"], paths)
        uri = thumbnail(r, path, px) if path else None
        if uri:
            out[r["key"]] = uri
    return out


# ---------------------------------------------------------------------------------------------
# the map
# ---------------------------------------------------------------------------------------------

def _color_values(df: pd.DataFrame, color_by: str, clusters: ClusterResult | None):
    if color_by == "modality":
        return df["modality"].astype(str).to_numpy(), None
    if color_by == "cluster":
        assert clusters is not None
        labels = np.asarray(clusters.labels)
        names = [f"{int(c)}: {clusters.names.get(int(c), '')}" for c in labels]
        return np.asarray(names, dtype=object), None
    if color_by in df.columns:
        col = df[color_by]
    else:
        meta = [json.loads(m) if isinstance(m, str) and m else {} for m in df["metadata"]]
        if not any(color_by in m for m in meta):
            raise ValueError(f"color_by={color_by!r}: not 'modality', 'cluster', a row column "
                             f"({', '.join(df.columns)}) or a metadata key")
        import pandas as pd

        col = pd.Series([m.get(color_by) for m in meta])
    if col.dtype.kind in "fiu" and col.nunique() > 12:
        return None, col.to_numpy(dtype=float)
    values = [NONE_LABEL if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
              for v in col.tolist()]
    return np.asarray(values, dtype=object), None


def semantic_map(
    collection: CollectionView,
    *,
    color_by: str = "modality",
    coords: np.ndarray | None = None,
    clusters: ClusterResult | None = None,
    method: str = "umap",
    thumbnails_max: int = MAX_THUMBNAILS,
    title: str | None = None,
    marker_size: int | None = None,
) -> go.Figure:
    """A plotly figure of the collection at its 2-D projection.

    Parameters
    ----------
    color_by : str
        ``"modality"``, ``"cluster"`` (uses ``clusters`` or runs
        :func:`~nova_toolkit.analysis.cluster`) or any row column / metadata key.
    coords : (n, 2) array, optional
        Precomputed coordinates; default :func:`~nova_toolkit.analysis.project`
        with ``method`` (cached in the collection).
    thumbnails_max : int
        Picture rows that get a hover thumbnail (0 for none).

    Each point's ``customdata`` is ``[row index, row key]``; the figure's
    ``layout.meta`` holds the thumbnails and the row keys, so a saved figure
    keeps its hover pictures.
    """
    import plotly.graph_objects as go

    from nova_toolkit import analysis

    df = collection.to_pandas()
    n = len(df)
    if coords is None:
        coords = analysis.project(collection, method)
    coords = np.asarray(coords, dtype=np.float32)
    if coords.shape != (n, 2):
        raise ValueError(f"coords must have shape ({n}, 2), got {coords.shape}")
    if color_by == "cluster" and clusters is None:
        clusters = analysis.cluster(collection)
    if clusters is not None and len(clusters.labels) != n:
        raise ValueError(f"clusters cover {len(clusters.labels)} rows, the collection has {n}")
    thumbs = thumbnails(collection, df, max_thumbnails=thumbnails_max) if thumbnails_max else {}
    records = df.to_dict("records")
    texts = []
    for i, r in enumerate(records):
        extra = f"cluster {clusters.label_of(i)}" if clusters is not None else ""
        texts.append(hover_text(r, extra=extra))
    texts = np.asarray(texts, dtype=object)
    keys = df["key"].to_numpy(dtype=object)
    custom = np.empty((n, 2), dtype=object)
    custom[:, 0] = np.arange(n)
    custom[:, 1] = keys
    size = marker_size or (7 if n < 2000 else 4 if n < 20000 else 2)
    cats, numeric = _color_values(df, color_by, clusters)
    fig = go.Figure()
    common = {"mode": "markers", "hovertemplate": "%{text}<extra></extra>"}
    if numeric is not None:
        fig.add_trace(go.Scattergl(
            x=coords[:, 0], y=coords[:, 1], text=texts, customdata=custom, name=color_by,
            marker={"size": size, "color": numeric, "colorscale": "Viridis", "showscale": True,
                    "colorbar": {"title": color_by}}, **common))
    else:
        palette = _palette()
        for j, value in enumerate(sorted(set(cats.tolist()), key=_natural)):
            sel = np.flatnonzero(cats == value)
            color = MODALITY_COLORS.get(value) if color_by == "modality" else None
            fig.add_trace(go.Scattergl(
                x=coords[sel, 0], y=coords[sel, 1], text=texts[sel], customdata=custom[sel],
                name=str(value) or NONE_LABEL,
                marker={"size": size, "color": color or palette[j % len(palette)],
                        "opacity": 0.85}, **common))
    fig.update_layout(
        title=title or f"{collection.path.name}: {n} rows, coloured by {color_by}",
        template="plotly_white", dragmode="lasso", hovermode="closest",
        legend={"title": {"text": color_by}, "itemsizing": "constant"},
        xaxis={"showticklabels": False, "title": None, "zeroline": False},
        yaxis={"showticklabels": False, "title": None, "zeroline": False},
        meta={META_THUMBS: thumbs, "nova_collection": str(collection.path), "n_rows": n},
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
    )
    return fig


def _natural(value: str):
    head = value.split(":", 1)[0]
    return (0, int(head), value) if head.lstrip("-").isdigit() else (1, 0, value)


def _palette() -> list[str]:
    import plotly.express as px

    return px.colors.qualitative.D3 + px.colors.qualitative.Set2 + px.colors.qualitative.Pastel


def export_html(fig: go.Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as ONE standalone HTML file (plotly.js inlined, works offline).

    The file also shows the hovered point's thumbnail. Written atomically.
    """
    from nova_toolkit._core.atomic import atomic_write_bytes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = fig.to_html(include_plotlyjs=True, full_html=True, post_script=HOVER_SCRIPT,
                       config={"displaylogo": False, "scrollZoom": True})
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------
# Jupyter selection
# ---------------------------------------------------------------------------------------------

class MapSelection:
    """The rows last selected (lasso / box) on a :func:`semantic_map` FigureWidget.

    >>> widget, selection = interactive_map(coll)   # doctest: +SKIP
    >>> widget                                      # draw a lasso, then:
    >>> selection.rows                              # a DataFrame of the selected rows
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self._all = rows.reset_index(drop=True)
        self.indices: list[int] = []
        self._by_trace: dict[int, list[int]] = {}

    @property
    def rows(self) -> pd.DataFrame:
        return self._all.iloc[sorted(set(self.indices))].reset_index(drop=True)

    @property
    def keys(self) -> list[str]:
        return self.rows["key"].tolist()

    def __len__(self) -> int:
        return len(set(self.indices))

    def handler(self, trace, points, selector=None) -> None:
        """``on_selection`` callback: collects the row index (``customdata[0]``) of each point."""
        custom = trace.customdata
        picked = [int(custom[i][0]) for i in points.point_inds] if custom is not None else []
        self._by_trace[points.trace_index] = picked
        self.indices = [i for ids in self._by_trace.values() for i in ids]

    def attach(self, widget) -> MapSelection:
        for trace in widget.data:
            trace.on_selection(self.handler)
            if hasattr(trace, "on_deselect"):
                trace.on_deselect(self._clear)
        return self

    def _clear(self, trace, points, selector=None) -> None:
        self._by_trace.pop(points.trace_index, None)
        self.indices = [i for ids in self._by_trace.values() for i in ids]

    def _repr_html_(self) -> str:
        return f"<b>{len(self)} selected rows</b>" + self.rows.head(20).to_html()


def interactive_map(collection: CollectionView, **kwargs: Any):
    """``(FigureWidget, MapSelection)`` for Jupyter: select points, read ``selection.rows``.

    Needs ``anywidget`` (plotly ≥ 6 FigureWidget). Keyword arguments go to
    :func:`semantic_map`.
    """
    import plotly.graph_objects as go

    fig = semantic_map(collection, **kwargs)
    try:
        widget = go.FigureWidget(fig)
    except Exception as exc:  # pragma: no cover - depends on the notebook environment
        raise ImportError("interactive_map needs a Jupyter widget environment "
                          "(pip install anywidget ipywidgets)") from exc
    return widget, MapSelection(collection.to_pandas()).attach(widget)


# ---------------------------------------------------------------------------------------------
# result galleries
# ---------------------------------------------------------------------------------------------

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
    """HTML cards for search hits: thumbnails, ``<audio>/<video>`` from the segment's offset."""
    if hasattr(hits, "to_dict") and not isinstance(hits, list):
        hits = hits.to_dict("records")
    paths = _source_paths(collection) if collection is not None else {}
    cards = []
    for rank, h in enumerate(hits, 1):
        seg = h.get("segment") or h
        row = {**h, **{k: seg.get(k) for k in ("page", "start_s", "end_s", "char_start",
                                                 "char_end")}}
        source = str(h.get("source", ""))
        path = _resolve(source, paths)
        modality = h.get("modality", "")
        media = ""
        if path and modality in ("image", "document") or (
                path and modality == "video" and not embed_media):
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


__all__ = ["MapSelection", "export_html", "hits_html", "hover_text", "interactive_map",
           "semantic_map", "show_hits", "thumbnail", "thumbnails", "where"]
