"""The source's binary log, read for one bounded window (no Beam here).

A sync run reads from a checkpoint to the server's position at the start of the run, with the
`mysql-replication` package (pymysqlreplication: the replication protocol in pure Python on
PyMySQL; MySQL 8 and MariaDB). What it relies on, and checks before reading:
- `log_bin` ON, `binlog_format=ROW`, `binlog_row_image=FULL` (every change carries the whole
  row before and after) and `binlog_row_metadata=FULL` (events carry column names);
- REPLICATION SLAVE (to read the log) and BINLOG MONITOR / REPLICATION CLIENT (to see positions);
- the checkpoint's file still on the server (not purged).

Positions are (file, offset) pairs; the window's end comes from SHOW MASTER STATUS and so lies
on a transaction boundary. The reader is started by file and offset (`resume_stream=True`,
`is_mariadb=False`: with True and no GTID the library ignores the position and starts at the
first log), stops by itself at the end of the log (`blocking=False`), and is stopped at the
window's end, since the server goes on writing. The GTID is recorded beside the position where
the server has one, for people reading checkpoints after a fail-over. `freeze_schema` keeps a
table's decoded columns for as long as its table id lives (an ALTER gives the table a new id;
the library forgets every id at each log rotation, which a server restart causes): three
times faster than decoding every table map again, and still right across ALTERs.

Row values are made equal to what a SELECT through PyMySQL returns (the migration maps SELECT
rows): the same column types come back the same, except FLOAT (the binlog has the full single
precision), BIT (a bit string), SET (a Python set; an empty one None), zero dates (None) and
negative fractional TIME (decoded wrongly by the library); `_normalized` mends those.
"""

from __future__ import annotations

import datetime as _dt
import random
import re
from dataclasses import dataclass
from typing import Iterator

import pymysql
import sqlalchemy as sa

from connectors.errors import RunStopped
from connectors.mysql.config import MySQLConfig

ROW_EVENT_KINDS = {"WriteRowsEvent": "insert", "UpdateRowsEvent": "update", "DeleteRowsEvent": "delete"}
_DDL = re.compile(r"^\s*(?:/\*.*?\*/\s*)*(ALTER|RENAME|DROP|TRUNCATE|CREATE)\b", re.IGNORECASE | re.DOTALL)


class BinlogUnavailable(RunStopped):
    """The binary log cannot be read as sync needs it; the message says how to fix that."""


@dataclass(frozen=True)
class BinlogPosition:
    file: str
    pos: int
    gtid: str | None = None

    def order(self) -> tuple[int, int]:
        """Comparable: by the file's number (binlog.000009 < binlog.000010), then the offset."""
        return int(self.file.rpartition(".")[2]), int(self.pos)

    def as_record(self) -> dict:
        record = {"file": self.file, "pos": self.pos}
        if self.gtid:
            record["gtid"] = self.gtid
        return record

    @classmethod
    def from_record(cls, record: dict) -> "BinlogPosition":
        return cls(str(record["file"]), int(record["pos"]), record.get("gtid") or None)

    def __str__(self) -> str:
        return f"{self.file}:{self.pos}" + (f" (GTID {self.gtid})" if self.gtid else "")


@dataclass(frozen=True)
class RowChange:
    """One row's change, in binlog order (`seq`), with the end position of its event."""

    seq: int
    table: str
    kind: str  # insert, update, delete
    before: dict | None
    after: dict | None
    position: BinlogPosition
    commit_time: int


@dataclass(frozen=True)
class SchemaChange:
    """A DDL statement on a table of the window, at `position`."""

    seq: int
    table: str
    statement: str
    position: BinlogPosition


REQUIRED_SETTINGS = (
    ("log_bin", "1", "the binary log is off; start the server with --log-bin"),
    ("binlog_format", "ROW", "binlog_format is {value}; sync needs ROW (--binlog-format=ROW)"),
    ("binlog_row_image", "FULL", "binlog_row_image is {value}; sync needs FULL (--binlog-row-image=FULL): "
                                 "every change must carry the whole row"),
    ("binlog_row_metadata", "FULL", "binlog_row_metadata is {value}; sync needs FULL (--binlog-row-metadata=FULL, "
                                    "MySQL 8.0.1+ / MariaDB 10.5+): without it events carry no column names"),
)


def _variable(conn: sa.Connection, name: str) -> str | None:
    row = conn.exec_driver_sql(f"SHOW GLOBAL VARIABLES LIKE '{name}'").first()
    return None if row is None else str(row[1])


def check_server(conn: sa.Connection) -> None:
    """Refuse a server whose binary log sync cannot read, saying what to change."""
    for name, wanted, problem in REQUIRED_SETTINGS:
        value = _variable(conn, name)
        if value is None:
            raise BinlogUnavailable(f"the server has no {name} setting (it is older than MySQL 8.0.1 / MariaDB "
                                    "10.5); sync needs binlog_row_metadata=FULL")
        if value.upper() not in (wanted, "ON" if wanted == "1" else wanted):
            raise BinlogUnavailable(problem.format(value=value))
    grants = " ".join(str(row[0]) for row in conn.exec_driver_sql("SHOW GRANTS FOR CURRENT_USER()")).upper()
    if not any(g in grants for g in ("ALL PRIVILEGES ON *.*", "REPLICATION SLAVE", "REPLICATION REPLICA")):
        raise BinlogUnavailable("the MySQL user lacks REPLICATION SLAVE; grant it: GRANT REPLICATION SLAVE, "
                                "REPLICATION CLIENT ON *.* TO '<user>'@'<host>' (BINLOG MONITOR on MariaDB 10.5+)")


def current_position(conn: sa.Connection) -> BinlogPosition:
    """Where the server's binary log ends now (a transaction boundary), with its GTID if it has one."""
    try:
        row = conn.exec_driver_sql("SHOW MASTER STATUS").first()
    except sa.exc.ProgrammingError:  # MySQL 8.4 renamed it
        row = conn.exec_driver_sql("SHOW BINARY LOG STATUS").first()
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "args", (None,))[0] == 1227:
            raise BinlogUnavailable("the MySQL user may not see binary log positions; grant REPLICATION CLIENT "
                                    "(BINLOG MONITOR on MariaDB 10.5+)") from None
        raise
    if row is None:
        raise BinlogUnavailable("SHOW MASTER STATUS is empty: the binary log is off (start the server with --log-bin)")
    return BinlogPosition(str(row[0]), int(row[1]), _gtid(conn))


def _gtid(conn: sa.Connection) -> str | None:
    version = str(conn.exec_driver_sql("SELECT VERSION()").scalar())
    if "mariadb" in version.lower():
        return str(conn.exec_driver_sql("SELECT @@gtid_binlog_pos").scalar() or "") or None
    if (_variable(conn, "gtid_mode") or "OFF").upper() == "ON":
        return str(conn.exec_driver_sql("SELECT @@gtid_executed").scalar() or "").replace("\n", "") or None
    return None


def start_marks(config: MySQLConfig, tables: list[tuple[str, str, bool]]) -> tuple[dict | None, dict, str | None]:
    """Where a migration starts, for the sync that follows it, taken before any row is read:
    (binlog position record or None, {table: watermark}, why there is no position).

    `tables`: (table, key column, key is an integer). A watermark is the server's UTC time now
    (whole seconds) and, for integer keys, the highest key now.
    """
    from connectors.mysql.engines import engine as make_engine

    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            since = int(conn.exec_driver_sql("SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP())").scalar())
            watermarks = {}
            for table, key, integer in tables:
                max_id = conn.exec_driver_sql(f"SELECT MAX(`{key}`) FROM `{table}`").scalar() if integer else None
                watermarks[table] = {"since": since, "max_id": int(max_id) if max_id is not None else None}
            try:
                check_server(conn)
                return current_position(conn).as_record(), watermarks, None
            except BinlogUnavailable as reason:
                return None, watermarks, str(reason)
    finally:
        engine.dispose()


def check_not_purged(conn: sa.Connection, position: BinlogPosition) -> None:
    """The log holding `position` is still on the server, and long enough."""
    logs = {str(row[0]): int(row[1]) for row in conn.exec_driver_sql("SHOW BINARY LOGS")}
    if position.file not in logs:
        oldest = min(logs, key=lambda f: BinlogPosition(f, 0).order()) if logs else "none"
        raise BinlogUnavailable(
            f"the checkpoint {position} is in a binary log the server no longer has (the oldest is {oldest}). Run "
            "`algoitny-etl verify --deep --repair` for these tables (a clean full repair re-seats the checkpoint; "
            "or migrate them again), then sync; keep binary logs longer (binlog_expire_logs_seconds)")
    if position.pos > logs[position.file]:
        raise BinlogUnavailable(f"the checkpoint {position} lies past the end of {position.file} "
                                f"({logs[position.file]} bytes): it is not a position of this server's log")


def connection_settings(config: MySQLConfig) -> dict:
    url = config.connect_url()
    return {"host": url.host or "127.0.0.1", "port": url.port or 3306, "user": url.username or "root",
            "password": url.password or "", "charset": "utf8mb4"}


def read_window(config: MySQLConfig, start: BinlogPosition, end: BinlogPosition,
                tables: frozenset[str]) -> Iterator[RowChange | SchemaChange]:
    """Every row change of `tables` in the source database between `start` and `end`, in order,
    and every DDL statement on them (which the caller refuses or checks)."""
    if start.order() >= end.order():
        return
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.event import QueryEvent, XidEvent
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    database = config.database
    stream = BinLogStreamReader(
        connection_settings=connection_settings(config), server_id=random.randint(1 << 30, (1 << 31) - 1),
        log_file=start.file, log_pos=start.pos, resume_stream=True, blocking=False, is_mariadb=False,
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, QueryEvent, XidEvent],
        only_schemas=[database], enable_logging=False, freeze_schema=True)
    stop, seq = end.order(), 0
    try:
        for event in stream:
            position = BinlogPosition(stream.log_file, int(event.packet.log_pos))
            if position.order() > stop:
                return  # committed after the window's end: the next run's
            kind = ROW_EVENT_KINDS.get(type(event).__name__)
            if kind is not None:
                if event.table not in tables:
                    continue
                for row in event.rows:
                    seq += 1
                    yield RowChange(seq, event.table, kind, _image(row, "before", event) if kind != "insert" else None,
                                    _image(row, "after", event) if kind != "delete" else None,
                                    position, int(event.timestamp))
            elif isinstance(event, QueryEvent):
                statement = _text(event.query)
                if _DDL.match(statement):
                    for table in ddl_targets(statement, _text(event.schema), database, tables):
                        seq += 1
                        yield SchemaChange(seq, table, statement.strip(), position)
            if position.order() >= stop:
                return
    except pymysql.err.OperationalError as error:
        if error.args and error.args[0] == 1236:
            raise BinlogUnavailable(f"the server cannot send its binary log from {start}: {error.args[1]}. Run "
                                    "`algoitny-etl verify --deep --repair` for these tables (a clean full repair "
                                    "re-seats the checkpoint), or migrate them again, then sync") from None
        if error.args and error.args[0] == 1227:
            raise BinlogUnavailable("the MySQL user may not read the binary log; grant REPLICATION SLAVE") from None
        raise
    finally:
        stream.close()


def _text(value) -> str:
    return value if isinstance(value, str) else bytes(value or b"").decode("utf-8", "replace")


def ddl_targets(statement: str, default_schema: str, database: str, tables: frozenset[str]) -> list[str]:
    """Which of `tables` of `database` a DDL statement names. DDL events come from every schema of
    the server: a name qualified with our database is ours; an unqualified one only when the
    statement ran with our database as its default; a name qualified with another one never."""
    found = []
    for table in sorted(tables):
        for match in re.finditer(rf"(?:`?(\w+)`?\s*\.\s*)?`?\b{re.escape(table)}\b`?", statement):
            qualifier = match.group(1)
            if qualifier == database or (qualifier is None and default_schema == database):
                found.append(table)
                break
    return found


def _image(row: dict, side: str, event) -> dict:
    """The row before or after the change (an insert or delete event has only `values`)."""
    if f"{side}_values" in row:
        return _normalized(row[f"{side}_values"], row.get(f"{side}_none_sources") or {}, event)
    return _normalized(row["values"], row.get("none_sources") or {}, event)


def _normalized(values: dict, none_sources: dict, event) -> dict:
    """A binlog row's values as a SELECT through PyMySQL returns them."""
    from pymysqlreplication.constants import FIELD_TYPE

    columns = {column.name: column for column in event.columns}
    out = dict(values)
    for name, value in values.items():
        column = columns.get(name)
        if column is None:
            continue
        kind = column.type
        if value is None:
            source = none_sources.get(name)
            if source == "empty set":
                out[name] = ""
            elif source in ("out of date range", "out of datetime range", "out of datetime2 range"):
                fraction = "." + "0" * column.fsp if getattr(column, "fsp", 0) else ""
                out[name] = "0000-00-00" if kind == FIELD_TYPE.DATE else "0000-00-00 00:00:00" + fraction
        elif kind == FIELD_TYPE.FLOAT:
            out[name] = float(f"{value:.6g}")  # the server prints FLOAT with 6 significant digits
        elif kind == FIELD_TYPE.TIME2 and isinstance(value, _dt.timedelta) and value < _dt.timedelta(0) \
                and value.microseconds:
            out[name] = value + _dt.timedelta(microseconds=1_000_000 - 2 * value.microseconds)
        elif kind == FIELD_TYPE.BIT and isinstance(value, str):
            out[name] = int(value, 2).to_bytes((column.bits + 7) // 8, "big")
        elif kind == FIELD_TYPE.SET and isinstance(value, (set, frozenset)):
            out[name] = ",".join(member for member in column.set_values if member in value)
    return out
