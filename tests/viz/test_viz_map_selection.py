"""nova_toolkit.viz.map_selection: lasso / box selections on the map come back as rows."""

from __future__ import annotations

import pytest

from nova_toolkit import viz

pytestmark = pytest.mark.slow


def test_map_selection_collects_rows(coll, pca_coords):
    from plotly.callbacks import Points

    fig = viz.semantic_map(coll, coords=pca_coords, thumbnails_max=0)
    sel = viz.MapSelection(coll.to_pandas())
    t0, t1 = fig.data[0], fig.data[1]
    sel.handler(t0, Points(point_inds=[0, 1], xs=[], ys=[], trace_name=t0.name, trace_index=0))
    sel.handler(t1, Points(point_inds=[0], xs=[], ys=[], trace_name=t1.name, trace_index=1))
    assert len(sel) == 3
    assert set(sel.keys) == {t0.customdata[0][1], t0.customdata[1][1], t1.customdata[0][1]}
    sel._clear(t0, Points(point_inds=[], xs=[], ys=[], trace_name=t0.name, trace_index=0))
    assert sel.keys == [t1.customdata[0][1]]
    assert "1 selected rows" in sel._repr_html_()


def test_interactive_map_lasso_comes_back_as_rows(coll, pca_coords):
    """A lasso on the FigureWidget, sent as the browser sends it (``_js2py_pointsCallback``),
    lands in ``selection.rows`` as a DataFrame of those rows; a deselect empties it."""
    widget, selection = viz.interactive_map(coll, coords=pca_coords, thumbnails_max=0)
    t0, t1 = widget.data[0], widget.data[1]
    message = {
        "event_type": "plotly_selected",
        "points": {"trace_indexes": [0, 0, 1], "point_indexes": [0, 1, 0],
                   "xs": [0.0, 0.0, 0.0], "ys": [0.0, 0.0, 0.0]},
        "selector": {"type": "lasso",
                     "selector_state": {"xs": [-9, 9, 9, -9], "ys": [-9, -9, 9, 9]}},
    }
    widget._js2py_pointsCallback = message
    rows = selection.rows
    assert len(rows) == 3
    assert set(rows["key"]) == {t0.customdata[0][1], t0.customdata[1][1], t1.customdata[0][1]}
    assert {"source", "modality", "snippet"} <= set(rows.columns)
    widget._js2py_pointsCallback = {
        "event_type": "plotly_deselect",
        "points": {"trace_indexes": [], "point_indexes": [], "xs": [], "ys": []}}
    assert len(selection) == 0
