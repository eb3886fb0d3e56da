"""SQLAlchemy engines for the source database. Called in DoFn.setup(), never at construction."""

from __future__ import annotations

import sqlalchemy as sa

from connectors.mysql.config import MySQLConfig


def engine(config: MySQLConfig, *, pool_size: int = 2) -> sa.Engine:
    return sa.create_engine(
        config.connect_url(),
        pool_size=pool_size,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=3600,
        hide_parameters=True,
    )


def server_engine(config: MySQLConfig) -> sa.Engine:
    """An engine on the server without selecting the database (to create it)."""
    return sa.create_engine(config.server_url(), poolclass=sa.pool.NullPool, hide_parameters=True)
