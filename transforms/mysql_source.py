"""Plain SQLAlchemy reading of one source table by primary-key ranges (no Beam here).

A table is cut into ranges `lower < key <= upper` (None = unbounded), so the ranges always
cover the whole key space and no row can fall between two of them. Integer keys are cut by
MIN/MAX; other keys (task_results.task_id) by boundaries read from the primary-key index.
Each range is then streamed with a server-side cursor: a table is never held in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Mapping

import sqlalchemy as sa

from schema.entities import SourceSpec

# A streaming read can stall while the writer waits out throttling; keep the server from
# closing the connection under it (default 60 s).
STREAM_NET_WRITE_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class KeyRange:
    table: str
    lower: object | None  # exclusive
    upper: object | None  # inclusive

    def where(self, column: str) -> tuple[str, dict]:
        clauses, params = [], {}
        if self.lower is not None:
            clauses.append(f"{column} > :lower")
            params["lower"] = self.lower
        if self.upper is not None:
            clauses.append(f"{column} <= :upper")
            params["upper"] = self.upper
        return (" AND ".join(clauses) or "1=1"), params

    def __str__(self) -> str:
        return f"{self.table}({self.lower!r}, {self.upper!r}]"


def _q(name: str) -> str:
    return f"`{name}`"


def ranges_from_boundaries(table: str, boundaries: list) -> list[KeyRange]:
    edges = [None, *boundaries, None]
    return [KeyRange(table, edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def split_key_ranges(conn: sa.Connection, source: SourceSpec, rows_per_range: int) -> list[KeyRange]:
    if rows_per_range < 1:
        raise ValueError("rows_per_range must be at least 1")
    key = _q(source.key)
    table = _q(source.table)
    if source.key_is_integer:
        low, high, count = conn.execute(sa.text(f"SELECT MIN({key}), MAX({key}), COUNT(*) FROM {table}")).one()
        if not count:
            return [KeyRange(source.table, None, None)]
        pieces = max(1, math.ceil(count / rows_per_range))
        width = max(1, math.ceil((int(high) - int(low) + 1) / pieces))
        boundaries = [int(low) - 1 + width * i for i in range(1, pieces) if int(low) - 1 + width * i < int(high)]
        return ranges_from_boundaries(source.table, boundaries)
    # Keyset walk over the primary-key index: each query reads `rows_per_range` index
    # entries, so the whole walk reads the index once, never the rows.
    boundaries: list = []
    first = sa.text(f"SELECT {key} FROM {table} ORDER BY {key} LIMIT 1 OFFSET :skip")
    after = sa.text(f"SELECT {key} FROM {table} WHERE {key} > :last ORDER BY {key} LIMIT 1 OFFSET :skip")
    boundary = conn.execute(first, {"skip": rows_per_range - 1}).scalar()
    while boundary is not None:
        boundaries.append(boundary)
        boundary = conn.execute(after, {"last": boundary, "skip": rows_per_range - 1}).scalar()
    return ranges_from_boundaries(source.table, boundaries)


def select_sql(source: SourceSpec, where: str) -> str:
    """SELECT of a source table's columns (and its LEFT JOINs) under a WHERE clause on alias t."""
    base = "t"
    select = [f"{base}.{_q(c)}" for c in source.columns]
    joins = []
    for join in source.joins:
        select += [f"{join.alias}.{_q(remote)} AS {_q(alias)}" for alias, remote in join.columns.items()]
        joins.append(
            f"LEFT JOIN {_q(join.table)} {join.alias} "
            f"ON {join.alias}.{_q(join.remote_column)} = {base}.{_q(join.local_column)}"
        )
    return f"SELECT {', '.join(select)} FROM {_q(source.table)} {base} {' '.join(joins)} WHERE {where}"


def range_select(source: SourceSpec, key_range: KeyRange) -> tuple[str, dict]:
    where, params = key_range.where(f"t.{_q(source.key)}")
    return select_sql(source, where), params


def select_by_identity(engine: sa.Engine, source: SourceSpec, columns: tuple[str, ...],
                       identities: list[tuple]) -> list[dict]:
    """The rows whose `columns` equal one of `identities` (one query, with the same joins)."""
    if not identities:
        return []
    params: dict = {}
    tuples = []
    for row_index, identity in enumerate(identities):
        names = []
        for column_index, value in enumerate(identity):
            name = f"i{row_index}_{column_index}"
            params[name] = value
            names.append(f":{name}")
        tuples.append(names[0] if len(names) == 1 else f"({', '.join(names)})")
    target = f"t.{_q(columns[0])}" if len(columns) == 1 else f"({', '.join(f't.{_q(c)}' for c in columns)})"
    sql = select_sql(source, f"{target} IN ({', '.join(tuples)})")
    names = source.selected_names()
    with engine.connect() as conn:
        return [dict(zip(names, values)) for values in conn.execute(sa.text(sql), params)]


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
    where, range_params = key_range.where(f"t.{_q(source.key)}")
    sql = f"SELECT {', '.join(sums)} FROM {_q(source.table)} t WHERE {where}"
    with engine.connect() as conn:
        values = conn.execute(sa.text(sql), {**range_params, **params}).one()
    return {name: int(value) for name, value in zip(conditions, values)}


def duplicate_identities(engine: sa.Engine, source: SourceSpec, columns: tuple[str, ...],
                         limit: int = 10_000) -> list[tuple[tuple, list]]:
    """Groups of rows whose `columns` are byte-for-byte equal: [(identity, [row keys])].

    Compared as bytes (BINARY), as DynamoDB compares keys, not under the column's collation.
    """
    binary = ", ".join(f"BINARY t.{_q(c)}" for c in columns)
    values = ", ".join(f"MIN(t.{_q(c)})" for c in columns)
    sql = (f"SELECT {values}, GROUP_CONCAT(t.{_q(source.key)} ORDER BY t.{_q(source.key)} SEPARATOR '\\n') "
           f"FROM {_q(source.table)} t GROUP BY {binary} HAVING COUNT(*) > 1 LIMIT {int(limit)}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SET SESSION group_concat_max_len = 1048576")
        rows = conn.execute(sa.text(sql)).all()
    return [(tuple(row[:-1]), row[-1].split("\n")) for row in rows]
