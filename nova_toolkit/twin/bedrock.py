"""bedrock-runtime on the twin: InvokeModel, StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes
for the Nova Multimodal Embeddings model, in botocore's rest-json wire format."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from nova_toolkit.twin.async_jobs import AsyncJobs
from nova_toolkit.twin.config import ACCOUNT_ID, NOVA_MODEL_ID, TwinConfig
from nova_toolkit.twin.faults import DROP, FaultInjector
from nova_toolkit.twin.models import TwinModel
from nova_toolkit.twin.nova_compute import check_supported, embed_single, segment_count
from nova_toolkit.twin.nova_requests import MAX_BODY_BYTES, NovaRequest, invalid, parse_request
from nova_toolkit.twin.nova_text import estimate_tokens, truncate_text
from nova_toolkit.twin.s3 import S3Access
from nova_toolkit.twin.segment_limits import SegmentLimits
from nova_toolkit.twin.stats import TwinStats
from nova_toolkit.twin.wire import ServiceError, json_response

#: Header in which Bedrock reports input tokens.
TOKEN_HEADER = "X-Amzn-Bedrock-Input-Token-Count"


class Dropped(Exception):
    """The fault injector chose to close the connection without an answer."""


def model_arn(model_id: str, region: str) -> str:
    """The foundation-model ARN of ``model_id``; ValidationException for another model."""
    raw = unquote(model_id)
    base = raw.rsplit("foundation-model/", 1)[-1] if raw.startswith("arn:") else raw
    for prefix in ("us.", "eu.", "apac.", "global."):
        if base.startswith(prefix):
            base = base[len(prefix):]
    if base != NOVA_MODEL_ID:
        raise ServiceError("ValidationException", "The provided model identifier is invalid.",
                           400)
    return f"arn:aws:bedrock:{region}::foundation-model/{NOVA_MODEL_ID}"


def input_tokens(req: NovaRequest) -> int | None:
    """Rough input tokens of a text request (see :mod:`.nova_text`); None for media."""
    if req.modality != "text" or "value" not in req.block:
        return None
    seen, _ = truncate_text(req.block["value"], req.block["truncationMode"])
    return estimate_tokens(seen)


class BedrockRuntime:
    """Request handlers; model calls go through the fault injector first."""

    def __init__(self, config: TwinConfig, model: TwinModel, s3: S3Access, faults: FaultInjector,
                 stats: TwinStats) -> None:
        self.config = config
        self.model = model
        self.s3 = s3
        self.faults = faults
        self.stats = stats
        self.limits = SegmentLimits(config.max_text_segments, config.max_media_segments)
        self.jobs = AsyncJobs(model, s3, config.region, ACCOUNT_ID,
                              echo_output_uri=config.echo_output_uri, limits=self.limits)

    def handle(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path.startswith("/model/") and path.endswith("/invoke") and method == "POST":
            return self.invoke_model(request, path[len("/model/"):-len("/invoke")])
        if path == "/async-invoke" and method == "POST":
            return self.start_async_invoke(request)
        if path == "/async-invoke" and method == "GET":
            return json_response(self.jobs.list(request.args.to_dict()))
        if path.startswith("/async-invoke/") and method == "GET":
            return json_response(self.jobs.get(unquote(path[len("/async-invoke/"):])))
        raise ServiceError("UnknownOperationException", f"{method} {path} is not an operation "
                           "of bedrock-runtime on this twin", 404)

    def _faults(self, operation: str, key: str | None) -> None:
        try:
            if self.faults.decide() == DROP:
                self.stats.record(operation, "dropped", key)
                raise Dropped
        except ServiceError as exc:
            self.stats.record(operation, exc.code, key)
            raise

    def invoke_model(self, request: Request, model_id: str) -> Response:
        model_arn(model_id, self.config.region)
        raw = request.get_data()
        if len(raw) > MAX_BODY_BYTES:
            raise invalid(f"#: request body is {len(raw)} bytes, above {MAX_BODY_BYTES}")
        try:
            body = json.loads(raw)
        except ValueError:
            raise invalid("#: body is not valid JSON") from None
        req = parse_request(body, segmented=False)
        key = req.input_key()
        self._faults("InvokeModel", key)
        data = req.data if req.data is not None else (
            self.s3.read(req.s3_uri) if req.s3_uri else None)
        embeddings = embed_single(self.model, req, data)
        self.stats.record("InvokeModel", "ok", key)
        headers = {}
        tokens = input_tokens(req)
        if tokens is not None:
            headers[TOKEN_HEADER] = str(tokens)
        return json_response({"embeddings": embeddings}, headers=headers)

    def start_async_invoke(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise ServiceError("SerializationException", "Body is not valid JSON", 400) from None
        arn = model_arn(str(body.get("modelId", "")), self.config.region)
        output = body.get("outputDataConfig")
        if not isinstance(output, dict) or "s3Uri" not in (output.get("s3OutputDataConfig") or {}):
            raise ServiceError("ValidationException",
                               "outputDataConfig.s3OutputDataConfig.s3Uri is required", 400)
        req = parse_request(body.get("modelInput"), segmented=True)
        check_supported(self.model, req)
        if req.s3_uri is None:  # the input is here: its segment count is known now
            self.limits.check(segment_count(self.model, req, req.data), req.modality)
        key = req.input_key()
        self._faults("StartAsyncInvoke", key)
        invocation = self.jobs.start(arn, req, output, body.get("clientRequestToken"))
        self.stats.record("StartAsyncInvoke", "ok", key)
        return json_response({"invocationArn": invocation})

    def shutdown(self) -> None:
        self.jobs.shutdown()


def describe(error: ServiceError) -> dict[str, Any]:
    """Plain dict of an error (for logs)."""
    return {"code": error.code, "status": error.status, "message": error.message}
