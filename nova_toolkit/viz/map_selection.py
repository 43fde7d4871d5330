"""Jupyter: a lasso / box selection on the semantic map's FigureWidget, as a DataFrame of rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nova_toolkit.viz.map_figure import semantic_map

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView


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
