"""The twin is a server on a developer's machine: what web pages and hostile clients get.

Every request here is a real HTTP request on a real socket: the headers a browser sends for a
page's ``no-cors`` POST, a DNS-rebinding ``Host``, bodies declared larger than AWS allows,
JSON nested to blow a recursive parser, half-sent requests; boto3 is the control that must
keep working throughout.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from twin_helpers import start_twin

from nova_toolkit.twin.guard import BODY_LIMITS, MAX_JSON_DEPTH
from nova_toolkit.vectors.validation import check_bucket_name, check_index_name

#: What Chromium sends with a page's fetch(url, {method: "POST", mode: "no-cors"}).
BROWSER = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site",
           "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty",
           "Content-Type": "text/plain;charset=UTF-8"}


def client(twin, service: str, **config):
    return boto3.client(service, endpoint_url=twin.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, **config))


def error_of(response: requests.Response) -> tuple[int, str]:
    """(status, AWS error code) of a rest-json or XML error answer."""
    code = response.headers.get("x-amzn-ErrorType", "")
    if not code and "<Code>" in response.text:
        code = response.text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    return response.status_code, code


def test_a_web_pages_no_cors_posts_change_nothing(twin):
    s3v, s3 = client(twin, "s3vectors"), client(twin, "s3")
    s3v.create_vector_bucket(vectorBucketName="keep")
    s3.create_bucket(Bucket="photos")
    made = requests.post(f"{twin.url}/CreateVectorBucket", headers=BROWSER,
                         data=json.dumps({"vectorBucketName": "evil"}))
    gone = requests.post(f"{twin.url}/DeleteVectorBucket", headers=BROWSER,
                         data=json.dumps({"vectorBucketName": "keep"}))
    s3_gone = requests.delete(f"{twin.url}/photos", headers=BROWSER)
    bedrock = requests.post(f"{twin.url}/model/amazon.nova-2-multimodal-embeddings-v1:0/invoke",
                            headers=BROWSER, data="{}")
    preflight = requests.options(f"{twin.url}/CreateVectorBucket", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    for r in (made, gone, bedrock, preflight):
        assert error_of(r) == (403, "AccessDeniedException"), r.text
        assert "Access-Control-Allow-Origin" not in r.headers
    assert s3_gone.status_code == 403 and "AccessDenied" in s3_gone.text
    names = [b["vectorBucketName"] for b in s3v.list_vector_buckets()["vectorBuckets"]]
    assert names == ["keep"]
    # moto's S3 state is per process, shared by every twin of the run: photos is still there
    assert "photos" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_signed_requests_and_presigned_reads_from_a_page_still_work(twin):
    s3 = client(twin, "s3")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="cat.txt", Body=b"a cat")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "media", "Key": "cat.txt"})
    # an <img src=presigned> on a page: a browser GET with the signature in the query
    r = requests.get(url, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
                                   "Sec-Fetch-Dest": "image", "Origin": "http://docs.example"})
    assert r.status_code == 200 and r.content == b"a cat"
    # the same presigned signature cannot carry a mutating call
    put = requests.put(url, headers=BROWSER, data=b"overwritten")
    assert put.status_code == 403
    assert s3.get_object(Bucket="media", Key="cat.txt")["Body"].read() == b"a cat"


def test_a_rebinding_host_is_refused_and_allowed_hosts_are_served(tmp_path):
    twin = start_twin(tmp_path, allowed_hosts=("twin.internal",))
    try:
        port = twin.port
        for host, status in ((f"evil.example:{port}", 403), (f"localhost:{port}", 200),
                             (f"api.localhost:{port}", 200), (f"[::1]:{port}", 200),
                             (f"twin.internal:{port}", 200), (f"127.0.0.1:{port}", 200)):
            r = requests.post(f"{twin.url}/ListVectorBuckets", data="{}",
                              headers={"Host": host, "Content-Type": "application/json"})
            assert r.status_code == status, (host, r.text)
        assert "loopback hosts only" in r.text or r.status_code == 200
    finally:
        twin.stop()


def raw_request(twin, head: str, body: bytes = b"", timeout: float = 10.0) -> bytes:
    with socket.create_connection((twin.host, twin.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_a_body_larger_than_the_service_allows_is_refused_before_it_is_sent(twin):
    for path, service in (("/CreateVectorBucket", "s3vectors"),
                          ("/model/amazon.nova-2-multimodal-embeddings-v1:0/invoke",
                           "bedrock-runtime")):
        declared = BODY_LIMITS[service] + 1
        # only the headers go out: the answer comes without the server waiting for the body
        answer = raw_request(twin, f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   f"Content-Type: application/json\r\n"
                                   f"Content-Length: {declared}\r\n")
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"ValidationException" in answer and str(declared).encode() in answer
    too_big = raw_request(twin, f"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                f"Content-Length: {BODY_LIMITS['s3'] + 1}\r\n")
    assert too_big.startswith(b"HTTP/1.1 400") and b"EntityTooLarge" in too_big


def test_a_post_without_a_length_is_an_empty_body_not_a_wait(twin):
    answer = raw_request(twin, "POST /ListVectorBuckets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Connection: close\r\n", timeout=5)
    assert answer.startswith(b"HTTP/1.1 200") and b"vectorBuckets" in answer


def test_a_chunked_body_over_the_limit_is_cut_off(twin):
    conn = http.client.HTTPConnection(twin.host, twin.port, timeout=30)
    chunk = b"[" * (1024 * 1024)
    body = iter([chunk] * (BODY_LIMITS["s3vectors"] // len(chunk) + 2))
    conn.request("POST", "/ListVectorBuckets", body=body, encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 413 and r.getheader("x-amzn-ErrorType") == "ValidationException"


@pytest.mark.parametrize("body, words", [
    (b"[" * 200_000 + b"]" * 200_000, f"deeper than {MAX_JSON_DEPTH}"),
    (b'{"a": ' * 100 + b"1" + b"}" * 100, f"deeper than {MAX_JSON_DEPTH}"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"text"', "must be a JSON object"),
    (b"{not json", "not valid JSON"),
])
def test_malformed_json_gets_the_aws_error_shape_not_a_500(twin, body, words):
    for path in ("/ListVectorBuckets",
                 "/model/amazon.nova-2-multimodal-embeddings-v1:0/invoke"):
        r = requests.post(f"{twin.url}{path}", data=body,
                          headers={"Content-Type": "application/json"})
        assert error_of(r) == (400, "ValidationException"), (path, r.status_code, r.text[:200])
        assert words in r.json()["message"]


def test_idle_and_half_sent_connections_are_closed_and_others_served(tmp_path):
    twin = start_twin(tmp_path, idle_timeout_s=1.0)
    stalled = []
    try:
        for _ in range(300):  # requests that never finish their headers
            sock = socket.create_connection((twin.host, twin.port), timeout=10)
            sock.sendall(b"POST /ListVectorBuckets HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            stalled.append(sock)
        s3v = client(twin, "s3vectors", connect_timeout=10, read_timeout=10)
        assert s3v.list_vector_buckets()["vectorBuckets"] == []  # served meanwhile
        closed = 0
        for sock in stalled:  # the twin hangs up on each (recv sees EOF or a reset)
            try:
                closed += sock.recv(1) == b""
            except ConnectionResetError:
                closed += 1
        assert closed == len(stalled)
    finally:
        for sock in stalled:
            sock.close()
        twin.stop()


def test_verbose_logs_redact_presigned_credentials(tmp_path, caplog):
    twin = start_twin(tmp_path, quiet=False)
    try:
        s3 = boto3.client("s3", endpoint_url=twin.url, region_name="us-east-1",
                          aws_access_key_id="AKIDSECRETLOOKING", aws_secret_access_key="x",
                          aws_session_token="SESSIONTOKENVALUE")
        s3.create_bucket(Bucket="logs")
        url = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "logs"})
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            assert requests.get(url).status_code == 200
            time.sleep(0.2)  # the handler logs after answering
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "AWSAccessKeyId=REDACTED" in logged and "Signature=REDACTED" in logged
        for secret in ("AKIDSECRETLOOKING", "SESSIONTOKENVALUE", url.split("Signature=")[1]):
            assert secret not in logged
    finally:
        twin.stop()


@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", "\nabc"])
def test_names_with_a_newline_are_refused_everywhere(twin, name):
    with pytest.raises(Exception, match="Invalid"):
        check_bucket_name(name)
    with pytest.raises(Exception, match="Invalid"):
        check_index_name(name)
    with pytest.raises(ClientError) as info:
        client(twin, "s3vectors").create_vector_bucket(vectorBucketName=name)
    assert info.value.response["Error"]["Code"] == "ValidationException"
