"""The joins the specs declare (SourceSpec.joins), for readers that see a row without them (no
Beam here).

migrate and verify read each row with its LEFT JOINs in one query (queries.select_sql). sync
sees a row in the binary log and reverse sync sees an item in the table: `JoinedValues` gives
the one the values its joins would have added, and the other the parent's key back from them,
each parent looked up in MySQL once and kept current by the changes of the parent's table in
the window (`parent_changed`), so a child later in the window sees its parent as it is there.
"""

from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from connectors.mysql.key_ranges import quoted
from connectors.mysql.queries import select_by_identity
from schema.spec import Join, SourceSpec

_GONE = None


class JoinedValues:
    def __init__(self, engine: sa.Engine, sources: Mapping[str, SourceSpec]):
        self._engine = engine
        self._sources = sources
        self._parents: dict[tuple[str, str, object], dict | None] = {}  # (table, column, value) -> parent
        self._keys: dict[tuple, object] = {}  # reverse: (join's parent and columns, joined values) -> parent's key

    def joined(self, table: str, row: Mapping[str, object]) -> dict:
        """`row` with the values its table's joins add, as migrate reads it."""
        joined = dict(row)
        for join in self._sources[table].joins:
            joined.update(join.values_of(self.parent(join, row.get(join.local_column))))
        return joined

    def parent(self, join: Join, value: object) -> dict | None:
        """The parent row (its join columns) a child's `join.local_column` value names, or None."""
        if value is None:
            return None
        key = (join.table, join.remote_column, value)
        if key not in self._parents:
            columns = [join.remote_column, *dict.fromkeys(join.columns.values())]
            sql = (f"SELECT {', '.join(quoted(c) for c in columns)} FROM {quoted(join.table)} "
                   f"WHERE {quoted(join.remote_column)} = :value")
            with self._engine.connect() as conn:
                found = conn.execute(sa.text(sql), {"value": value}).first()
            self._parents[key] = dict(zip(columns, found)) if found is not None else _GONE
        return self._parents[key]

    def children_of(self, table: str) -> list[tuple[SourceSpec, Join]]:
        """(child source, its join) for every source table that joins `table`."""
        return [(source, join) for source in self._sources.values() for join in source.joins if join.table == table]

    def parent_changed(self, table: str, before: Mapping | None, after: Mapping | None) -> None:
        """A row of `table` changed in the window: children later in it see the new values."""
        for _, join in self.children_of(table):
            for image, value in ((before, _GONE), (after, after)):
                if image is not None and image.get(join.remote_column) is not None:
                    self._parents[(join.table, join.remote_column, image[join.remote_column])] = \
                        None if value is None else {c: value.get(c) for c in (join.remote_column, *join.columns.values())}
        self._keys.clear()

    def child_rows(self, source: SourceSpec, join: Join, parent_value: object) -> list[dict]:
        """The rows of `source` whose join points at the parent `parent_value`, as MySQL has them now."""
        return select_by_identity(self._engine, source, (join.local_column,), [(parent_value,)])

    def has_children(self, source: SourceSpec, join: Join, parent_value: object) -> bool:
        sql = (f"SELECT 1 FROM {quoted(source.table)} WHERE {quoted(join.local_column)} = :value LIMIT 1")
        with self._engine.connect() as conn:
            return conn.execute(sa.text(sql), {"value": parent_value}).first() is not None

    def parent_key(self, join: Join, joined: Mapping[str, object]) -> object | None:
        """The reverse: the parent's `join.remote_column` whose join columns hold `joined` (alias ->
        value), e.g. a test case's problem id from its problem's platform and number; None if none."""
        wanted = tuple(joined.get(alias) for alias in join.columns)
        if any(value is None for value in wanted):
            return None
        cache_key = (join.table, join.remote_column, tuple(join.columns.values()), wanted)
        if cache_key not in self._keys:
            conditions = " AND ".join(f"{quoted(column)} = :v{n}" for n, column in enumerate(join.columns.values()))
            sql = f"SELECT {quoted(join.remote_column)} FROM {quoted(join.table)} WHERE {conditions}"
            with self._engine.connect() as conn:
                found = conn.execute(sa.text(sql), {f"v{n}": value for n, value in enumerate(wanted)}).all()
            self._keys[cache_key] = found[0][0] if len(found) == 1 else None
        return self._keys[cache_key]
