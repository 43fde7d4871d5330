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
# # 04 · Clustering a library
#
# k-means or HDBSCAN on the vectors, each cluster named by class-based TF-IDF over its
# members' snippets (transcripts, OCR text, image labels, page text). Then
# near-duplicates and outliers from the FAISS kNN graph.

# %%
import os
from pathlib import Path

from nova_toolkit import Collection
from nova_toolkit.analysis import cluster, near_duplicates, outliers, project
from nova_toolkit.viz import semantic_map

COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
# open the collection, or build it: files already embedded come from the cache
coll = Collection.open(COLLECTION, backend="local")
coll.add(DATA, progress=False)

# %%
km = cluster(coll, method="kmeans", n_clusters=6)
km.to_pandas()

# %%
rows = coll.to_pandas()
rows["cluster"] = [km.label_of(i) for i in range(len(rows))]
rows[["source", "modality", "cluster"]].sort_values("cluster").head(15)

# %% [markdown]
# HDBSCAN picks the number of clusters itself and leaves odd points out as noise (-1).

# %%
hd = cluster(coll, method="hdbscan", min_cluster_size=3)
hd.to_pandas()

# %%
semantic_map(coll, coords=project(coll, "umap", n_neighbors=10), color_by="cluster", clusters=km)

# %% [markdown]
# ## Near-duplicates
# The same picture as an image and as a silent video, repeated video windows…

# %%
near_duplicates(coll, threshold=0.01)

# %%
near_duplicates(coll, threshold=0.05, cross_source_only=True)

# %% [markdown]
# ## Outliers: rows far from their 10 nearest neighbours

# %%
outliers(coll, k=10, top=5)[["source", "modality", "score", "snippet"]]
