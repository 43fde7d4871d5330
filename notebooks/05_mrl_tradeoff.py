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
# # 05 · The Matryoshka trade-off
#
# Nova's vectors (and the local stand-in's) are Matryoshka-trained: the first *d*
# axes, renormalised, are a usable *d*-dimensional embedding. How much recall do we
# lose by storing fewer dimensions? `dimension_study` answers with recall@k of the
# truncated vectors against the full ones, on queries drawn from the collection.

# %%
import os
import tempfile
from pathlib import Path

from nova_toolkit import Collection
from nova_toolkit.analysis import dimension_study

COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
# open the collection, or build it: files already embedded come from the cache
coll = Collection.open(COLLECTION, backend="local")
coll.add(DATA, progress=False)
coll.settings.dimension

# %%
study = dimension_study(coll, dims=(64, 128, 256, 384, 1024, 3072), k=5, target=0.95)
study.table

# %%
print("cheapest dimension with recall@5 >= 0.95:", study.best_dim)

# %%
import plotly.express as px

px.line(study.table, x="dim", y="recall_at_k", markers=True, log_x=True,
        title="recall@k of Matryoshka-truncated vectors")

# %% [markdown]
# ## Keep a smaller copy
# `with_dimension` writes a truncated copy without calling the model.

# %%
small = coll.with_dimension(256, Path(tempfile.mkdtemp()) / "sample-256")
small.info()["settings"]["dimension"], len(small)

# %%
small.search("a rocket on the launch pad", top_k=3).to_pandas()[["source", "distance"]]
