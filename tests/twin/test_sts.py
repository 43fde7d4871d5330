"""STS on the twin's port: boto3 and the aws CLI, query protocol, XML errors, one account id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import boto3
import pytest
from botocore.exceptions import ClientError
from twin_helpers import aws_env

from nova_toolkit.twin.config import ACCOUNT_ID

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


@pytest.fixture
def sts(twin):
    return boto3.client("sts", endpoint_url=twin.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def test_get_caller_identity_matches_the_twin_account(twin, sts):
    ident = sts.get_caller_identity()
    assert ident["Account"] == ACCOUNT_ID == "123456789012"
    # any access key is an IAM user of the twin's account, as AWS names one
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/twin-user"
    assert ident["UserId"].startswith("AIDA") and len(ident["UserId"]) == 21
    assert sts.get_caller_identity()["UserId"] == ident["UserId"]  # stable per key
    s3v = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    s3v.create_vector_bucket(vectorBucketName="acct-check")
    arn = s3v.get_vector_bucket(vectorBucketName="acct-check")["vectorBucket"]["vectorBucketArn"]
    assert arn.split(":")[4] == ident["Account"]


def test_assume_role_and_session_token(twin, sts):
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="workshop")["Credentials"]
    assert creds["AccessKeyId"] and creds["SessionToken"]
    assumed = boto3.client("sts", endpoint_url=twin.url, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    ident = assumed.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/workshop"
    assert sts.get_session_token()["Credentials"]["SessionToken"]


def _code(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_sts_errors_are_sts_xml(twin, sts):
    # client-side validation off: the twin must answer bad input itself, as STS does
    raw = boto3.client("sts", endpoint_url=twin.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=boto3.session.Config(parameter_validation=False))
    with pytest.raises(ClientError) as err:
        raw.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r")
    assert _code(err.value) == ("ValidationError", 400)
    assert err.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
        "constraint: Member must not be null")
    with pytest.raises(ClientError) as err:
        raw.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r", RoleSessionName="s",
                        DurationSeconds=10)
    assert _code(err.value) == ("ValidationError", 400)
    assert "greater than or equal to 900" in err.value.response["Error"]["Message"]

    # an unknown action over plain HTTP: XML, never JSON
    req = urllib.request.Request(twin.url + "/", data=b"Action=NoSuchThing&Version=2011-06-15",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(req)
    assert http.value.code == 400
    root = ElementTree.fromstring(http.value.read())
    assert root.tag == f"{NS}ErrorResponse"
    assert root.find(f"{NS}Error/{NS}Code").text == "InvalidAction"
    assert root.find(f"{NS}Error/{NS}Type").text == "Sender"


def test_unsigned_get_caller_identity_reaches_sts(twin):
    req = urllib.request.Request(twin.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req) as resp:
        root = ElementTree.fromstring(resp.read())
    assert root.find(f"{NS}GetCallerIdentityResult/{NS}Account").text == ACCOUNT_ID
    with urllib.request.urlopen(twin.url + "/?Action=GetCallerIdentity&Version=2011-06-15") as r:
        assert ElementTree.fromstring(r.read()).tag == f"{NS}GetCallerIdentityResponse"


AWS = Path(sys.executable).with_name("aws")


def test_aws_cli_get_caller_identity(twin):
    env = {**aws_env(twin.url), "PATH": os.environ.get("PATH", ""), "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    r = subprocess.run([str(AWS), "sts", "get-caller-identity", "--output", "json"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Account"] == ACCOUNT_ID
