"""Where the source database is, resolved once from a flag or the environment.

A frozen dataclass of plain values: transforms receive it (never the PipelineOptions
object), and it pickles to Beam workers without a live connection inside.
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
