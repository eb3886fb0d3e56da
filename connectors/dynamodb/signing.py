"""SigV4 for the DynamoDB JSON API's one request shape, computed directly (no Beam, no boto3 here).

Every call the transport makes is a POST to the endpoint's path with the same four headers
(Content-Type, Host, X-Amz-Date, X-Amz-Target, and X-Amz-Security-Token with temporary
credentials), so the canonical request is a fixed template around the body's SHA-256, and the
signing key changes once a day. botocore's general signer re-derives all of it per request
(an AWSRequest, URL parsing, header maps, four HMACs): about a third of a write's client CPU
per item. tests/unit/test_signing.py holds this signer to botocore's, header for header.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlsplit

from botocore.utils import normalize_url_path

from connectors.dynamodb.http1 import host_of

ALGORITHM = "AWS4-HMAC-SHA256"
CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "DynamoDB_20120810."


def path_of(url: str) -> str:
    """The endpoint's path as SigV4 canonicalises it ("/" for a bare host)."""
    return quote(normalize_url_path(urlsplit(url).path), safe="/~")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


class DynamoDBSigner:
    """Signs DynamoDB API POSTs to one endpoint in one region. Thread-safe: the cached signing key
    is replaced whole, never changed in place."""

    def __init__(self, url: str, region: str, service: str = "dynamodb"):
        self.path = path_of(url)
        self._host = host_of(url)  # the Host header http1 sends
        self._region = region
        self._service = service
        self._key = ("", "", b"")  # (secret, day, signing key) of the last request

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached_secret, cached_day, key = self._key
        if cached_secret != secret or cached_day != day:
            key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode("utf-8"), day), self._region), self._service),
                        "aws4_request")
            self._key = (secret, day, key)
        return key

    def headers(self, operation: str, body: bytes, access_key: str, secret_key: str, token: str | None = None,
                now: float | None = None) -> dict[str, str]:
        """The headers of a signed call of `operation` with `body` (Host is sent by the HTTP client)."""
        timestamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
        day = timestamp[:8]
        target = TARGET_PREFIX + operation
        signed = "content-type;host;x-amz-date;x-amz-target"
        canonical_headers = (f"content-type:{CONTENT_TYPE}\nhost:{self._host}\nx-amz-date:{timestamp}\n"
                             f"x-amz-target:{target}\n")
        if token:
            signed = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
            canonical_headers = (f"content-type:{CONTENT_TYPE}\nhost:{self._host}\nx-amz-date:{timestamp}\n"
                                 f"x-amz-security-token:{' '.join(token.split())}\nx-amz-target:{target}\n")
        canonical_request = (f"POST\n{self.path}\n\n{canonical_headers}\n{signed}\n"
                             f"{hashlib.sha256(body).hexdigest()}")
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        string_to_sign = (f"{ALGORITHM}\n{timestamp}\n{scope}\n"
                          f"{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}")
        signature = hmac.new(self._signing_key(secret_key, day), string_to_sign.encode("utf-8"),
                             hashlib.sha256).hexdigest()
        headers = {"X-Amz-Target": target, "Content-Type": CONTENT_TYPE, "X-Amz-Date": timestamp,
                   "Authorization": f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, "
                                    f"Signature={signature}"}
        if token:
            headers["X-Amz-Security-Token"] = token
        return headers
