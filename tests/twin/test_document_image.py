"""``image.detailLevel = DOCUMENT_IMAGE`` on the twin, sync and async: the vector is the local
backend's own vector for the same page of a scanned PDF (its document-image path)."""

from __future__ import annotations

import base64
import io
import json
import time

import boto3
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from twin_helpers import start_twin

from nova_toolkit.embedders import get_embedder
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"


def scanned_pdf() -> bytes:
    """A one-page PDF holding only a picture of text (no text layer), like a scan."""
    page = Image.new("RGB", (850, 1100), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=48)
    for i, line in enumerate(["QUARTERLY INVOICE", "Total amount due", "Payment in thirty days"]):
        draw.text((80, 120 + 90 * i), line, fill="black", font=font)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=100)
    return out.getvalue()


def body(task: str, image: dict) -> dict:
    key = "singleEmbeddingParams" if task == "SINGLE_EMBEDDING" else "segmentedEmbeddingParams"
    return {"taskType": task, key: {"embeddingPurpose": "GENERIC_INDEX",
                                    "embeddingDimension": 384, "image": image}}


def wait(bedrock, arn: str) -> dict:
    for _ in range(600):
        job = bedrock.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            return job
        time.sleep(0.1)
    raise AssertionError("job still InProgress")


@pytest.mark.slow
def test_document_image_is_the_local_document_page_vector(tmp_path, monkeypatch, local_embedder):
    from nova_toolkit.decode import render_pdf_page
    from nova_toolkit.embedders.local.document import PAGE_LONG_SIDE

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    pdf = MediaItem.from_bytes(scanned_pdf(), source="scan.pdf")
    segments = segment_item(pdf, SegmentationConfig(max_chars=2000))
    (row,) = local_embedder.embed([(pdf, segments)], purpose="GENERIC_INDEX")[0]
    assert row.embedding_type == "IMAGE"  # the page has no text layer: its image was read
    png = io.BytesIO()
    render_pdf_page(pdf, 1, long_side=PAGE_LONG_SIDE).save(png, format="PNG")

    twin = start_twin(tmp_path)
    try:
        kw = {"endpoint_url": twin.url, "region_name": "us-east-1"}
        bedrock, s3 = boto3.client("bedrock-runtime", **kw), boto3.client("s3", **kw)
        image = {"format": "png", "detailLevel": "DOCUMENT_IMAGE",
                 "source": {"bytes": base64.b64encode(png.getvalue()).decode()}}
        out = json.loads(bedrock.invoke_model(modelId=MODEL, body=json.dumps(
            body("SINGLE_EMBEDDING", image)))["body"].read())
        (emb,) = out["embeddings"]
        assert emb["embeddingType"] == "IMAGE"
        np.testing.assert_allclose(emb["embedding"], row.vector, atol=1e-4)

        s3.create_bucket(Bucket="docs")
        s3.put_object(Bucket="docs", Key="page1.png", Body=png.getvalue())
        image["source"] = {"s3Location": {"uri": "s3://docs/page1.png"}}
        arn = bedrock.start_async_invoke(modelId=MODEL, modelInput=body(
            "SEGMENTED_EMBEDDING", image), outputDataConfig={"s3OutputDataConfig": {
                "s3Uri": "s3://docs/out"}})["invocationArn"]
        job = wait(bedrock, arn)
        assert job["status"] == "Completed", job
        key = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"][len("s3://docs/"):]
        (line,) = s3.get_object(Bucket="docs", Key=f"{key}/embedding-image.jsonl")[
            "Body"].read().decode().splitlines()
        np.testing.assert_allclose(json.loads(line)["embedding"], row.vector, atol=1e-4)
    finally:
        twin.stop()


def test_detail_level_is_validated_and_changes_the_vector(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    twin = start_twin(tmp_path, fast_embeddings=True)
    try:
        bedrock = boto3.client("bedrock-runtime", endpoint_url=twin.url, region_name="us-east-1")
        png = io.BytesIO()
        Image.new("RGB", (64, 64), "white").save(png, format="PNG")
        src = {"bytes": base64.b64encode(png.getvalue()).decode()}
        vecs = {}
        for level in ("STANDARD_IMAGE", "DOCUMENT_IMAGE"):
            out = json.loads(bedrock.invoke_model(modelId=MODEL, body=json.dumps(body(
                "SINGLE_EMBEDDING", {"format": "png", "detailLevel": level, "source": src})))[
                "body"].read())
            vecs[level] = np.asarray(out["embeddings"][0]["embedding"])
        assert abs(float(vecs["STANDARD_IMAGE"] @ vecs["DOCUMENT_IMAGE"])) < 0.5
        with pytest.raises(bedrock.exceptions.ValidationException, match="detailLevel"):
            bedrock.invoke_model(modelId=MODEL, body=json.dumps(body("SINGLE_EMBEDDING", {
                "format": "png", "detailLevel": "PAGE", "source": src})))
        nova = get_embedder("nova", dimension=384, endpoint_url=twin.url, region="us-east-1",
                            detail_level="DOCUMENT_IMAGE")
        item = MediaItem.from_bytes(png.getvalue(), source="page.png")
        np.testing.assert_allclose(nova.embed_query(item), vecs["DOCUMENT_IMAGE"], atol=1e-5)
    finally:
        twin.stop()
