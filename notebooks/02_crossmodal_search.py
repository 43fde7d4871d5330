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
# # 02 · Cross-modal search
#
# Every modality lives in one vector space, so a text can find a video segment, an
# image can find a video, and a sound recording can find a text. `modality=` filters
# the target modality (an S3 Vectors metadata filter underneath).

# %%
import os
from pathlib import Path

from nova_toolkit import Collection
from nova_toolkit.viz import show_hits

DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
coll = Collection.open(COLLECTION, backend="local")
coll.add(DATA, progress=False).summary()

# %% [markdown]
# ## Text → image

# %%
show_hits(coll.search("a cat curled up asleep", modality="image", top_k=3), collection=coll)

# %% [markdown]
# ## Text → video segment
# The player starts at the matching 5-second window (`#t=start,end`).

# %%
show_hits(coll.search("a rocket on the launch pad", modality="video", top_k=3), collection=coll)

# %% [markdown]
# ## Image → video (query by example)

# %%
hits = coll.search(file=DATA / "images" / "rocket.webp", modality="video", top_k=3)
show_hits(hits, collection=coll)

# %% [markdown]
# ## Audio → text

# %%
hits = coll.search(file=DATA / "audio" / "espresso-order.mp3", modality="text", top_k=3)
hits.to_pandas()[["source", "distance", "snippet"]]

# %% [markdown]
# ## Text → document page, with a metadata filter written by hand

# %%
hits = coll.search("how to sail a small boat", filter={"modality": "document"}, top_k=3)
show_hits(hits, collection=coll)
