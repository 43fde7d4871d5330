"""The semantic map: a plotly Scattergl of a collection's rows at their 2-D projection.

Points are coloured by modality, cluster or any row/metadata field; hover shows the snippet and
offsets, and ``layout.meta`` carries the picture rows' thumbnails.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.viz.hover import hover_text
from nova_toolkit.viz.previews import MAX_THUMBNAILS, thumbnails

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

    from nova_toolkit._core.view import CollectionView
    from nova_toolkit.analysis import ClusterResult

MODALITY_COLORS = {"text": "#1f77b4", "document": "#9467bd", "image": "#2ca02c",
                   "audio": "#ff7f0e", "video": "#d62728"}
META_THUMBS = "nova_thumbnails"
NONE_LABEL = "(none)"


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
        meta={META_THUMBS: thumbs, "nova_collection": collection.path.name, "n_rows": n},  # name: no local path
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
    )
    return fig


def _natural(value: str):
    head = value.split(":", 1)[0]
    return (0, int(head), value) if head.lstrip("-").isdigit() else (1, 0, value)


def _palette() -> list[str]:
    import plotly.express as px

    return px.colors.qualitative.D3 + px.colors.qualitative.Set2 + px.colors.qualitative.Pastel
