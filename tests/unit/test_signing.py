"""The transport's SigV4 signer gives, header for header, what botocore's SigV4Auth gives."""

from __future__ import annotations

import datetime as _dt

import pytest
from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from connectors.dynamodb.http1 import host_of
from connectors.dynamodb.signing import DynamoDBSigner

MOMENT = _dt.datetime(2026, 11, 27, 23, 59, 58, tzinfo=_dt.timezone.utc)


def botocore_headers(url, region, operation, body, credentials, monkeypatch) -> dict:
    monkeypatch.setattr(auth, "get_current_datetime", lambda: MOMENT.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body, headers={
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"})
    auth.SigV4Auth(credentials, "dynamodb", region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("url, region", [
    ("http://127.0.0.1:8100", "us-east-1"),
    ("http://localhost:8000/", "eu-west-1"),
    ("https://dynamodb.ap-northeast-2.amazonaws.com", "ap-northeast-2"),
    ("https://dynamodb.us-east-1.amazonaws.com:443", "us-east-1"),
    ("http://[::1]:8000", "us-east-1"),
])
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE  session token"])
def test_headers_match_botocore(url, region, token, monkeypatch):
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    body = '{"RequestItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"é#1"}}}}]}}'.encode("utf-8")
    signer = DynamoDBSigner(url, region)
    for operation in ("BatchWriteItem", "Scan", "BatchWriteItem"):  # the cached key is reused
        ours = signer.headers(operation, body, credentials.access_key, credentials.secret_key, credentials.token,
                              now=MOMENT.timestamp())
        assert ours == botocore_headers(url, region, operation, body, credentials, monkeypatch)


def test_signing_key_follows_the_day_and_the_secret():
    signer = DynamoDBSigner("http://127.0.0.1:8000", "us-east-1")
    first = signer.headers("Scan", b"{}", "AKID", "secret", now=MOMENT.timestamp())["Authorization"]
    next_day = signer.headers("Scan", b"{}", "AKID", "secret", now=MOMENT.timestamp() + 2)["Authorization"]
    rotated = signer.headers("Scan", b"{}", "AKID", "other", now=MOMENT.timestamp() + 2)["Authorization"]
    assert "20261127/us-east-1" in first and "20261128/us-east-1" in next_day
    assert len({first.rsplit("=", 1)[1], next_day.rsplit("=", 1)[1], rotated.rsplit("=", 1)[1]}) == 3


def test_host_leaves_out_default_ports():
    assert host_of("https://DynamoDB.us-east-1.amazonaws.com:443/") == "dynamodb.us-east-1.amazonaws.com"
    assert host_of("http://127.0.0.1:8100") == "127.0.0.1:8100"
