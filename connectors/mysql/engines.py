"""SQLAlchemy engines for the source database. Called in DoFn.setup(), never at construction.

With PyMySQL, DATETIME and TIMESTAMP values are parsed by `datetime.fromisoformat` (C) where
MySQL's text has the two shapes it prints (no fraction, or six digits), and by PyMySQL's own
converter otherwise (zero dates, other fractions): the same values, for a tenth of the CPU of
PyMySQL's regular expression and int() per field, on every row a migration reads.
"""

from __future__ import annotations

import datetime as _dt

import sqlalchemy as sa
from pymysql import converters
from pymysql.constants import FIELD_TYPE

from connectors.mysql.config import MySQLConfig


def datetime_value(value: str | bytes):
    """A DATETIME/TIMESTAMP field's text -> what PyMySQL's converter gives (a datetime, or the text)."""
    text = value.decode("ascii") if isinstance(value, (bytes, bytearray)) else value
    if len(text) in (19, 26):
        try:
            return _dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    return converters.convert_datetime(value)


_CONVERSIONS = {**converters.conversions, FIELD_TYPE.DATETIME: datetime_value, FIELD_TYPE.TIMESTAMP: datetime_value}


def engine(config: MySQLConfig, *, pool_size: int = 2) -> sa.Engine:
    url = config.connect_url()
    pymysql = url.get_driver_name() == "pymysql"
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=3600,
        hide_parameters=True,
        connect_args={"conv": dict(_CONVERSIONS)} if pymysql else {},
    )


def server_engine(config: MySQLConfig) -> sa.Engine:
    """An engine on the server without selecting the database (to create it)."""
    return sa.create_engine(config.server_url(), poolclass=sa.pool.NullPool, hide_parameters=True)
