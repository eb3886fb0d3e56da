"""Where the source database is, resolved once from a flag or the environment.

A frozen dataclass of plain values: transforms receive it (never the PipelineOptions
object), and it pickles to Beam workers without a live connection inside.

The password need not be in the URL, and on a distributed runner it should not be (the URL
travels inside the pipeline): `connect_url()` finds it where the connection is made, in a
worker's setup(), from that process's own environment: MYSQL_PASSWORD, else the file named
by MYSQL_PASSWORD_FILE, else the AWS Secrets Manager secret named by --mysql-password-secret /
MYSQL_PASSWORD_SECRET (a plain string, or JSON with a "password" field as RDS keeps it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from connectors.errors import ConfigError

DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/algoitny"


@dataclass(frozen=True)
class MySQLConfig:
    url: str
    password_secret: str | None = None  # an AWS Secrets Manager secret id, read where connections are made

    @classmethod
    def resolve(cls, url: str | None = None, env: Mapping[str, str] = os.environ,
                password_secret: str | None = None) -> "MySQLConfig":
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
        return cls(chosen, password_secret or env.get("MYSQL_PASSWORD_SECRET") or None)

    @property
    def has_password(self) -> bool:
        return make_url(self.url).password is not None

    def connect_url(self, env: Mapping[str, str] = os.environ) -> URL:
        """The URL with its password, as this process finds it (see the module's docstring)."""
        url = make_url(self.url)
        if url.password is not None:
            return url
        password = env.get("MYSQL_PASSWORD")
        if password is None and env.get("MYSQL_PASSWORD_FILE"):
            with open(env["MYSQL_PASSWORD_FILE"], encoding="utf-8") as handle:
                password = handle.read().rstrip("\n")
        if password is None and self.password_secret:
            password = secret_password(self.password_secret)
        return url if password is None else url.set(password=password)

    @property
    def database(self) -> str:
        return make_url(self.url).database or ""

    def masked(self) -> str:
        return mask_url(self.url)

    def server_url(self) -> str:
        """The same server without a database, to create the database itself."""
        url = self.connect_url()
        server = URL.create(url.drivername, url.username, url.password, url.host, url.port, None, url.query)
        return server.render_as_string(hide_password=False)

    def __repr__(self) -> str:  # never print the password, even by accident
        return f"MySQLConfig(url={self.masked()!r})"


def secret_password(secret_id: str) -> str:
    """The password kept in an AWS Secrets Manager secret (plain, or JSON with "password")."""
    import json

    import boto3

    text = boto3.session.Session().client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        found = json.loads(text)
    except ValueError:
        return text
    return str(found["password"]) if isinstance(found, dict) and "password" in found else text


def mask_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"
