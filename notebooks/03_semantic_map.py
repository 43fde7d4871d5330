# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · The semantic map
#
# UMAP (fed with a FAISS cosine kNN graph) squeezes the collection to 2-D; points that
# mean the same thing land together whatever their modality. Hover a point for its
# snippet and offsets (and, in the exported HTML, a thumbnail). The projection is
# cached in the collection (`derived/`) until the vectors change.

# %%
import os
from pathlib import Path

from nova_toolkit import Collection
from nova_toolkit.analysis import cluster, project
from nova_toolkit.viz import export_html, interactive_map, semantic_map

COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
OUT = Path(os.environ.get("NOVA_TOOLKIT_OUT", "../build"))
DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
# open the collection, or build it: files already embedded come from the cache
coll = Collection.open(COLLECTION, backend="local")
coll.add(DATA, progress=False)
len(coll)

# %%
coords = project(coll, "umap", n_neighbors=10)
coords[:3]

# %%
fig = semantic_map(coll, coords=coords, color_by="modality")
fig

# %% [markdown]
# Colour by cluster (k-means, named by the members' snippets) or by any row field.

# %%
clusters = cluster(coll, n_clusters=6)
semantic_map(coll, coords=coords, color_by="cluster", clusters=clusters)

# %%
semantic_map(coll, coords=coords, color_by="embedding_type")

# %% [markdown]
# ## One standalone HTML file
# plotly.js is inlined: the file opens offline and can be mailed around.
# (Same thing from a shell: `nova-toolkit map --collection DIR --out map.html`.)

# %%
path = export_html(fig, OUT / "semantic-map.html")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# ## Lasso → DataFrame
# With `anywidget` installed, `interactive_map` returns a FigureWidget and a
# `MapSelection`; draw a lasso, then read `selection.rows`.

# %%
try:
    widget, selection = interactive_map(coll, coords=coords, thumbnails_max=0)
except ImportError as exc:
    widget, selection = None, None
    print("interactive selection unavailable here:", exc)
widget
