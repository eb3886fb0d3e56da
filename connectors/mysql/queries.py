"""Plain SQLAlchemy reading of the source tables (no Beam here).

Every query selects a source table's columns with its LEFT JOINs (schema.spec.SourceSpec):
a key range streamed with a server-side cursor (a table is never held in memory), rows
looked up by their identity, counts per key range, groups of rows that would share a key.
"""

from __future__ import annotations

import random
import time
from typing import Callable, Iterable, Iterator, Mapping

import sqlalchemy as sa

from connectors.errors import RunStopped
from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine
from connectors.mysql.key_ranges import KeyRange, quoted
from connectors.retry import RetryPolicy
from schema.spec import SourceSpec

# A streaming read can stall while the writer waits out throttling; keep the server from
# closing the connection under it (default 60 s).
STREAM_NET_WRITE_TIMEOUT_SECONDS = 3600
# A dropped connection is retried 5 times in a row, waiting up to 1, 2, 4, 8 s (full jitter).
READ_RETRIES = RetryPolicy(base_seconds=1.0, cap_seconds=30.0, max_attempts=5)


def select_sql(source: SourceSpec, where: str) -> str:
    """SELECT of a source table's columns (and its LEFT JOINs) under a WHERE clause on alias t."""
    base = "t"
    select = [f"{base}.{quoted(c)}" for c in source.columns]
    joins = []
    for join in source.joins:
        select += [f"{join.alias}.{quoted(remote)} AS {quoted(alias)}" for alias, remote in join.columns.items()]
        joins.append(
            f"LEFT JOIN {quoted(join.table)} {join.alias} "
            f"ON {join.alias}.{quoted(join.remote_column)} = {base}.{quoted(join.local_column)}"
        )
    return f"SELECT {', '.join(select)} FROM {quoted(source.table)} {base} {' '.join(joins)} WHERE {where}"


def range_select(source: SourceSpec, key_range: KeyRange) -> tuple[str, dict]:
    """The rows of one key range in key order (the primary key's own order: no sort), so a read
    that loses its connection can go on after the last row it delivered."""
    key = f"t.{quoted(source.key)}"
    where, params = key_range.where(key)
    return f"{select_sql(source, where)} ORDER BY {key}", params


def select_by_identity(engine: sa.Engine, source: SourceSpec, columns: tuple[str, ...],
                       identities: list[tuple]) -> list[dict]:
    """The rows whose `columns` equal one of `identities` (one query, with the same joins)."""
    if not identities:
        return []
    if len(columns) == 1:
        target, values = f"t.{quoted(columns[0])}", [identity[0] for identity in identities]
    else:
        target, values = f"({', '.join(f't.{quoted(c)}' for c in columns)})", [tuple(i) for i in identities]
    statement = sa.text(select_sql(source, f"{target} IN :identities")).bindparams(
        sa.bindparam("identities", expanding=True))
    names = source.selected_names()
    with engine.connect() as conn:
        return [dict(zip(names, row)) for row in conn.execute(statement, {"identities": values})]


def stream_range(engine: sa.Engine, source: SourceSpec, key_range: KeyRange,
                 fetch_size: int = 2000) -> Iterator[dict]:
    """Yield the rows of one key range as dicts, streamed from a server-side cursor."""
    sql, params = range_select(source, key_range)
    yield from _stream(engine, source, sql, params, fetch_size)


def _stream(engine: sa.Engine, source: SourceSpec, sql: str, params: Mapping[str, object],
            fetch_size: int) -> Iterator[dict]:
    """The rows of a SELECT of `source`'s columns as dicts, from a server-side cursor."""
    names = source.selected_names()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SET SESSION net_write_timeout = {STREAM_NET_WRITE_TIMEOUT_SECONDS}")
        result = conn.execution_options(stream_results=True, max_row_buffer=fetch_size).execute(sa.text(sql), params)
        for values in result:
            yield dict(zip(names, values))


class ReadAborted(RunStopped):
    """A key range could not be read within the retry bound; the message names table and range."""


# MySQL/MariaDB errors that mean the connection (or the statement) was cut, not that the query
# is wrong: server gone or restarted, connection killed, statement interrupted or timed out.
CONNECTION_LOST_CODES = frozenset({
    1053,  # server shutdown in progress
    1317,  # query execution was interrupted (KILL QUERY)
    1927,  # connection was killed (MariaDB)
    1969,  # max_statement_time exceeded (MariaDB)
    2006,  # server has gone away
    2013,  # lost connection during query
    2055,  # lost connection at a system error
    3024,  # max_execution_time exceeded (MySQL)
    4031,  # the client was disconnected for inactivity
})


def connection_lost(error: sa.exc.DBAPIError) -> bool:
    if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
        return True
    args = getattr(error.orig, "args", ())
    return bool(args) and args[0] in CONNECTION_LOST_CODES


def stream_range_with_retries(engine: sa.Engine, source: SourceSpec, key_range: KeyRange,
                              policy: RetryPolicy = READ_RETRIES,
                              sleep: Callable[[float], None] = time.sleep,  # pacing: backoff before reading on
                              rng: random.Random | None = None,
                              on_retry: Callable[[str], None] | None = None) -> Iterator[dict]:
    """`stream_range`, going on after the last delivered row when the connection drops.

    Rows come in key order, so a new connection reads `key > last key delivered`: nothing is
    skipped and nothing is delivered twice. Failures in a row without a single row delivered
    in between are bounded by `policy.max_attempts`; past it, ReadAborted names the range.
    `on_retry(message)` hears of each reconnection.
    """
    rng = rng or random.Random()
    remaining, failures = key_range, 0
    while True:
        delivered = 0
        try:
            for row in stream_range(engine, source, remaining):
                yield row
                delivered += 1
                remaining = key_range.continued_after(row[source.key])
            return
        except sa.exc.DBAPIError as error:
            if not connection_lost(error):
                raise
            failures = 1 if delivered else failures + 1
            if failures >= policy.max_attempts:
                raise ReadAborted(f"reading {source.table} range {key_range} failed {failures} times in a row "
                                  f"(last: {error.orig}); the run stopped") from None
            if on_retry is not None:
                on_retry(f"connection lost reading {source.table} range {key_range} ({error.orig}); "
                         f"reading on after key {remaining.lower!r}")
            sleep(policy.delay(failures - 1, rng))


def stream_changed(engine: sa.Engine, source: SourceSpec, since: object | None, after_key: object | None,
                   fetch_size: int = 2000) -> Iterator[dict]:
    """Rows with `updated_at >= since` (tables that have it), else rows with key > `after_key`
    (append-only tables), streamed: what `sync --changes watermark` can see."""
    key = f"t.{quoted(source.key)}"
    if "updated_at" in source.columns:
        where, params = "t.`updated_at` >= :since", {"since": since}
    else:
        where, params = (f"{key} > :after", {"after": after_key}) if after_key is not None else ("1=1", {})
    yield from _stream(engine, source, f"{select_sql(source, where)} ORDER BY {key}", params, fetch_size)


def count_range(engine: sa.Engine, source: SourceSpec, key_range: KeyRange,
                conditions: Mapping[str, str | None], params: Mapping[str, object]) -> dict[str, int]:
    """Count rows of one range per item type; `conditions` maps item type -> SQL predicate or None."""
    sums = []
    for index, (name, condition) in enumerate(conditions.items()):
        expression = "COUNT(*)" if condition is None else f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"
        sums.append(f"{expression} AS c{index}")
    where, range_params = key_range.where(f"t.{quoted(source.key)}")
    sql = f"SELECT {', '.join(sums)} FROM {quoted(source.table)} t WHERE {where}"
    with engine.connect() as conn:
        values = conn.execute(sa.text(sql), {**range_params, **params}).one()
    return {name: int(value) for name, value in zip(conditions, values)}


def duplicate_identities(engine: sa.Engine, source: SourceSpec, columns: tuple[str, ...],
                         limit: int = 10_000) -> list[tuple[tuple, list]]:
    """Groups of rows whose `columns` are byte-for-byte equal: [(identity, [row keys])].

    Compared as bytes (BINARY), as DynamoDB compares keys, not under the column's collation.
    """
    binary = ", ".join(f"BINARY t.{quoted(c)}" for c in columns)
    values = ", ".join(f"MIN(t.{quoted(c)})" for c in columns)
    sql = (f"SELECT {values}, GROUP_CONCAT(t.{quoted(source.key)} ORDER BY t.{quoted(source.key)} SEPARATOR '\\n') "
           f"FROM {quoted(source.table)} t GROUP BY {binary} HAVING COUNT(*) > 1 LIMIT {int(limit)}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SET SESSION group_concat_max_len = 1048576")
        rows = conn.execute(sa.text(sql)).all()
    return [(tuple(row[:-1]), row[-1].split("\n")) for row in rows]


def count_rows(config: MySQLConfig, tables: Iterable[str]) -> int:
    """Rows in the source tables now, for progress and ETA."""
    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            return sum(conn.execute(sa.text(f"SELECT COUNT(*) FROM {quoted(t)}")).scalar() for t in tables)
    finally:
        engine.dispose()


def random_keys(engine: sa.Engine, source: SourceSpec, count: int, rng) -> list:
    """Up to `count` keys of random rows of `source`, by index probes (never a full read): the
    first key at or after a random point of the key space."""
    key = quoted(source.key)
    found = []
    with engine.connect() as conn:
        if source.key_is_integer:
            low, high = conn.execute(sa.text(f"SELECT MIN({key}), MAX({key}) FROM {quoted(source.table)}")).one()
            if low is None:
                return []
            probes = [rng.randint(int(low), int(high)) for _ in range(count)]
        else:
            probes = ["%032x" % rng.getrandbits(128) for _ in range(count)]
        probe = sa.text(f"SELECT {key} FROM {quoted(source.table)} WHERE {key} >= :p ORDER BY {key} LIMIT 1")
        for value in probes:
            hit = conn.execute(probe, {"p": value}).scalar()
            if hit is not None:
                found.append(hit)
    return found
