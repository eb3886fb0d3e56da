"""A source table cut into primary-key ranges, the unit of parallel reading (no Beam here).

A table is cut into ranges `lower < key <= upper` (None = unbounded), so the ranges always
cover the whole key space and no row can fall between two of them. Integer keys are cut by
MIN/MAX; other keys (task_results.task_id) by boundaries read from the primary-key index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa

from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine
from schema.spec import SourceSpec

DEFAULT_ROWS_PER_RANGE = 20_000  # the unit of parallel reading (--rows-per-range)


def quoted(name: str) -> str:
    return f"`{name}`"


@dataclass(frozen=True)
class KeyRange:
    table: str
    lower: object | None  # exclusive
    upper: object | None  # inclusive
    index: int | None = None  # position in its table's list of ranges, when the list is kept

    @property
    def origin(self) -> str:
        """What the items read from this range are tagged with, to know when all are written."""
        return f"{self.table}#{self.index}"

    def continued_after(self, key: object) -> "KeyRange":
        """The rest of this range after the row with key `key` (rows are read in key order)."""
        return KeyRange(self.table, key, self.upper, self.index)

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


class TableRow(NamedTuple):
    """A row read with its table named (reads of several tables in one PCollection); `origin`: its
    key range's, when the read is tracked."""

    table: str
    origin: str | None
    row: dict


@dataclass(frozen=True)
class RangeEnd:
    """Follows the last row of a key range in a tracked read: `rows` rows were read from it."""

    table: str
    index: int
    rows: int

    @property
    def origin(self) -> str:
        return f"{self.table}#{self.index}"


def ranges_from_boundaries(table: str, boundaries: list) -> list[KeyRange]:
    edges = [None, *boundaries, None]
    return [KeyRange(table, edges[i], edges[i + 1], i) for i in range(len(edges) - 1)]


def boundaries_of(ranges: list[KeyRange]) -> list:
    """The inner edges a list of ranges was cut at (the inverse of ranges_from_boundaries)."""
    return [r.upper for r in ranges[:-1]]


def count_and_split(conn: sa.Connection, source: SourceSpec, rows_per_range: int) -> tuple[int, list[KeyRange]]:
    """(rows in the table now, its key ranges of about `rows_per_range` rows each)."""
    if rows_per_range < 1:
        raise ValueError("rows_per_range must be at least 1")
    key = quoted(source.key)
    table = quoted(source.table)
    if source.key_is_integer:
        low, high, count = conn.execute(sa.text(f"SELECT MIN({key}), MAX({key}), COUNT(*) FROM {table}")).one()
        if not count:
            return 0, [KeyRange(source.table, None, None, 0)]
        pieces = max(1, math.ceil(count / rows_per_range))
        width = max(1, math.ceil((int(high) - int(low) + 1) / pieces))
        boundaries = [int(low) - 1 + width * i for i in range(1, pieces) if int(low) - 1 + width * i < int(high)]
        return int(count), ranges_from_boundaries(source.table, boundaries)
    # Keyset walk over the primary-key index: each query reads `rows_per_range` index
    # entries, so the whole walk reads the index once, never the rows.
    count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
    boundaries: list = []
    first = sa.text(f"SELECT {key} FROM {table} ORDER BY {key} LIMIT 1 OFFSET :skip")
    after = sa.text(f"SELECT {key} FROM {table} WHERE {key} > :last ORDER BY {key} LIMIT 1 OFFSET :skip")
    boundary = conn.execute(first, {"skip": rows_per_range - 1}).scalar()
    while boundary is not None:
        boundaries.append(boundary)
        boundary = conn.execute(after, {"last": boundary, "skip": rows_per_range - 1}).scalar()
    return int(count), ranges_from_boundaries(source.table, boundaries)


def split_key_ranges(conn: sa.Connection, source: SourceSpec, rows_per_range: int) -> list[KeyRange]:
    return count_and_split(conn, source, rows_per_range)[1]


def split_tables(config: MySQLConfig, sources: list[SourceSpec],
                 rows_per_range: int) -> tuple[dict[str, list[KeyRange]], int]:
    """Each table's key ranges, cut now (a run records them, so a resumed run reads the same ones),
    and the rows they hold now (for progress: no second count)."""
    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            split = {source.table: count_and_split(conn, source, rows_per_range) for source in sources}
    finally:
        engine.dispose()
    return {table: ranges for table, (_, ranges) in split.items()}, sum(rows for rows, _ in split.values())
