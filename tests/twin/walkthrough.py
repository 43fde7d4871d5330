"""The boto3 code of Nova Multimodal Embeddings' launch walkthrough, written as a user would.

Run as ``python walkthrough.py <step> [file]`` with step = text | image | video | vectors.
Nothing here knows about the twin: it talks to whatever ``AWS_ENDPOINT_URL`` names.
"""

import base64
import json
import sys
import time

import boto3

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
EMBEDDING_DIMENSION = 3072

bedrock_runtime = boto3.client("bedrock-runtime", region_name="us-east-1")


def text_embedding(text, purpose="GENERIC_INDEX"):
    request_body = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": purpose,
            "embeddingDimension": EMBEDDING_DIMENSION,
            "text": {"truncationMode": "END", "value": text},
        },
    }
    response = bedrock_runtime.invoke_model(
        body=json.dumps(request_body),
        modelId=MODEL_ID,
        accept="application/json",
        contentType="application/json",
    )
    response_body = json.loads(response["body"].read())
    return response_body["embeddings"][0]["embedding"]


def step_text():
    embedding = text_embedding("Amazon Nova is a multimodal foundation model")
    # as one call of the launch walkthrough: no embeddingPurpose, no accept header
    response = bedrock_runtime.invoke_model(
        body=json.dumps({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
            "embeddingDimension": EMBEDDING_DIMENSION,
            "text": {"truncationMode": "END", "value": "Amazon Nova"}}}),
        modelId=MODEL_ID, contentType="application/json")
    bare = json.loads(response["body"].read())["embeddings"][0]["embedding"]
    print(json.dumps({"step": "text", "dimension": len(embedding),
                      "bare_dimension": len(bare)}))


def step_image(path):
    with open(path, "rb") as f:
        image_bytes = base64.b64encode(f.read()).decode("utf-8")
    request_body = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": EMBEDDING_DIMENSION,
            "image": {"format": "png", "source": {"bytes": image_bytes}},
        },
    }
    response = bedrock_runtime.invoke_model(
        body=json.dumps(request_body),
        modelId=MODEL_ID,
        accept="application/json",
        contentType="application/json",
    )
    response_body = json.loads(response["body"].read())
    embedding = response_body["embeddings"][0]["embedding"]
    print(json.dumps({"step": "image", "dimension": len(embedding),
                      "type": response_body["embeddings"][0]["embeddingType"]}))


def step_video(path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="my-nova-bucket")
    s3.upload_file(path, "my-nova-bucket", "video.mp4")
    model_input = {
        "taskType": "SEGMENTED_EMBEDDING",
        "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": EMBEDDING_DIMENSION,
            "video": {
                "format": "mp4",
                "embeddingMode": "AUDIO_VIDEO_COMBINED",
                "source": {"s3Location": {"uri": "s3://my-nova-bucket/video.mp4"}},
                "segmentationConfig": {"durationSeconds": 15},
            },
        },
    }
    response = bedrock_runtime.start_async_invoke(
        modelId=MODEL_ID,
        modelInput=model_input,
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://my-nova-bucket/output/"}},
    )
    invocation_arn = response["invocationArn"]
    while True:
        job = bedrock_runtime.get_async_invoke(invocationArn=invocation_arn)
        if job["status"] != "InProgress":
            break
        time.sleep(1)
    if job["status"] != "Completed":
        raise SystemExit(f"job {job['status']}: {job.get('failureMessage')}")
    # as the published walkthrough: the returned s3Uri already includes the invocation id
    output_s3_uri = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
    bucket, _, prefix = output_s3_uri[5:].partition("/")
    obj = s3.get_object(Bucket=bucket, Key=f"{prefix}/embedding-audio-video.jsonl".lstrip("/"))
    segments = [json.loads(line) for line in obj["Body"].read().decode().splitlines()]
    print(json.dumps({"step": "video", "segments": [
        {"meta": s["segmentMetadata"], "dimension": len(s["embedding"])} for s in segments]}))


def step_vectors():
    s3vectors = boto3.client("s3vectors", region_name="us-east-1")
    bucket, index = "nova-walkthrough", "nova-embeddings"
    try:
        s3vectors.get_vector_bucket(vectorBucketName=bucket)
    except s3vectors.exceptions.NotFoundException:
        s3vectors.create_vector_bucket(vectorBucketName=bucket)
    try:
        s3vectors.get_index(vectorBucketName=bucket, indexName=index)
    except s3vectors.exceptions.NotFoundException:
        s3vectors.create_index(vectorBucketName=bucket, indexName=index, dataType="float32",
                               dimension=EMBEDDING_DIMENSION, distanceMetric="cosine")
    texts = ["A dog runs on the beach", "The stock market fell sharply today",
             "A recipe for chocolate cake"]
    s3vectors.put_vectors(vectorBucketName=bucket, indexName=index, vectors=[
        {"key": f"doc-{i}", "data": {"float32": text_embedding(t)}, "metadata": {"text": t}}
        for i, t in enumerate(texts)])
    query = text_embedding("a puppy playing by the sea", purpose="GENERIC_RETRIEVAL")
    response = s3vectors.query_vectors(vectorBucketName=bucket, indexName=index, topK=3,
                                       queryVector={"float32": query}, returnDistance=True,
                                       returnMetadata=True)
    print(json.dumps({"step": "vectors", "results": [
        {"key": v["key"], "distance": v["distance"], "text": v["metadata"]["text"]}
        for v in response["vectors"]]}))


if __name__ == "__main__":
    step = sys.argv[1]
    {"text": step_text, "image": lambda: step_image(sys.argv[2]),
     "video": lambda: step_video(sys.argv[2]), "vectors": step_vectors}[step]()
