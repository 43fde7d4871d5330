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
# # 01 · Quickstart
#
# Embed the sample media library (text, documents, images, audio, video) into a
# Parquet-backed collection with the offline **local** backend, look at what was
# stored, and run a first search. Nothing here needs an AWS account or the network.
#
# `NOVA_TOOLKIT_COLLECTION` / `NOVA_TOOLKIT_SAMPLE` point the notebooks at another
# collection / media folder (the tests use them to share one embedded collection).

# %%
import os
from pathlib import Path

from nova_toolkit import Collection
from nova_toolkit.viz import show_hits

# The one setting: "local" runs offline; "nova" embeds with Amazon Nova on Bedrock
# (AWS credentials, or AWS_ENDPOINT_URL pointing at `nova-toolkit serve`).
BACKEND = os.environ.get("NOVA_TOOLKIT_BACKEND", "local")

DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION",
                                 f"../build/sample-collection-{BACKEND}".replace("-local", "")))

# %% [markdown]
# ## Embed
# The first run embeds every file (about a minute on a laptop CPU); later runs only
# embed what changed — unchanged files come from the embedding cache.

# %%
coll = Collection.open(COLLECTION, backend=BACKEND)
report = coll.add(DATA)
print(report.summary())

# %%
coll.info()

# %% [markdown]
# ## What is stored: one row per segment
# Text is chunked, PDFs are split into pages, audio and video into 5-second windows,
# and each row keeps its offsets and a snippet of what the model saw.

# %%
rows = coll.to_pandas()
rows[["source", "modality", "embedding_type", "segment_index", "start_s", "page", "snippet"]].head(10)

# %%
rows.groupby(["modality", "embedding_type"]).size()

# %% [markdown]
# ## A first search
# One query text, nearest segments of any modality.

# %%
hits = coll.search("a cat asleep on the sofa", top_k=5)
hits.to_pandas()[["source", "modality", "distance", "snippet"]]

# %%
show_hits(hits, collection=coll)
