"""Every bedrock-runtime operation and input member, and what the twin does with it.

The twin hosts one model, ``amazon.nova-2-multimodal-embeddings-v1:0`` (an embeddings
model; see :mod:`.config`). Requests are routed by the installed botocore model's own
``requestUri`` templates (:func:`route`), so an operation a future botocore adds is
recognised and, until it is listed here, answered ``UnknownOperationException`` — which
``tests/twin/test_bedrock_model_parity.py`` reports. Each operation is either

* served (:data:`SERVED`; handlers in :mod:`.bedrock`), or
* refused as Bedrock refuses it for this model (:data:`REFUSED_OPERATIONS`), after the
  request passed the model's constraints (:mod:`.model_checks`) and the model id was
  checked (an id other than the twin's model: ``ValidationException`` "The provided model
  identifier is invalid.", :func:`.bedrock.model_arn`).

Each input member of a served operation is listed in :data:`MEMBERS` with how it is
handled; a value Bedrock would refuse is refused by :func:`check_members` with the
:class:`Refusal` of :data:`MEMBER_REFUSALS`. Where a wording is not confirmed by a real
Bedrock answer the entry says so (``confirmed=False``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nova_toolkit.twin.model_checks import service_model
from nova_toolkit.twin.wire import ServiceError

SERVICE = "bedrock-runtime"


@dataclass(frozen=True)
class Refusal:
    """An AWS error the twin answers: code, HTTP status, message (``{name}`` fields are
    filled from the request), where the wording comes from and whether it is confirmed."""

    code: str
    status: int
    message: str
    source: str
    confirmed: bool = True

    def error(self, **values: Any) -> ServiceError:
        return ServiceError(self.code, self.message.format(**values), self.status)


# -- operation refusals -----------------------------------------------------------------

#: Converse / ConverseStream on a model that is not a text or chat model.
NOT_A_CHAT_MODEL = Refusal(
    "ValidationException", 400,
    "This action doesn't support the model that you provided. Try again with a supported "
    "text or chat model.",
    "Bedrock's answer to Converse/ConverseStream on speech, rerank and imported models, "
    "quoted verbatim in public code (find_string 'This action doesn't support the model': "
    "a test of Bedrock model-id messages and a Nova Sonic ConverseStream log)")

#: The streaming operations on a model without response streaming (embeddings models).
NOT_STREAMING = Refusal(
    "ValidationException", 400, "The model is unsupported for streaming.",
    "a real Bedrock response (HTTP 400, Content-Length 53, x-amzn-errortype "
    "ValidationException) in aws-samples/amazon-bedrock-client-for-mac#112; the same text "
    "for amazon.titan-embed-text-v1 in New Relic's node agent Bedrock test fixtures")

#: CountTokens on a model without token counting.
NO_TOKEN_COUNT = Refusal(
    "ValidationException", 400, "The provided model doesn't support counting tokens.",
    "a curl of Bedrock's answer in agentgateway/agentgateway#3254 (HTTP 400, "
    "x-amzn-errortype ValidationException); the same text in strands-agents PR #2250")

#: A guardrail the account does not have (the twin has none).
GUARDRAIL_NOT_FOUND = Refusal(
    "ResourceNotFoundException", 404, "Could not find guardrail with id {guardrail}",
    "two troubleshooting guides quoting ApplyGuardrail and InvokeModel errors; not seen in "
    "a raw Bedrock response", confirmed=False)

#: InvokeModelWithBidirectionalStream on a model that is not a speech-to-speech model.
NOT_BIDIRECTIONAL = Refusal(
    "ValidationException", 400, "This action doesn't support the model that you provided.",
    "Bedrock's wording for an action a model does not support (see NOT_A_CHAT_MODEL); what "
    "it says on this action for an embeddings model is unconfirmed", confirmed=False)

#: InvokeGuardrailChecks: inline safety classifiers the twin cannot run. On AWS the call
#: succeeds; the twin refuses it rather than answer "nothing detected" it never checked.
NO_GUARDRAIL_CHECKS = Refusal(
    "AccessDeniedException", 403,
    "InvokeGuardrailChecks is not available on this endpoint (the local twin runs no "
    "guardrail classifiers).",
    "the twin's own wording: Bedrock serves this operation", confirmed=False)

#: Operation -> refusal, for the operations the twin does not serve.
REFUSED_OPERATIONS: dict[str, Refusal] = {
    "Converse": NOT_A_CHAT_MODEL,
    "ConverseStream": NOT_A_CHAT_MODEL,
    "InvokeModelWithResponseStream": NOT_STREAMING,
    "InvokeModelWithBidirectionalStream": NOT_BIDIRECTIONAL,
    "CountTokens": NO_TOKEN_COUNT,
    "ApplyGuardrail": GUARDRAIL_NOT_FOUND,
    "InvokeGuardrailChecks": NO_GUARDRAIL_CHECKS,
}
#: Refused operations whose path names a model (checked before the refusal).
MODEL_OPERATIONS = frozenset({"Converse", "ConverseStream", "InvokeModelWithResponseStream",
                              "InvokeModelWithBidirectionalStream", "CountTokens"})

#: Operation -> BedrockRuntime method, for the operations the twin serves.
SERVED: dict[str, str] = {
    "InvokeModel": "invoke_model",
    "StartAsyncInvoke": "start_async_invoke",
    "GetAsyncInvoke": "get_async_invoke",
    "ListAsyncInvokes": "list_async_invokes",
}

# -- members of the served operations ---------------------------------------------------

GUARDRAIL_VERSION_ALONE = Refusal(
    "ValidationException", 400,
    "Guardrail identifier and version must both be provided to use a guardrail.",
    "the twin's wording: what Bedrock says for a version without an identifier is "
    "unconfirmed", confirmed=False)
LATENCY_NOT_OFFERED = Refusal(
    "ValidationException", 400,
    "Latency-optimized inference is not supported for the provided model.",
    "unconfirmed wording; AWS documents 'optimized' latency for a few text models only "
    "(Nova Pro, Claude 3.5 Haiku, Llama 3.1 70B/405B), not embeddings models",
    confirmed=False)
RESERVATION_NOT_FOUND = Refusal(
    "ValidationException", 400, "Reservation not found.",
    "Bedrock's answer to serviceTier 'reserved' without a reservation, quoted in "
    "envoyproxy/ai-gateway#1749 and NousResearch/hermes-agent#34476")
TIER_NOT_OFFERED = Refusal(
    "ValidationException", 400, "The provided service tier is not supported for this model.",
    "unconfirmed wording; AWS offers the priority and flex tiers for some text models, and "
    "Bedrock answers a tier a model lacks with a ValidationException (strands-agents #1799)",
    confirmed=False)
PROJECT_NOT_FOUND = Refusal(
    "ResourceNotFoundException", 404, "Project {project} not found.",
    "unconfirmed wording; the model documents that a non-default project must exist and be "
    "active in the account (the twin has only the default project)", confirmed=False)
TOKEN_REUSED = Refusal(
    "ConflictException", 400,
    "The client request token was already used by a request with different parameters.",
    "unconfirmed wording; the code is StartAsyncInvoke's modeled ConflictException, the "
    "meaning AWS's usual idempotency rule (same token, other parameters: refused)",
    confirmed=False)

BAD_REQUEST_METADATA = Refusal(
    "ValidationException", 400,
    "The request metadata must be a JSON object of string keys and string values.",
    "unconfirmed wording; the model documents the header as key-value pairs (JSON)",
    confirmed=False)
JOB_NOT_FOUND = Refusal(
    "ValidationException", 400, "Invocation with ARN {arn} not found.",
    "unconfirmed wording; the code is the only client error GetAsyncInvoke models besides "
    "AccessDenied (it has no ResourceNotFoundException)", confirmed=False)
BAD_PAGE_TOKEN = Refusal(
    "ValidationException", 400, "The provided pagination token is invalid.",
    "unconfirmed wording (a token this twin did not issue)", confirmed=False)

#: (operation, member) -> refusal of the values :func:`check_members` refuses.
MEMBER_REFUSALS: dict[tuple[str, str], Refusal] = {
    ("InvokeModel", "guardrailIdentifier"): GUARDRAIL_NOT_FOUND,
    ("InvokeModel", "guardrailVersion"): GUARDRAIL_VERSION_ALONE,
    ("InvokeModel", "performanceConfigLatency"): LATENCY_NOT_OFFERED,
    ("InvokeModel", "serviceTier"): TIER_NOT_OFFERED,
    ("InvokeModel", "projectIdentifier"): PROJECT_NOT_FOUND,
    ("StartAsyncInvoke", "clientRequestToken"): TOKEN_REUSED,
    ("InvokeModel", "requestMetadata"): BAD_REQUEST_METADATA,
    ("GetAsyncInvoke", "invocationArn"): JOB_NOT_FOUND,
    ("ListAsyncInvokes", "nextToken"): BAD_PAGE_TOKEN,
}

#: (operation, member) -> how the twin handles it. Every member also obeys the model's
#: constraints (enum, length, pattern, range: :mod:`.model_checks`).
MEMBERS: dict[tuple[str, str], str] = {
    ("InvokeModel", "modelId"): "the twin's model (ARN and us./eu./apac./global. profiles)",
    ("InvokeModel", "body"): "the Nova request body (nova_requests.parse_request)",
    ("InvokeModel", "contentType"): "accepted; the body is read as JSON",
    ("InvokeModel", "accept"): "accepted; the answer is application/json",
    ("InvokeModel", "trace"): "accepted; without a guardrail there is no trace to add",
    ("InvokeModel", "guardrailIdentifier"): "no guardrail exists: GUARDRAIL_NOT_FOUND",
    ("InvokeModel", "guardrailVersion"): "without an identifier: GUARDRAIL_VERSION_ALONE",
    ("InvokeModel", "performanceConfigLatency"): "'standard' served and echoed in the "
                                                 "response header; 'optimized' refused",
    ("InvokeModel", "serviceTier"): "'default' served and echoed; 'reserved' refused with "
                                    "RESERVATION_NOT_FOUND, 'priority'/'flex' with "
                                    "TIER_NOT_OFFERED",
    ("InvokeModel", "requestMetadata"): "a JSON object of strings, accepted (invocation-log "
                                        "filters; the twin keeps no invocation logs); "
                                        "else BAD_REQUEST_METADATA",
    ("InvokeModel", "projectIdentifier"): "'default' accepted, another project refused",
    ("StartAsyncInvoke", "clientRequestToken"): "idempotency: same token and request, same "
                                                "invocationArn; other request: TOKEN_REUSED",
    ("StartAsyncInvoke", "modelId"): "the twin's model",
    ("StartAsyncInvoke", "modelInput"): "the Nova SEGMENTED_EMBEDDING body",
    ("StartAsyncInvoke", "outputDataConfig"): "s3Uri (results under <s3Uri>/<id>), "
                                              "kmsKeyId and bucketOwner echoed",
    ("StartAsyncInvoke", "tags"): "checked and kept with the job (not returned, as on AWS)",
    ("GetAsyncInvoke", "invocationArn"): "a job of this twin, else JOB_NOT_FOUND",
    ("ListAsyncInvokes", "submitTimeAfter"): "filter (strictly after)",
    ("ListAsyncInvokes", "submitTimeBefore"): "filter (strictly before)",
    ("ListAsyncInvokes", "statusEquals"): "filter",
    ("ListAsyncInvokes", "maxResults"): "page size (1-1000; default 1000)",
    ("ListAsyncInvokes", "nextToken"): "opaque keyset token (stable while jobs are added); "
                                       "another token: BAD_PAGE_TOKEN",
    ("ListAsyncInvokes", "sortBy"): "SubmissionTime",
    ("ListAsyncInvokes", "sortOrder"): "Ascending | Descending (default)",
}


def check_members(operation: str, params: dict[str, Any]) -> dict[str, str]:
    """Refuse the member values Bedrock refuses for the twin's model (see
    :data:`MEMBER_REFUSALS`); returns the response headers the accepted ones echo."""
    echo: dict[str, str] = {}
    if operation != "InvokeModel":
        return echo
    guardrail, version = params.get("guardrailIdentifier"), params.get("guardrailVersion")
    if guardrail:
        raise GUARDRAIL_NOT_FOUND.error(guardrail=guardrail)
    if version:
        raise GUARDRAIL_VERSION_ALONE.error()
    latency = params.get("performanceConfigLatency")
    if latency == "optimized":
        raise LATENCY_NOT_OFFERED.error()
    if latency:
        echo["X-Amzn-Bedrock-PerformanceConfig-Latency"] = latency
    tier = params.get("serviceTier")
    if tier == "reserved":
        raise RESERVATION_NOT_FOUND.error()
    if tier and tier != "default":
        raise TIER_NOT_OFFERED.error()
    if tier:
        echo["X-Amzn-Bedrock-Service-Tier"] = tier
    metadata = params.get("requestMetadata")
    if metadata is not None:
        try:
            pairs = json.loads(metadata)
        except ValueError:
            pairs = None
        if not isinstance(pairs, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()):
            raise BAD_REQUEST_METADATA.error()
    project = params.get("projectIdentifier")
    if project and project != "default":
        raise PROJECT_NOT_FOUND.error(project=project)
    return echo


# -- routing ------------------------------------------------------------------------------

def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operation) of every operation in the installed model."""
    model = service_model(SERVICE)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        regex = re.sub(r"\\\{(\w+)(?:\\\+)?\\\}", lambda m: f"(?P<{m.group(1)}>.+)",
                       re.escape(template))
        routes.append((http["method"], re.compile(regex), name))
    # literal routes first: /async-invoke must not be read as /async-invoke/{arn}
    routes.sort(key=lambda r: r[1].pattern.count("(?P"))
    return routes


_ROUTES: list[tuple[str, re.Pattern[str], str]] | None = None


def route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(operation, URI labels) of a request (``path`` percent-decoded), or None."""
    global _ROUTES
    if _ROUTES is None:
        _ROUTES = _routes()
    for verb, regex, name in _ROUTES:
        m = regex.fullmatch(path)
        if m and verb == method:
            return name, m.groupdict()
    return None
