"""The one retry policy against the project's twin: real botocore clients, real error parsing."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nova_toolkit._core import aws
from nova_toolkit._core.nova import NOVA_MODEL_ID
from nova_toolkit._core.retry import RETRYABLE_CODES, botocore_retries, is_retryable, retry
from nova_toolkit.twin import Twin, TwinConfig

BODY = json.dumps({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
    "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256,
    "text": {"truncationMode": "END", "value": "hello"}}})


@pytest.fixture
def throttling_twin(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    twin = Twin(TwinConfig(root=tmp_path / "twin", fast_embeddings=True, throttle_rate=0.5,
                           error_rate=0.1, seed=3), port=0).start()
    yield twin
    twin.stop()


def test_botocore_accepts_the_retry_config() -> None:
    for mode in ("standard", "adaptive"):
        assert Config(retries=botocore_retries(mode, 3)).retries == {"mode": mode,
                                                                      "max_attempts": 3}
    with pytest.raises(ValueError):
        botocore_retries("sometimes")


def test_retry_takes_over_when_botocore_gives_up(throttling_twin) -> None:
    # max_attempts=1: botocore does not retry, so every fault reaches the outer policy
    client = aws.make_client("bedrock-runtime", endpoint_url=throttling_twin.url,
                             region="us-east-1", retry_mode="standard", max_attempts=1)
    seen: list[BaseException] = []
    sleeps: list[float] = []
    for _ in range(20):
        out = retry(lambda: client.invoke_model(modelId=NOVA_MODEL_ID, body=BODY), attempts=50,
                    sleep=sleeps.append, on_retry=seen.append)
        assert len(json.loads(out["body"].read())["embeddings"][0]["embedding"]) == 256
    codes = {aws.error_code(e) for e in seen}
    assert "ThrottlingException" in codes and len(sleeps) == len(seen) > 0
    assert all(is_retryable(e) for e in seen)
    assert codes - {""} <= RETRYABLE_CODES | {c for e in seen if aws.http_status(e) >= 500
                                              for c in [aws.error_code(e)]}


def test_a_validation_error_is_raised_at_once(throttling_twin) -> None:
    client = aws.make_client("bedrock-runtime", endpoint_url=throttling_twin.url,
                             region="us-east-1", retry_mode="standard", max_attempts=1)
    bad = json.dumps({"taskType": "SINGLE_EMBEDDING"})
    sleeps: list[float] = []
    calls = []

    def call():
        calls.append(1)
        return client.invoke_model(modelId=NOVA_MODEL_ID, body=bad)

    # throttles may come first (at random); the ValidationException ends the loop unchanged
    with pytest.raises(ClientError) as caught:
        retry(call, attempts=50, sleep=sleeps.append)
    assert not is_retryable(caught.value)
    assert aws.error_code(caught.value) == "ValidationException"
    assert aws.http_status(caught.value) == 400
    assert len(calls) == len(sleeps) + 1
