"""Where the source and the target are, resolved once from flags and environment.

Frozen dataclasses of plain values: they are what transforms receive (never the
PipelineOptions object), and they pickle to Beam workers without a live client inside.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlparse

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/algoitny"
DEFAULT_TABLE = "algoitny_main"
LOCAL_REGION = "us-east-1"
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


class ConfigError(ValueError):
    """Configuration that cannot work; the message says what to set."""


@dataclass(frozen=True)
class MySQLConfig:
    url: str

    @classmethod
    def resolve(cls, url: str | None = None, env: Mapping[str, str] = os.environ) -> "MySQLConfig":
        chosen = url or env.get("MYSQL_URL") or DEFAULT_MYSQL_URL
        try:
            parsed = make_url(chosen)
        except ArgumentError:
            raise ConfigError(
                "MYSQL_URL/--mysql-url is not a SQLAlchemy URL; expected something like "
                "mysql+pymysql://user:password@host:3306/algoitny"
            ) from None
        if not parsed.database:
            raise ConfigError(f"the MySQL URL {mask_url(chosen)} names no database")
        return cls(chosen)

    @property
    def database(self) -> str:
        return make_url(self.url).database or ""

    def masked(self) -> str:
        return mask_url(self.url)

    def server_url(self) -> str:
        """The same server without a database, to create the database itself."""
        url = make_url(self.url)
        server = URL.create(url.drivername, url.username, url.password, url.host, url.port, None, url.query)
        return server.render_as_string(hide_password=False)

    def __repr__(self) -> str:  # never print the password, even by accident
        return f"MySQLConfig(url={self.masked()!r})"


def mask_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


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
