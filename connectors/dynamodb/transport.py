"""DynamoDB API calls as SigV4-signed HTTP over a keep-alive connection pool (no Beam here).

Requests are signed by signing.py (SigV4 for this one request shape, held to botocore's signer
by a test) with the credentials botocore's chain resolves; botocore's per-request parameter
validation and type serialisation are skipped because the body was built from items validated
when they were encoded (wire.py). The exchange itself is http1.py's (a fifth of the CPU per
item urllib3 took). Reads and table management use boto3 (clients.py).
"""

from __future__ import annotations

import json
import zlib

import orjson
from botocore.credentials import Credentials

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.http1 import Http1Pool
from connectors.dynamodb.signing import DynamoDBSigner


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
        boto_client = clients.client(config)  # for the endpoint and credential chain boto3 resolves
        url = boto_client.meta.endpoint_url
        self._signer = DynamoDBSigner(url, config.region)
        local = clients.local_credentials(config)
        self._credentials = Credentials(local["aws_access_key_id"], local["aws_secret_access_key"]) if local \
            else boto3_credentials()
        self._pool = Http1Pool(url, max_connections, connect_timeout, read_timeout)
        boto_client.close()

    def call(self, operation: str, body: bytes) -> dict:
        credentials = self._credentials.get_frozen_credentials()  # refreshed by botocore when temporary
        headers = self._signer.headers(operation, body, credentials.access_key, credentials.secret_key,
                                       credentials.token)
        try:
            response = self._pool.post(self._signer.path, headers, body)
        except OSError as error:  # resets, refusals, timeouts, answers that are not HTTP
            raise DynamoDBError(type(error).__name__, str(error)) from None
        data = response.data
        expected_crc = response.headers.get("x-amz-crc32")
        if expected_crc is not None and int(expected_crc) != zlib.crc32(data):
            raise DynamoDBError("CRC32Mismatch", "the response was damaged in transit")
        if response.status != 200:
            raise DynamoDBError.from_response(response.status, data)
        return orjson.loads(data)

    def close(self) -> None:
        self._pool.close()


def boto3_credentials():
    credentials = clients.session_credentials()
    if credentials is None:
        raise DynamoDBError("NoCredentials", "no AWS credentials found (environment, profile or role)", 0)
    return credentials
