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
# # 08 · The Nova launch walkthrough with plain boto3 (against the local AWS twin)
#
# Amazon Nova Multimodal Embeddings (`amazon.nova-2-multimodal-embeddings-v1:0`) on
# Bedrock, and Amazon S3 Vectors, called with **plain boto3** — no nova_toolkit code
# between you and the API. The endpoint is the **local AWS twin** (bedrock-runtime,
# S3 and S3 Vectors on one port), started in-process on 127.0.0.1, so everything
# runs offline. The boto3 calls are the ones you would run against AWS: set
# `NOVA_TOOLKIT_AWS=1` to send them to AWS in us-east-1 with your default credentials
# (that creates an S3 bucket and a vector bucket, deleted again at the end, and is billed).
#
# The twin computes its vectors with the offline `local` backend served at Nova's
# dimensions, so the numbers differ from Nova's; the request and response shapes
# do not.

# %%
import base64
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import numpy as np

DATA = Path(os.environ.get("NOVA_TOOLKIT_SAMPLE", "../data/sample"))
REAL_AWS = os.environ.get("NOVA_TOOLKIT_AWS") == "1"
MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
DIMENSION = 1024  # Nova serves 256, 384, 1024 or 3072 (the default)

# %% [markdown]
# ## 1 · The endpoint and three boto3 clients
# Against the twin: `endpoint_url=twin.url` and dummy credentials. Against AWS:
# `endpoint_url=None` and whatever credentials boto3 finds. The twin tells the three
# services apart by the SigV4 signature, so all three clients share one URL.

# %%
if REAL_AWS:
    twin = None
    endpoint_url, credentials = None, {}
else:
    from nova_toolkit.twin import Twin, TwinConfig

    twin = Twin(TwinConfig(root=Path(tempfile.mkdtemp()) / "twin", quiet=True), port=0).start()
    endpoint_url = twin.url
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

bedrock = boto3.client("bedrock-runtime", endpoint_url=endpoint_url, region_name="us-east-1",
                       **credentials)
s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name="us-east-1", **credentials)
s3v = boto3.client("s3vectors", endpoint_url=endpoint_url, region_name="us-east-1",
                   **credentials)
endpoint_url or "AWS (us-east-1)"

# %% [markdown]
# ## 2 · Embed text: `InvokeModel` with a `SINGLE_EMBEDDING` request
# One request per input. `embeddingPurpose` says what the vector is for: `GENERIC_INDEX`
# for what you store, a `*_RETRIEVAL` purpose for queries (step 5). `truncationMode`
# says which end to cut when a text is past the model's limit.

# %%
texts = {}
for name in ("rockets-and-orbit.md", "coffee-brewing.md"):
    request = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": DIMENSION,
            "text": {"truncationMode": "END",
                     "value": (DATA / "text" / name).read_text(encoding="utf-8")},
        },
    }
    response = bedrock.invoke_model(modelId=MODEL_ID, body=json.dumps(request),
                                    contentType="application/json", accept="application/json")
    result = json.loads(response["body"].read())
    texts[name] = result["embeddings"][0]["embedding"]
    tokens = response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-bedrock-input-token-count")
    print(f"{name:22} {result['embeddings'][0]['embeddingType']}  dim {len(texts[name])}  "
          f"input tokens {tokens}  first values {np.round(texts[name][:4], 4).tolist()}")
assert all(len(v) == DIMENSION for v in texts.values())

# %% [markdown]
# The response body is `{"embeddings": [{"embeddingType": "TEXT", "embedding": [...]}]}`;
# the input token count comes back in the `X-Amzn-Bedrock-Input-Token-Count` header.

# %% [markdown]
# ## 3 · Embed images: inline base64 bytes
# Same call, an `image` block: the bytes base64-encoded in `source.bytes` and a `format`
# of png, jpeg, gif or webp (note `jpeg` for a `.jpg` file).

# %%
IMAGE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}
images = {}
for name in ("rocket.webp", "coffee.jpg"):
    path = DATA / "images" / name
    request = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": DIMENSION,
            "image": {"format": IMAGE_FORMATS[path.suffix.lower()],
                      "source": {"bytes": base64.b64encode(path.read_bytes()).decode()}},
        },
    }
    response = bedrock.invoke_model(modelId=MODEL_ID, body=json.dumps(request))
    result = json.loads(response["body"].read())
    images[name] = result["embeddings"][0]["embedding"]
    print(f"{name:12} {result['embeddings'][0]['embeddingType']}  dim {len(images[name])}  "
          f"first values {np.round(images[name][:4], 4).tolist()}")
assert all(len(v) == DIMENSION for v in images.values())

# %% [markdown]
# ## 4 · Embed a video in segments: `StartAsyncInvoke`
# Longer media goes through an async job: the input is read from S3 and the output is
# written to S3. First a bucket and the video in it.

# %%
BUCKET = f"nova-walkthrough-{uuid.uuid4().hex[:8]}"  # S3 bucket names are global on AWS
VIDEO = DATA / "video" / "rocket-launch.mp4"

s3.create_bucket(Bucket=BUCKET)
s3.upload_file(str(VIDEO), BUCKET, f"input/{VIDEO.name}")
video_uri = f"s3://{BUCKET}/input/{VIDEO.name}"
video_uri

# %% [markdown]
# A `SEGMENTED_EMBEDDING` request: the video by `s3Location`, one vector per segment of
# `durationSeconds` (1–30, default 5; the launch walkthrough uses 15 for long videos) for
# sound and picture together (`AUDIO_VIDEO_COMBINED`), and an S3 prefix for the results.
# The sample clip is 13.5 s long, so 5-second segments make three.

# %%
job = bedrock.start_async_invoke(
    modelId=MODEL_ID,
    modelInput={
        "taskType": "SEGMENTED_EMBEDDING",
        "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": DIMENSION,
            "video": {
                "format": "mp4",
                "source": {"s3Location": {"uri": video_uri}},
                "embeddingMode": "AUDIO_VIDEO_COMBINED",
                "segmentationConfig": {"durationSeconds": 5},
            },
        },
    },
    outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/output"}},
)
invocation_arn = job["invocationArn"]
invocation_arn

# %% [markdown]
# Poll `GetAsyncInvoke` until the job leaves `InProgress` (seconds on the twin, a few
# minutes on AWS).

# %%
deadline = time.monotonic() + (1800 if REAL_AWS else 120)
while True:
    status = bedrock.get_async_invoke(invocationArn=invocation_arn)
    if status["status"] != "InProgress" or time.monotonic() > deadline:
        break
    time.sleep(15 if REAL_AWS else 0.5)
assert status["status"] == "Completed", (status["status"], status.get("failureMessage"))
recent = bedrock.list_async_invokes(statusEquals="Completed", maxResults=10)
print(status["status"], "in", round((status["endTime"] - status["submitTime"]).total_seconds(), 1),
      "s; in ListAsyncInvokes:",
      any(j["invocationArn"] == invocation_arn for j in recent["asyncInvokeSummaries"]))

# %% [markdown]
# The results sit under `<s3Uri>/<invocation id>/` — the invocation id is the last part of
# the ARN: a summary, `segmented-embedding-result.json`, and one JSONL file per embedding
# type (`embedding-audio-video.jsonl` for `AUDIO_VIDEO_COMBINED`).

# %%
folder = f"output/{invocation_arn.split('/')[-1]}/"
for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=folder)["Contents"]:
    print(f"{obj['Key']:70} {obj['Size']:>9,} bytes")
summary = json.loads(s3.get_object(Bucket=BUCKET,
                                   Key=folder + "segmented-embedding-result.json")["Body"].read())
summary

# %% [markdown]
# Each JSONL line is one segment: `embedding`, `status` and `segmentMetadata` with the
# segment's start and end in seconds.

# %%
segments = []
for entry in summary["embeddingResults"]:
    out_bucket, _, out_key = entry["outputFileUri"].removeprefix("s3://").partition("/")
    body = s3.get_object(Bucket=out_bucket, Key=out_key)["Body"].read().decode()
    for line in body.splitlines():
        row = json.loads(line)
        meta = row["segmentMetadata"]
        print(f"{entry['embeddingType']:22} segment {meta['segmentIndex']}  "
              f"{meta['segmentStartSeconds']:5.1f}–{meta['segmentEndSeconds']:5.1f} s  "
              f"{row['status']:8} dim {len(row.get('embedding', []))}")
        if row["status"] == "SUCCESS":
            segments.append((meta, row["embedding"]))
assert segments and all(len(v) == DIMENSION for _, v in segments)

# %% [markdown]
# ## 5 · Store and search with S3 Vectors
# A vector bucket and an index whose dimension matches the embeddings (cosine distance;
# neither can change later).

# %%
VECTOR_BUCKET, INDEX = f"nova-walkthrough-{uuid.uuid4().hex[:8]}", "media"
s3v.create_vector_bucket(vectorBucketName=VECTOR_BUCKET)
s3v.create_index(vectorBucketName=VECTOR_BUCKET, indexName=INDEX, dataType="float32",
                 dimension=DIMENSION, distanceMetric="cosine")
s3v.get_index(vectorBucketName=VECTOR_BUCKET, indexName=INDEX)["index"]

# %% [markdown]
# `PutVectors` takes up to 500 vectors per call: a key, the float32 data and metadata
# to filter on.

# %%
vectors = (
    [{"key": f"text/{name}", "data": {"float32": vec},
      "metadata": {"modality": "text", "source": f"text/{name}"}} for name, vec in texts.items()]
    + [{"key": f"image/{name}", "data": {"float32": vec},
        "metadata": {"modality": "image", "source": f"images/{name}"}}
       for name, vec in images.items()]
    + [{"key": f"video/{VIDEO.name}#{meta['segmentIndex']}", "data": {"float32": vec},
        "metadata": {"modality": "video", "source": f"video/{VIDEO.name}",
                     "start_s": meta["segmentStartSeconds"], "end_s": meta["segmentEndSeconds"]}}
       for meta, vec in segments]
)
s3v.put_vectors(vectorBucketName=VECTOR_BUCKET, indexName=INDEX, vectors=vectors)
len(vectors)

# %% [markdown]
# A query is embedded like any text, with a retrieval purpose (`GENERIC_RETRIEVAL`);
# `QueryVectors` returns the nearest keys first, with the cosine distance
# (1 − cosine similarity) and the metadata.

# %%
request = {
    "taskType": "SINGLE_EMBEDDING",
    "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_RETRIEVAL",
        "embeddingDimension": DIMENSION,
        "text": {"truncationMode": "END", "value": "a rocket on the launch pad"},
    },
}
response = bedrock.invoke_model(modelId=MODEL_ID, body=json.dumps(request))
query = json.loads(response["body"].read())["embeddings"][0]["embedding"]

found = s3v.query_vectors(vectorBucketName=VECTOR_BUCKET, indexName=INDEX, topK=5,
                          queryVector={"float32": query}, returnDistance=True,
                          returnMetadata=True)
for hit in found["vectors"]:
    print(f"{hit['distance']:.3f}  {hit['metadata']['modality']:6} {hit['key']}")

# %% [markdown]
# The same query restricted to video segments: a metadata `filter` (a bare value means
# `$eq`).

# %%
found = s3v.query_vectors(vectorBucketName=VECTOR_BUCKET, indexName=INDEX, topK=3,
                          queryVector={"float32": query}, filter={"modality": "video"},
                          returnDistance=True, returnMetadata=True)
for hit in found["vectors"]:
    meta = hit["metadata"]
    print(f"{hit['distance']:.3f}  {hit['key']}  {meta['start_s']}–{meta['end_s']} s")
assert {hit["metadata"]["modality"] for hit in found["vectors"]} == {"video"}

# %% [markdown]
# ## 6 · Clean up
# Delete the index, the vector bucket and the S3 bucket (on AWS they would otherwise
# stay, and be billed), then stop the twin.

# %%
s3v.delete_index(vectorBucketName=VECTOR_BUCKET, indexName=INDEX)
s3v.delete_vector_bucket(vectorBucketName=VECTOR_BUCKET)
for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
    s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
s3.delete_bucket(Bucket=BUCKET)
if twin is not None:
    twin.stop()
