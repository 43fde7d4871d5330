"""nova_toolkit.viz.html_export: one standalone page that renders and hovers in headless Chromium."""

from __future__ import annotations

import html
import io
import json
import os
import re

import cdp
import numpy as np
import pytest

from nova_toolkit import viz

pytestmark = pytest.mark.slow


def _script_srcs(text: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "script":
                found.extend(v for k, v in attrs if k == "src")

    P().feed(text)
    return found


def test_export_html_is_standalone_and_holds_points(coll, pca_coords, tmp_path):
    fig = viz.semantic_map(coll, coords=pca_coords)
    path = viz.export_html(fig, tmp_path / "out" / "map.html")
    text = path.read_text()
    assert _script_srcs(text) == []  # plotly.js is inlined: nothing to fetch, works offline
    assert "Plotly.newPlot" in text and "nova-thumb" in text
    df = coll.to_pandas()
    for key in df.key:  # plotly's JSON escapes "/" (as \u002f) inside <script>
        assert json.dumps(key)[1:-1].replace("/", "\\u002f") in text
    assert not list(path.parent.glob("*.tmp*"))


# the plotly graph div of the exported page, and a point's position in the viewport
GD = "document.querySelector('.js-plotly-plot')"
POINT_XY = """(() => {
  const gd = %s, fl = gd._fullLayout, box = gd.getBoundingClientRect();
  return [box.left + fl._size.l + fl.xaxis.l2p(%r), box.top + fl._size.t + fl.yaxis.l2p(%r)];
})()"""
HOVERED = f"""(() => {{
  const gd = {GD}, thumb = document.getElementById('nova-thumb');
  return {{points: (gd._hoverdata || []).map(p => [p.curveNumber, p.pointNumber]),
          text: gd.querySelector('.hoverlayer').textContent,
          thumb: thumb && thumb.style.display === 'block' ? thumb.src : ''}};
}})()"""
# the only console output a WebGL page may produce under SwiftShader: driver performance notes
GL_NOTES = ("GL Driver Message (OpenGL, Performance",)


def _shown(hover_html: str) -> str:
    """A plotly hover label as the browser shows it: tags dropped (``<br>`` starts a new
    <tspan>, no space), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", hover_html))


def _squash(text: str) -> str:
    return "".join(text.split())


def test_exported_map_renders_in_headless_chromium(coll, pca_coords, tmp_path):
    from PIL import Image

    assert cdp.find_chromium(), cdp.MISSING
    df = coll.to_pandas().set_index("key")
    fig = viz.semantic_map(coll, coords=pca_coords, color_by="modality")
    path = viz.export_html(fig, tmp_path / "map.html")
    with cdp.Chromium() as page:
        page.navigate(path.resolve().as_uri())
        assert page.wait_for(f"{GD} && {GD}.data.length") == len(fig.data)
        # let the WebGL points reach the screen (two animation frames)
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        errors = page.errors(ignore=GL_NOTES)
        assert not errors, "console errors on the map page:\n" + "\n".join(map(str, errors))

        im = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)
        assert im.shape[:2] == (cdp.HEIGHT, cdp.WIDTH) and im.std() > 5
        # the modality colours are drawn by WebGL in the plot area (left of the legend): count
        # pixels near each marker colour (opacity 0.85 on white)
        plot = im[:, : int(im.shape[1] * 0.7)]
        for modality in set(df.modality):
            rgb = np.array([int(viz.MODALITY_COLORS[modality][i:i + 2], 16) for i in (1, 3, 5)])
            seen = 0.85 * rgb + 0.15 * 255
            assert (np.abs(plot - seen).sum(axis=2) < 30).sum() > 10, modality

        # hover: move the real mouse onto the first point of every trace; plotly's hover label
        # must show that point's file name and snippet, image rows also get their thumbnail
        thumbs = fig.layout.meta[viz.META_THUMBS]
        for c, trace in enumerate(fig.data):
            key = trace.customdata[0][1]
            snippet = viz.trim(df.loc[key, "snippet"])[:30]
            expected = _shown(trace.text[0])
            assert snippet and _squash(snippet) in _squash(expected)
            page.move_mouse(1, 1)  # off the plot first, so every hover is a fresh one
            page.move_mouse(*page.evaluate(POINT_XY % (GD, float(trace.x[0]), float(trace.y[0]))))
            state = page.wait_for(f"(s => s.points.length && s.points[0][0] === {c} && s.text "
                                  f"&& s)({HOVERED})", timeout=20)
            assert state["points"] == [[c, 0]], (trace.name, state)
            assert expected in state["text"], (trace.name, state["text"])
            assert os.path.basename(df.loc[key, "source"]) in state["text"]
            assert _squash(snippet) in _squash(state["text"])
            assert state["thumb"] == thumbs.get(key, ""), trace.name
        assert any(trace.customdata[0][1] in thumbs for trace in fig.data)  # a thumbnail shown
        errors = page.errors(ignore=GL_NOTES)
        assert not errors, "console errors while hovering:\n" + "\n".join(map(str, errors))
