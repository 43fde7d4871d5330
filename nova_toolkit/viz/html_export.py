"""A figure as one standalone HTML file (plotly.js inlined) that shows hover thumbnails offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

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
