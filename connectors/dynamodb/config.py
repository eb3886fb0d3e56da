"""Where the target table is, resolved once from flags and environment.

A frozen dataclass of plain values: transforms receive it (never the PipelineOptions
object), and it pickles to Beam workers without a live client inside.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlparse

from connectors.errors import ConfigError

DEFAULT_TABLE = "algoitny_main"
LOCAL_REGION = "us-east-1"
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


@dataclass(frozen=True)
class DynamoDBConfig:
    table: str = DEFAULT_TABLE
    endpoint_url: str | None = None
    region: str = LOCAL_REGION

    @classmethod
    def resolve(
        cls,
        endpoint_url: str | None = None,
        table: str | None = None,
        region: str | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> "DynamoDBConfig":
        endpoint = endpoint_url or env.get("DYNAMODB_ENDPOINT_URL") or env.get("LOCALSTACK_URL") or None
        if endpoint:
            parsed = urlparse(endpoint)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"DynamoDB endpoint {endpoint!r} is not an http(s) URL")
        chosen_region = region or env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
        if not chosen_region:
            if endpoint is None:
                raise ConfigError(
                    "no AWS region: set AWS_DEFAULT_REGION (or DYNAMODB_ENDPOINT_URL for DynamoDB Local/LocalStack)"
                )
            chosen_region = LOCAL_REGION
        name = table or env.get("DYNAMODB_TABLE") or DEFAULT_TABLE
        if not TABLE_NAME.fullmatch(name):
            raise ConfigError(f"table name {name!r} is not valid: 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'")
        return cls(table=name, endpoint_url=endpoint, region=chosen_region)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def describe(self) -> str:
        where = self.endpoint_url if self.endpoint_url else f"AWS {self.region}"
        return f"table {self.table} at {where}"
