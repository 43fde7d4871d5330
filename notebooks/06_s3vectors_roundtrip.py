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
# # 06 · Round trip through S3 Vectors (against the local twin)
#
# The collection's index speaks the S3 Vectors API. `push` copies it to an S3 Vectors
# endpoint with `boto3.client("s3vectors")`, `pull` copies one back. Here the endpoint
# is the **local twin**, started in-process on 127.0.0.1 — point the same code at AWS by
# dropping `endpoint_url` and using real credentials.

# %%
import os
import tempfile
from pathlib import Path

import boto3
import numpy as np
from nova_toolkit import Collection, local_client
from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors.sync import pull, push

COLLECTION = Path(os.environ.get("NOVA_TOOLKIT_COLLECTION", "../build/sample-collection"))
DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
# open the collection, or build it: files already embedded come from the cache
coll = Collection.open(COLLECTION, backend="local")
coll.add(DATA, progress=False)
work = Path(tempfile.mkdtemp())

# %%
twin = Twin(TwinConfig(root=work / "twin", quiet=True), port=0).start()
s3v = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
twin.url

# %% [markdown]
# ## Push the collection's index

# %%
report = push(coll, s3v, bucket="workshop", index="sample", checkpoint=work / "push.json")
report

# %%
s3v.get_index(vectorBucketName="workshop", indexName="sample")["index"]

# %% [markdown]
# ## Query the remote index, exactly as against AWS

# %%
query = coll.embed_query(text="a rocket on the launch pad")
found = s3v.query_vectors(vectorBucketName="workshop", indexName="sample", topK=3,
                          queryVector={"float32": query.tolist()},
                          filter={"modality": "video"}, returnDistance=True,
                          returnMetadata=True)
[(v["key"], round(v["distance"], 3)) for v in found["vectors"]]

# %% [markdown]
# ## Pull it back into a local mirror and compare

# %%
pull(s3v, bucket="workshop", index="sample", to=work / "mirror")
mirror = local_client(work / "mirror")
back = mirror.query_vectors(vectorBucketName="workshop", indexName="sample", topK=3,
                            queryVector={"float32": query.tolist()},
                            filter={"modality": "video"}, returnDistance=True)
assert [v["key"] for v in back["vectors"]] == [v["key"] for v in found["vectors"]]
np.allclose([v["distance"] for v in back["vectors"]],
            [v["distance"] for v in found["vectors"]], atol=1e-5)

# %%
twin.stop()
