"""bedrock-runtime on the twin: InvokeModel, StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes
for the Nova Multimodal Embeddings model, in botocore's rest-json wire format; every other
operation of the installed model is refused as Bedrock refuses it (:mod:`.bedrock_ops`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from nova_toolkit.twin.async_jobs import AsyncJobs
from nova_toolkit.twin.bedrock_ops import (
    MODEL_OPERATIONS,
    REFUSED_OPERATIONS,
    SERVED,
    SERVICE,
    check_members,
    route,
)
from nova_toolkit.twin.config import ACCOUNT_ID, NOVA_MODEL_ID, TwinConfig
from nova_toolkit.twin.faults import DROP, FaultInjector
from nova_toolkit.twin.guard import read_json
from nova_toolkit.twin.model_checks import check_input, request_params, service_model
from nova_toolkit.twin.models import TwinModel
from nova_toolkit.twin.nova_compute import check_supported, embed_single, segment_count
from nova_toolkit.twin.nova_requests import NovaRequest, parse_request
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
    """The foundation-model ARN of ``model_id``; ValidationException for another model.

    The wording is Bedrock's for a model id it does not serve, as InvokeModel, Converse and
    ConverseStream answer it in public reports (e.g. aws-samples/amazon-bedrock-workshop#315,
    aws-samples/amazon-bedrock-samples#443).
    """
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
        """Route by the botocore model's request URIs; check the request against the
        model's constraints; serve it or refuse it (see :mod:`.bedrock_ops`)."""
        found = route(request.method, request.path)
        if found is None:
            raise ServiceError("UnknownOperationException", f"{request.method} {request.path} "
                               "is not an operation of bedrock-runtime", 404)
        operation, uri = found
        op_model = service_model(SERVICE).operation_model(operation)
        body = None
        if op_model.input_shape is not None and not op_model.input_shape.serialization.get(
                "payload"):
            body = read_json(request, "bedrock-runtime")
        params = request_params(op_model, request, uri, body)
        check_input(op_model, params)
        if operation in SERVED:
            return getattr(self, SERVED[operation])(request, params)
        if operation not in REFUSED_OPERATIONS:
            raise ServiceError("UnknownOperationException", f"{operation} is not served or "
                               "refused by the twin (see twin/bedrock_ops.py)", 404)
        if operation in MODEL_OPERATIONS:
            model_arn(params.get("modelId", ""), self.config.region)
        guardrail = params.get("guardrailIdentifier", "")
        raise REFUSED_OPERATIONS[operation].error(guardrail=guardrail)

    def get_async_invoke(self, request: Request, params: dict[str, Any]) -> Response:
        return json_response(self.jobs.get(params["invocationArn"]))

    def list_async_invokes(self, request: Request, params: dict[str, Any]) -> Response:
        return json_response(self.jobs.list(params))

    def _faults(self, operation: str, key: str | None) -> None:
        try:
            if self.faults.decide() == DROP:
                self.stats.record(operation, "dropped", key)
                raise Dropped
        except ServiceError as exc:
            self.stats.record(operation, exc.code, key)
            raise

    def invoke_model(self, request: Request, params: dict[str, Any]) -> Response:
        model_arn(params["modelId"], self.config.region)
        echo = check_members("InvokeModel", params)
        body = read_json(request, "bedrock-runtime")  # within MAX_BODY_BYTES, an object
        req = parse_request(body, segmented=False)
        key = req.input_key()
        self._faults("InvokeModel", key)
        data = req.data if req.data is not None else (
            self.s3.read(req.s3_uri) if req.s3_uri else None)
        embeddings = embed_single(self.model, req, data)
        self.stats.record("InvokeModel", "ok", key)
        headers = dict(echo)
        tokens = input_tokens(req)
        if tokens is not None:
            headers[TOKEN_HEADER] = str(tokens)
        return json_response({"embeddings": embeddings}, headers=headers)

    def start_async_invoke(self, request: Request, params: dict[str, Any]) -> Response:
        body = params
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
        invocation = self.jobs.start(arn, req, output, body.get("clientRequestToken"),
                                     fingerprint=_fingerprint(body), tags=body.get("tags"))
        self.stats.record("StartAsyncInvoke", "ok", key)
        return json_response({"invocationArn": invocation})

    def shutdown(self) -> None:
        self.jobs.shutdown()


def _fingerprint(body: dict[str, Any]) -> str:
    """What makes two StartAsyncInvoke requests "the same" for a clientRequestToken."""
    same = {k: body.get(k) for k in ("modelId", "modelInput", "outputDataConfig", "tags")}
    return json.dumps(same, sort_keys=True, default=str)


def describe(error: ServiceError) -> dict[str, Any]:
    """Plain dict of an error (for logs)."""
    return {"code": error.code, "status": error.status, "message": error.message}
