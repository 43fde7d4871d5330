"""The twin against the installed botocore ``bedrock-runtime`` model, read at test time.

For every operation of the model a real boto3 request goes to a running twin; the answer
must be a success or one of the operation's modeled errors with its HTTP status and a
``message`` — never the twin's ``UnknownOperationException``. Every input member must be
listed by the twin (handled in ``bedrock_ops.MEMBERS`` or refused with its operation) and
be sent by a request here. A botocore that adds an operation or member fails these tests
until the twin handles it (and this file has a request for it).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from twin_helpers import start_twin

from nova_toolkit.embedders.nova import bodies
from nova_toolkit.twin.bedrock_ops import MEMBER_REFUSALS, MEMBERS, REFUSED_OPERATIONS, SERVED

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
BUCKET = "parity"
TEXT_BODY = json.dumps(bodies.single_body("text", bodies.text_block("hello twin"),
                                          purpose="GENERIC_INDEX", dimension=256))
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]


def _async_input(value: str = "hello twin") -> dict:
    block = {**bodies.text_block(value), "segmentationConfig": {"maxLengthChars": 800}}
    return bodies.segmented_body("text", block, purpose="GENERIC_INDEX", dimension=256)


#: A valid request of every operation (test data: a new operation needs one here).
REQUESTS = {
    "InvokeModel": lambda: {"modelId": MODEL_ID, "body": TEXT_BODY,
                            "contentType": "application/json", "accept": "application/json"},
    "StartAsyncInvoke": lambda: {
        "modelId": MODEL_ID, "modelInput": _async_input(),
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/out"}}},
    "GetAsyncInvoke": lambda: {"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:"
                                                "async-invoke/abcdefghijkl"},
    "ListAsyncInvokes": lambda: {},
    "Converse": lambda: {"modelId": MODEL_ID, "messages": MESSAGES},
    "ConverseStream": lambda: {"modelId": MODEL_ID, "messages": MESSAGES},
    "InvokeModelWithResponseStream": lambda: {"modelId": MODEL_ID, "body": TEXT_BODY},
    "InvokeModelWithBidirectionalStream": lambda: {"modelId": MODEL_ID},
    "CountTokens": lambda: {"modelId": MODEL_ID, "input": {"invokeModel": {"body": TEXT_BODY}}},
    "ApplyGuardrail": lambda: {"guardrailIdentifier": "abc123", "guardrailVersion": "1",
                               "source": "INPUT", "content": [{"text": {"text": "hello"}}]},
    "InvokeGuardrailChecks": lambda: {
        "messages": [{"role": "user", "content": [{"text": "hello"}]}],
        "checks": {"promptAttack": {"categories": [{"category": "JAILBREAK"}]}}},
}

#: Values of the served operations' non-enum members (enum members send every value).
SAMPLES = {
    ("InvokeModel", "modelId"): [MODEL_ID, f"arn:aws:bedrock:us-east-1::foundation-model/"
                                           f"{MODEL_ID}", "amazon.titan-embed-text-v2:0"],
    ("InvokeModel", "body"): [TEXT_BODY, "{}"],
    ("InvokeModel", "contentType"): ["application/json"],
    ("InvokeModel", "accept"): ["application/json", "*/*"],
    ("InvokeModel", "guardrailIdentifier"): ["abc123"],
    ("InvokeModel", "guardrailVersion"): ["1", "DRAFT"],
    ("InvokeModel", "requestMetadata"): ['{"team": "search"}', "[1, 2]", "x" * 8501],
    ("InvokeModel", "projectIdentifier"): ["default", "myproject"],
    ("StartAsyncInvoke", "clientRequestToken"): ["token-1"],
    ("StartAsyncInvoke", "modelId"): [MODEL_ID, "amazon.titan-embed-text-v2:0"],
    ("StartAsyncInvoke", "modelInput"): [_async_input(), {"taskType": "SEGMENTED_EMBEDDING"}],
    ("StartAsyncInvoke", "outputDataConfig"): [
        {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/o", "kmsKeyId": "alias/k",
                                "bucketOwner": "123456789012"}}],
    ("StartAsyncInvoke", "tags"): [[{"key": "team", "value": "search"}],
                                   [{"key": "k" * 129, "value": "v"}]],
    ("GetAsyncInvoke", "invocationArn"): ["not-an-arn"],
    ("ListAsyncInvokes", "submitTimeAfter"): [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)],
    ("ListAsyncInvokes", "submitTimeBefore"): [dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc)],
    ("ListAsyncInvokes", "maxResults"): [1, 1000, 1001],
    ("ListAsyncInvokes", "nextToken"): ["not-a-token"],
}


@pytest.fixture(scope="module")
def model():
    return botocore.session.get_session().get_service_model("bedrock-runtime")


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    t = start_twin(tmp_path_factory.mktemp("parity"), fast_embeddings=True)
    kw = {"endpoint_url": t.url, "region_name": "us-east-1", "aws_access_key_id": "test",
          "aws_secret_access_key": "test"}
    boto3.client("s3", **kw).create_bucket(Bucket=BUCKET)
    t.bedrock = boto3.client("bedrock-runtime", **kw)
    yield t
    t.stop()


def _snake(name: str) -> str:
    return botocore.xform_name(name)


def _raw_call(twin, op_model, params: dict) -> dict:
    """An operation botocore has no client method for (event-stream input), sent with
    botocore's own serializer, SigV4 signer, HTTP session and error parser."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session
    from botocore.parsers import create_parser
    from botocore.serialize import create_serializer

    # no client-side validation: the event-stream ``body`` is what botocore cannot send
    req = create_serializer("rest-json", include_validation=False).serialize_to_request(
        params, op_model)
    aws = AWSRequest(method=req["method"], url=twin.url + req["url_path"], data=req["body"],
                     headers=req["headers"])
    SigV4Auth(Credentials("test", "test"), "bedrock", "us-east-1").add_auth(aws)
    resp = URLLib3Session().send(aws.prepare())
    parsed = create_parser("rest-json").parse(
        {"status_code": resp.status_code, "headers": resp.headers, "body": resp.content},
        op_model.output_shape)
    if resp.status_code >= 300:
        raise ClientError(parsed, op_model.name)
    return parsed


def call(twin, model, operation: str, params: dict) -> tuple[dict | None, ClientError | None]:
    """(response, None) or (None, error) of one real request."""
    client = twin.bedrock
    op_model = model.operation_model(operation)
    try:
        if not hasattr(client, _snake(operation)):
            assert op_model.has_event_stream_input  # the only kind botocore leaves out
            return _raw_call(twin, op_model, params), None
        return getattr(client, _snake(operation))(**params), None
    except ClientError as exc:
        return None, exc


def check_answer(model, operation: str, response, error) -> None:
    """A success, or a modeled error of the operation with its status and a message."""
    if error is None:
        assert response is not None
        return
    op_model = model.operation_model(operation)
    modeled = {s.name: s.metadata.get("error", {}).get("httpStatusCode")
               for s in op_model.error_shapes}
    code = error.response["Error"]["Code"]
    assert code in modeled, f"{operation}: {code} is not a modeled error ({sorted(modeled)})"
    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == modeled[code], f"{operation}: {code} with HTTP {status}"
    assert error.response["Error"]["Message"], f"{operation}: {code} without a message"


def test_every_operation_is_served_or_refused_as_listed(twin, model):
    missing = sorted(set(model.operation_names) - set(REQUESTS))
    assert not missing, f"no request for new operations {missing}: add one to REQUESTS"
    for operation in model.operation_names:
        assert (operation in SERVED) != (operation in REFUSED_OPERATIONS), operation
        response, error = call(twin, model, operation, REQUESTS[operation]())
        check_answer(model, operation, response, error)
        refusal = REFUSED_OPERATIONS.get(operation)
        if refusal is None:
            assert error is None or operation == "GetAsyncInvoke", (operation, error)
            continue
        assert error is not None, f"{operation} was refused by the table but succeeded"
        assert error.response["Error"]["Code"] == refusal.code
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == refusal.status
        assert error.response["Error"]["Message"] == refusal.message.format(
            guardrail=REQUESTS[operation]().get("guardrailIdentifier", ""))


def test_a_refused_model_operation_checks_the_model_id_first(twin, model):
    for operation in ("Converse", "ConverseStream", "InvokeModelWithResponseStream",
                      "CountTokens", "InvokeModelWithBidirectionalStream"):
        params = {**REQUESTS[operation](), "modelId": "amazon.titan-embed-text-v2:0"}
        _, error = call(twin, model, operation, params)
        assert error.response["Error"] == {"Code": "ValidationException",
                                           "Message": "The provided model identifier is "
                                                      "invalid."}, operation


def _values(model, operation: str, member: str) -> list:
    shape = model.operation_model(operation).input_shape.members[member]
    if getattr(shape, "enum", None):
        return list(shape.enum) + ["NOT_IN_ENUM"]
    return SAMPLES.get((operation, member), [])


def test_every_member_is_listed_and_exercised(twin, model):
    for operation in model.operation_names:
        members = model.operation_model(operation).input_shape.members
        for member in members:
            if operation in REFUSED_OPERATIONS:  # the operation's refusal covers them
                continue
            assert (operation, member) in MEMBERS, f"{operation}.{member} is not handled"
            values = _values(model, operation, member)
            assert values, f"no request here sends {operation}.{member}: add SAMPLES"
            for value in values:
                params = {**REQUESTS[operation](), member: value}
                if operation == "StartAsyncInvoke" and member != "clientRequestToken":
                    params["clientRequestToken"] = str(uuid.uuid4())
                response, error = call(twin, model, operation, params)
                check_answer(model, operation, response, error)
                refusal = MEMBER_REFUSALS.get((operation, member))
                if error is not None and refusal is not None and error.response["Error"][
                        "Code"] == refusal.code:
                    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == \
                        refusal.status


def _error(fn, **kw) -> dict:
    with pytest.raises(ClientError) as info:
        fn(**kw)
    return {**info.value.response["Error"],
            "status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def test_invoke_model_members(twin):
    br = twin.bedrock
    ok = br.invoke_model(modelId=MODEL_ID, body=TEXT_BODY, trace="ENABLED_FULL",
                         performanceConfigLatency="standard", serviceTier="default",
                         requestMetadata='{"team": "search"}', projectIdentifier="default")
    assert ok["performanceConfigLatency"] == "standard" and ok["serviceTier"] == "default"
    assert len(json.loads(ok["body"].read())["embeddings"][0]["embedding"]) == 256
    e = _error(br.invoke_model, modelId=MODEL_ID, body=TEXT_BODY, guardrailIdentifier="gr1",
               guardrailVersion="1")
    assert (e["Code"], e["status"], e["Message"]) == (
        "ResourceNotFoundException", 404, "Could not find guardrail with id gr1")
    e = _error(br.invoke_model, modelId=MODEL_ID, body=TEXT_BODY, serviceTier="reserved")
    assert (e["Code"], e["status"], e["Message"]) == ("ValidationException", 400,
                                                      "Reservation not found.")
    e = _error(br.invoke_model, modelId=MODEL_ID, body=TEXT_BODY, trace="LOUD")
    assert e["Message"] == ("1 validation error detected: Value 'LOUD' at 'trace' failed to "
                            "satisfy constraint: Member must satisfy enum value set: "
                            "[DISABLED, ENABLED, ENABLED_FULL]")
    e = _error(br.invoke_model, modelId=MODEL_ID, body=TEXT_BODY, requestMetadata="x" * 8501)
    assert e["Message"] == ("1 validation error detected: Value at 'requestMetadata' failed to "
                            "satisfy constraint: Member must have length less than or equal "
                            "to 8500")  # a sensitive member: its value is not repeated
    for kw in ({"performanceConfigLatency": "optimized"}, {"serviceTier": "flex"},
               {"requestMetadata": '{"n": 1}'},
               {"projectIdentifier": "other"}, {"guardrailVersion": "1"}):
        e = _error(br.invoke_model, modelId=MODEL_ID, body=TEXT_BODY, **kw)
        assert e["Code"] in ("ValidationException", "ResourceNotFoundException"), kw


def test_start_async_invoke_token_and_tags(twin):
    br = twin.bedrock
    req = REQUESTS["StartAsyncInvoke"]()
    token = str(uuid.uuid4())
    first = br.start_async_invoke(clientRequestToken=token, tags=[{"key": "a", "value": "b"}],
                                  **req)["invocationArn"]
    again = br.start_async_invoke(clientRequestToken=token, tags=[{"key": "a", "value": "b"}],
                                  **req)["invocationArn"]
    assert again == first
    other = {**req, "modelInput": _async_input("another text")}
    e = _error(br.start_async_invoke, clientRequestToken=token,
               tags=[{"key": "a", "value": "b"}], **other)
    assert (e["Code"], e["status"]) == ("ConflictException", 400) and e["Message"]
    assert br.get_async_invoke(invocationArn=first)["clientRequestToken"] == token
    e = _error(br.start_async_invoke, tags=[{"key": "k" * 129, "value": "b"}], **req)
    assert e["Code"] == "ValidationException" and "at 'tags.1.member.key'" in e["Message"]
    assert "length less than or equal to 128" in e["Message"]


def test_list_async_invokes_filters_sorting_and_paginator(tmp_path):
    twin = start_twin(tmp_path, fast_embeddings=True)
    try:
        kw = {"endpoint_url": twin.url, "region_name": "us-east-1",
              "aws_access_key_id": "test", "aws_secret_access_key": "test"}
        boto3.client("s3", **kw).create_bucket(Bucket=BUCKET)
        br = boto3.client("bedrock-runtime", **kw)
        arns = []
        for i in range(5):
            arns.append(br.start_async_invoke(**{**REQUESTS["StartAsyncInvoke"](),
                                                 "modelInput": _async_input(f"text {i}")})[
                "invocationArn"])
            time.sleep(0.01)
        deadline = time.time() + 60
        while time.time() < deadline and any(
                br.get_async_invoke(invocationArn=a)["status"] == "InProgress" for a in arns):
            time.sleep(0.1)
        paginator = br.get_paginator("list_async_invokes")
        for order, expected in (("Descending", arns[::-1]), ("Ascending", arns)):
            pages = list(paginator.paginate(sortBy="SubmissionTime", sortOrder=order,
                                            PaginationConfig={"PageSize": 2}))
            assert [len(p["asyncInvokeSummaries"]) for p in pages] == [2, 2, 1]
            got = [s["invocationArn"] for p in pages for s in p["asyncInvokeSummaries"]]
            assert got == expected, order
        # a job added between pages neither repeats nor shifts the next page
        page1 = br.list_async_invokes(maxResults=2, sortOrder="Ascending")
        br.start_async_invoke(**{**REQUESTS["StartAsyncInvoke"](),
                                 "modelInput": _async_input("late")})
        page2 = br.list_async_invokes(maxResults=2, sortOrder="Ascending",
                                      nextToken=page1["nextToken"])
        assert [s["invocationArn"] for s in page2["asyncInvokeSummaries"]] == arns[2:4]
        done = br.list_async_invokes(statusEquals="Completed")["asyncInvokeSummaries"]
        assert {s["invocationArn"] for s in done} >= set(arns)
        middle = [s["invocationArn"] for s in br.list_async_invokes(
            submitTimeAfter=br.get_async_invoke(invocationArn=arns[0])["submitTime"],
            submitTimeBefore=br.get_async_invoke(invocationArn=arns[4])["submitTime"],
            sortOrder="Ascending")["asyncInvokeSummaries"]]
        assert middle == arns[1:4]
        e = _error(br.list_async_invokes, nextToken="garbage")
        assert (e["Code"], e["status"]) == ("ValidationException", 400)
        e = _error(br.list_async_invokes, sortBy="Name")
        assert "enum value set: [SubmissionTime]" in e["Message"]
    finally:
        twin.stop()


def test_stream_operations_get_a_json_error_botocore_parses(twin):
    """Before a stream starts Bedrock answers a plain JSON error with x-amzn-ErrorType;
    botocore's event-stream operations read it as a modeled exception."""
    br = twin.bedrock
    for fn, kw in ((br.converse_stream, REQUESTS["ConverseStream"]()),
                   (br.invoke_model_with_response_stream,
                    REQUESTS["InvokeModelWithResponseStream"]())):
        with pytest.raises(br.exceptions.ValidationException) as info:
            fn(**kw)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_every_refusal_is_a_modeled_error_with_a_source(model):
    """The table itself: each refusal's code is one of its operation's modeled errors, with
    the modeled HTTP status, and says where its wording comes from."""
    entries = [(op, r) for op, r in REFUSED_OPERATIONS.items()]
    entries += [(op, r) for (op, _), r in MEMBER_REFUSALS.items()]
    for operation, refusal in entries:
        modeled = {s.name: s.metadata.get("error", {}).get("httpStatusCode")
                   for s in model.operation_model(operation).error_shapes}
        assert modeled.get(refusal.code) == refusal.status, (operation, refusal)
        assert refusal.message and refusal.source, (operation, refusal)
    for operation, member in MEMBER_REFUSALS:
        assert (operation, member) in MEMBERS, (operation, member)
    stale = [k for k in MEMBERS if k[0] not in model.operation_names
             or k[1] not in model.operation_model(k[0]).input_shape.members]
    assert not stale, f"members the model no longer has: {stale}"
