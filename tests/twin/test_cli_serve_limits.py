"""``nova-toolkit serve --max-text-segments N --max-media-segments N``: a served twin with
small async segment limits refuses a longer inline text job at StartAsyncInvoke."""

from __future__ import annotations

import re
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError

from nova_toolkit.embedders.nova import bodies

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"


def _serve(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "nova_toolkit.cli", "serve", "--port", "0",
                             "--fast-embeddings", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if found is None:
        proc.kill()
        proc.wait(timeout=10)
        pytest.fail(f"serve did not start: {line}{proc.stdout.read()}")
    return proc, found.group(1)


def test_serve_max_text_segments_reaches_the_twin():
    proc, url = _serve("--max-text-segments", "2", "--max-media-segments", "3")
    try:
        kw = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "test",
              "aws_secret_access_key": "test"}
        boto3.client("s3", **kw).create_bucket(Bucket="lim")
        br = boto3.client("bedrock-runtime", **kw)
        text = "\n\n".join([("abcdefg " * 100)[:-1]] * 3)  # three 800-char segments
        block = {**bodies.text_block(text), "segmentationConfig": {"maxLengthChars": 800}}
        body = bodies.segmented_body("text", block, purpose="GENERIC_INDEX", dimension=256)
        out = {"s3OutputDataConfig": {"s3Uri": "s3://lim/out"}}
        with pytest.raises(ClientError) as info:
            br.start_async_invoke(modelId=MODEL_ID, modelInput=body, outputDataConfig=out)
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert "maximum of 2 text segments" in info.value.response["Error"]["Message"]
        block["value"] = "\n\n".join([("abcdefg " * 100)[:-1]] * 2)
        body = bodies.segmented_body("text", block, purpose="GENERIC_INDEX", dimension=256)
        assert br.start_async_invoke(modelId=MODEL_ID, modelInput=body,
                                     outputDataConfig=out)["invocationArn"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
