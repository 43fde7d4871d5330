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

The modules: ``hover`` (hover text, offsets), ``previews`` (thumbnails), ``map_figure`` (the
semantic map), ``html_export`` (standalone HTML), ``map_selection`` (Jupyter selection) and
``gallery`` (search-hit cards), ``notebook_html`` (the offline plotly renderer set on import in
a Jupyter kernel, and a notebook exported to static HTML with nothing from a CDN).
"""

from __future__ import annotations

from nova_toolkit.viz.gallery import MAX_EMBED_BYTES as MAX_EMBED_BYTES
from nova_toolkit.viz.gallery import hits_html, show_hits
from nova_toolkit.viz.hover import SNIPPET_CHARS as SNIPPET_CHARS
from nova_toolkit.viz.hover import hover_text, where
from nova_toolkit.viz.hover import trim as trim
from nova_toolkit.viz.html_export import HOVER_SCRIPT as HOVER_SCRIPT
from nova_toolkit.viz.html_export import export_html
from nova_toolkit.viz.map_figure import META_THUMBS as META_THUMBS
from nova_toolkit.viz.map_figure import MODALITY_COLORS as MODALITY_COLORS
from nova_toolkit.viz.map_figure import NONE_LABEL as NONE_LABEL
from nova_toolkit.viz.map_figure import semantic_map
from nova_toolkit.viz.map_selection import MapSelection, interactive_map
from nova_toolkit.viz.notebook_html import export_notebook, use_offline_renderer
from nova_toolkit.viz.previews import MAX_THUMBNAILS as MAX_THUMBNAILS
from nova_toolkit.viz.previews import THUMB_PX as THUMB_PX
from nova_toolkit.viz.previews import thumbnail, thumbnails

__all__ = ["MapSelection", "export_html", "export_notebook", "hits_html", "hover_text",
           "interactive_map", "semantic_map", "show_hits", "thumbnail", "thumbnails",
           "use_offline_renderer", "where"]

# in a Jupyter kernel, plotly figures also draw in the notebook exported to HTML (no CDN)
use_offline_renderer()
