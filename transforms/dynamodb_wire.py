"""DynamoDB JSON built once per item, and BatchWriteItem sent as signed HTTP (no Beam here).

The write path's client CPU per item is what limits a load against DynamoDB Local (and costs
money on AWS workers), so items are serialised to their DynamoDB JSON text once, when they
are encoded, and a batch's request body is a join of those texts. Requests are signed with
botocore's own SigV4 signer and credentials and sent over urllib3's connection pool;
botocore's per-request parameter validation and type serialisation are skipped because the
items were validated when encoded. Reads, table management and verify keep using boto3.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from decimal import Decimal

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from connections import dynamodb
from connections.config import DynamoDBConfig
from schema.item_size import item_size, write_units

MAX_REQUEST_BYTES = 16 * 1024 * 1024
TARGET_PREFIX = "DynamoDB_20120810."


_PUT_OPEN, _PUT_CLOSE = b'{"PutRequest":{"Item":', b"}}"


@dataclass(frozen=True)
class EncodedItem:
    """An item ready to send: its keys (to batch and match UnprocessedItems), its type, its
    DynamoDB JSON as UTF-8 bytes (encoded once; requests are joins of them), and the write
    units one put of it costs."""

    pk: str
    sk: str
    tp: str
    json: bytes
    write_units: int

    @property
    def request_bytes(self) -> int:
        return len(self.json) + len(_PUT_OPEN) + len(_PUT_CLOSE) + 1  # and the comma between puts


def encode_item(item: dict, size: int | None = None) -> EncodedItem:
    """A Python-valued item -> EncodedItem; `size`: its DynamoDB size when already computed.
    TypeError/ValueError for what DynamoDB cannot store (a float NaN, an empty set...)."""
    return EncodedItem(item["PK"], item["SK"], item["tp"], item_json(item),
                       write_units(item_size(item) if size is None else size))


def attribute_value(value: object) -> dict:
    """A Python item value -> its DynamoDB JSON attribute value (the low-level wire form)."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is Decimal:
        if kind is Decimal and not value.is_finite():
            raise ValueError(f"{value} is not a number DynamoDB can store")
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if kind is dict:
        return {"M": {str(k): attribute_value(v) for k, v in value.items()}}
    if kind is list or kind is tuple:
        return {"L": [attribute_value(v) for v in value]}
    if kind is bytes or kind is bytearray:
        return {"B": base64.b64encode(value).decode("ascii")}
    if kind is set or kind is frozenset:
        if not value:
            raise ValueError("DynamoDB has no empty sets")
        members = list(value)
        if all(type(m) is str for m in members):
            return {"SS": members}
        if all(type(m) in (int, Decimal) for m in members):
            return {"NS": [str(m) for m in members]}
        if all(type(m) in (bytes, bytearray) for m in members):
            return {"BS": [base64.b64encode(m).decode("ascii") for m in members]}
        raise TypeError("a set must hold only strings, only numbers or only binary")
    if hasattr(value, "value") and type(value).__name__ == "Binary":  # boto3.dynamodb.types.Binary
        return attribute_value(bytes(value.value))
    raise TypeError(f"{kind.__name__} is not a DynamoDB type")


def item_json(item: dict) -> bytes:
    return json.dumps({name: attribute_value(value) for name, value in item.items()},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def batch_write_body(table: str, items: list[EncodedItem], consumed_capacity: bool = True) -> bytes:
    puts = b",".join(_PUT_OPEN + item.json + _PUT_CLOSE for item in items)
    tail = b',"ReturnConsumedCapacity":"TOTAL"' if consumed_capacity else b""
    return b'{"RequestItems":{' + json.dumps(table).encode("utf-8") + b":[" + puts + b"]}" + tail + b"}"


class DynamoDBError(Exception):
    """An error answer or a failed exchange; `retryable` says whether trying again may work."""

    THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                                "RequestLimitExceeded"})
    RETRYABLE_CODES = THROTTLE_CODES | {"InternalServerError", "ServiceUnavailable"}

    def __init__(self, code: str, message: str, status: int | None = None, throttle: bool = False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status
        self.throttle = throttle
        self.retryable = code in self.RETRYABLE_CODES or status is None or status >= 500

    @classmethod
    def from_response(cls, status: int, body: bytes) -> "DynamoDBError":
        try:
            answer = json.loads(body)
            code = str(answer.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP{status}"
            message = answer.get("message") or answer.get("Message") or ""
        except ValueError:
            code, message = f"HTTP{status}", body[:200].decode("utf-8", "replace")
        return cls(code, message, status, code in cls.THROTTLE_CODES)


class SignedHttpClient:
    """POSTs DynamoDB API calls, signed, over a keep-alive connection pool. Thread-safe."""

    def __init__(self, config: DynamoDBConfig, max_connections: int = 10, connect_timeout: float = 5,
                 read_timeout: float = 30):
        boto_client = dynamodb.client(config)  # for the endpoint and credential chain boto3 resolves
        self._url = boto_client.meta.endpoint_url
        self._region = config.region
        local = dynamodb.local_credentials(config)
        self._credentials = Credentials(local["aws_access_key_id"], local["aws_secret_access_key"]) if local \
            else boto3_credentials()
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=max_connections, block=True, retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))
        boto_client.close()

    def call(self, operation: str, body: bytes) -> dict:
        headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": "application/x-amz-json-1.0"}
        request = AWSRequest(method="POST", url=self._url, data=body, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), "dynamodb", self._region).add_auth(request)
        try:
            response = self._pool.request("POST", self._url, body=body, headers=dict(request.headers.items()),
                                          preload_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as error:  # resets, refusals, timeouts
            raise DynamoDBError(type(error).__name__, str(error)) from None
        data = response.data
        expected_crc = response.headers.get("x-amz-crc32")
        if expected_crc is not None and int(expected_crc) != zlib.crc32(data):
            raise DynamoDBError("CRC32Mismatch", "the response was damaged in transit")
        if response.status != 200:
            raise DynamoDBError.from_response(response.status, data)
        return json.loads(data)

    def close(self) -> None:
        self._pool.clear()


def boto3_credentials():
    credentials = boto3.session.Session().get_credentials()
    if credentials is None:
        raise DynamoDBError("NoCredentials", "no AWS credentials found (environment, profile or role)", 0)
    return credentials
