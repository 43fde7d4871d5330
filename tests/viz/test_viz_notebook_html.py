"""nova_toolkit.viz.notebook_html: the offline plotly renderer (the browser checks of exported
notebooks are in tests/test_notebooks.py)."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from nova_toolkit.viz import notebook_html


def test_the_renderer_inlines_nothing_from_a_cdn_and_is_only_set_in_a_kernel(monkeypatch):
    notebook_html.register_renderer()
    bundle = pio.renderers[notebook_html.RENDERER].to_mimebundle(
        go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).to_dict())
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html and "<script src=" not in html and "cdn" not in html.lower()
    before = pio.renderers.default
    assert notebook_html.use_offline_renderer() is False  # pytest is no Jupyter kernel
    assert pio.renderers.default == before
    try:
        monkeypatch.setattr(notebook_html, "in_notebook", lambda: True)
        monkeypatch.setenv("PLOTLY_RENDERER", "browser")
        assert notebook_html.use_offline_renderer() is False  # the user's choice is kept
        monkeypatch.delenv("PLOTLY_RENDERER")
        pio.renderers.default = "vscode"
        assert notebook_html.use_offline_renderer() is False  # plotly's environment default
        pio.renderers.default = "plotly_mimetype"
        assert notebook_html.use_offline_renderer() is True
        assert pio.renderers.default == notebook_html.DEFAULT
    finally:
        pio.renderers.default = before
