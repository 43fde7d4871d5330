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
# # 07 · Workshop: explore a media library without an AWS account
#
# Five short exercises. Replace each `...` and run the cell; the check below it
# says whether you got there. Stuck? `07_workshop_solutions.py` has one answer.
# (The notebook runs top to bottom as is — unsolved checks just print a hint.)

# %%
import os
from pathlib import Path

from nova_toolkit import Collection, analysis, viz  # noqa: F401  (viz: exercise 5)

DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
coll = Collection.open(COLLECTION, backend="local")
print(coll.add(DATA, progress=False).summary())


def check(ok: bool, hint: str) -> None:
    print("✔ well done" if ok else f"✘ not yet: {hint}")


# %% [markdown]
# ## 1. Which video segment shows a coffee cup?
# Search the **video** rows with a text query; keep the top hit.

# %%
top_video = ...  # e.g. coll.search(..., modality=..., top_k=1)[0]

# %%
check(isinstance(top_video, dict) and "coffee" in top_video.get("source", ""),
      "coll.search(text, modality='video', top_k=1)[0]")

# %% [markdown]
# ## 2. Find the text that matches a sound
# Query by example with `data/sample/audio/espresso-order.mp3`, target modality `text`.

# %%
sound_hits = ...

# %%
check(isinstance(sound_hits, list) and bool(sound_hits)
      and "coffee" in sound_hits[0]["source"], "coll.search(file=..., modality='text')")

# %% [markdown]
# ## 3. How many clusters does HDBSCAN find with `min_cluster_size=3`?

# %%
n_found = ...

# %%
truth = analysis.cluster(coll, method="hdbscan", min_cluster_size=3).n_clusters
check(n_found == truth, "analysis.cluster(coll, method='hdbscan', ...).n_clusters")

# %% [markdown]
# ## 4. Which file has a near-duplicate in another file?
# Use `analysis.near_duplicates` with `cross_source_only=True`.

# %%
dupes = ...

# %%
check(hasattr(dupes, "source_a") and len(dupes) > 0,
      "analysis.near_duplicates(coll, threshold=0.05, cross_source_only=True)")

# %% [markdown]
# ## 5. Draw the map coloured by cluster and save it as HTML

# %%
map_path = ...  # viz.export_html(viz.semantic_map(...), "...html")

# %%
check(isinstance(map_path, Path) and map_path.is_file(),
      "viz.export_html(viz.semantic_map(coll, color_by='cluster'), path)")
