"""nova_toolkit.viz (semantic map, HTML export, galleries, selection) and ``nova-toolkit map``."""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import re

import cdp
import numpy as np
import pytest

from nova_toolkit import analysis, viz

pytestmark = pytest.mark.slow


@pytest.fixture
def coll(sample_collection):
    return sample_collection


@pytest.fixture
def pca_coords(coll):
    return analysis.project(coll, "pca")


def _script_srcs(text: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "script":
                found.extend(v for k, v in attrs if k == "src")

    P().feed(text)
    return found


def _points(fig):
    return sum(len(t.x) for t in fig.data)


def test_semantic_map_by_modality_has_every_row_and_hover(coll, pca_coords):
    df = coll.to_pandas()
    fig = viz.semantic_map(coll, coords=pca_coords)
    assert _points(fig) == len(df)
    assert {t.name for t in fig.data} == set(df.modality)
    assert all(t.type == "scattergl" for t in fig.data)
    keys = [c[1] for t in fig.data for c in t.customdata]
    assert sorted(keys) == sorted(df.key)
    # hover: file name, offsets and (trimmed) snippet of the row
    by_key = {c[1]: txt for t in fig.data for c, txt in zip(t.customdata, t.text, strict=True)}
    audio = df[(df.modality == "audio") & (df.segment_index == 1)].iloc[0]
    text = by_key[audio.key]
    assert os.path.basename(audio.source) in text and "0:05.0" in text
    assert audio.snippet.split()[0] in text
    page = df[df.modality == "document"].iloc[0]
    assert f"page {int(page.page)}" in by_key[page.key]


def test_thumbnails_for_images_and_video_frames(coll, pca_coords):
    from PIL import Image

    df = coll.to_pandas()
    fig = viz.semantic_map(coll, coords=pca_coords)
    thumbs = fig.layout.meta[viz.META_THUMBS]
    images = df[df.modality == "image"].key
    assert set(images) <= set(thumbs)
    assert any(k in thumbs for k in df[df.modality == "video"].key)
    for uri in thumbs.values():
        assert uri.startswith("data:image/jpeg;base64,")
        im = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert max(im.size) <= viz.THUMB_PX
    capped = viz.semantic_map(coll, coords=pca_coords, thumbnails_max=3)
    assert len(capped.layout.meta[viz.META_THUMBS]) == 3
    none = viz.semantic_map(coll, coords=pca_coords, thumbnails_max=0)
    assert none.layout.meta[viz.META_THUMBS] == {}


def test_color_by_cluster_field_and_metadata(coll, pca_coords):
    clusters = analysis.cluster(coll, n_clusters=4)
    fig = viz.semantic_map(coll, coords=pca_coords, color_by="cluster", clusters=clusters)
    assert len(fig.data) == 4 and _points(fig) == len(coll)
    for t in fig.data:
        cid = int(t.name.split(":")[0])
        assert t.name.endswith(clusters.names[cid])
        assert all(clusters.labels[c[0]] == cid for c in t.customdata)
    fig = viz.semantic_map(coll, coords=pca_coords, color_by="embedding_type")
    assert {t.name for t in fig.data} == set(coll.to_pandas().embedding_type)
    with pytest.raises(ValueError, match="color_by"):
        viz.semantic_map(coll, coords=pca_coords, color_by="no_such_field")
    with pytest.raises(ValueError, match="coords"):
        viz.semantic_map(coll, coords=np.zeros((3, 2)))


def test_color_by_user_metadata(coll, tmp_path):
    extra = tmp_path / "x"
    extra.mkdir()
    (extra / "note.txt").write_text("A note about lighthouses on rocky coasts.")
    coll.add([str(extra)], metadata={"team": "blue"}, progress=False)
    fig = viz.semantic_map(coll, coords=analysis.project(coll, "pca"), color_by="team",
                           thumbnails_max=0)
    assert {t.name for t in fig.data} == {"blue", viz.NONE_LABEL}


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


def test_show_hits_gallery(coll):
    hits = coll.search("a tabby cat sleeping", top_k=20)
    html = viz.show_hits(hits, collection=coll).data
    assert html.count('class="nova-hits"') == 1
    assert "<img src=\"data:image/jpeg;base64," in html
    media = [h for h in hits if h["modality"] in ("audio", "video")]
    assert media
    h = media[0]
    tag = "<audio" if h["modality"] == "audio" else "<video"
    assert tag in html
    assert f"#t={h['segment']['start_s']:g}" in html
    # without embedding, players point at the file
    plain = viz.hits_html(hits.to_pandas(), collection=coll, embed_media=False)
    assert "data:audio" not in plain and "#t=" in plain


def test_map_command_writes_html(coll, tmp_path, capsys):
    from nova_toolkit.cli import map as map_command

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    map_command.register(sub)
    out = tmp_path / "map.html"
    args = parser.parse_args(["map", "--collection", str(coll.path), "--out", str(out),
                              "--color-by", "cluster", "--method", "pca", "--n-clusters", "3"])
    assert args.handler(args) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    names = [f'"name":"{c}: ' for c in range(4)]
    assert [n in text for n in names] == [True, True, True, False]


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
