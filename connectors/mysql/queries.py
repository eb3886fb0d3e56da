"""Plain SQLAlchemy reading of the source tables (no Beam here).

Every query selects a source table's columns with its LEFT JOINs (schema.spec.SourceSpec):
a key range streamed with a server-side cursor (a table is never held in memory), rows
looked up by their identity, counts per key range, groups of rows that would share a key.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping

import sqlalchemy as sa

from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine
from connectors.mysql.key_ranges import KeyRange, quoted
from schema.spec import SourceSpec

# A streaming read can stall while the writer waits out throttling; keep the server from
# closing the connection under it (default 60 s).
STREAM_NET_WRITE_TIMEOUT_SECONDS = 3600


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
    where, params = key_range.where(f"t.{quoted(source.key)}")
    return select_sql(source, where), params


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
    names = source.selected_names()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SET SESSION net_write_timeout = {STREAM_NET_WRITE_TIMEOUT_SECONDS}")
        result = conn.execution_options(stream_results=True, max_row_buffer=fetch_size).execute(sa.text(sql), params)
        for values in result:
            yield dict(zip(names, values))


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
