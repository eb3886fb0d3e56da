"""Where the source's binary log stands, and how far a checkpoint is behind it (no Beam here):
what cutover, rollback, deep verify and status ask of the server without reading the log; and
the window between two positions that one sync run reads."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from connectors.mysql.binlog import BinlogPosition, check_server, current_position
from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine


@dataclass(frozen=True)
class BinlogWindow:
    """What one sync run reads: the source tables' changes between two binlog positions."""

    start: BinlogPosition
    end: BinlogPosition
    tables: frozenset[str]


def position_now(config: MySQLConfig) -> BinlogPosition:
    """Where the source's binary log stands now; BinlogUnavailable (saying why) where sync could
    not read it."""
    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            check_server(conn)
            return current_position(conn)
    finally:
        engine.dispose()


def bytes_behind(conn: sa.Connection, position: BinlogPosition) -> int | None:
    """Bytes of binary log after `position` (None: its log is purged)."""
    logs = {str(row[0]): int(row[1]) for row in conn.exec_driver_sql("SHOW BINARY LOGS")}
    if position.file not in logs:
        return None
    return sum(size for name, size in logs.items() if BinlogPosition(name, 0).order() > position.order()) + \
        max(0, logs[position.file] - position.pos)
