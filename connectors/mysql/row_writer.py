"""Items back into MySQL rows (no Beam here): what reverse sync and `verify --deep --repair --to
mysql` write.

An item becomes its row through the same entity specs the migration maps with
(ItemSpec.from_item: short names to columns, keys to ids and key columns), and the joins back
to foreign keys (a test case's problem id from its problem's platform and number, a progress
row's content type from its job's kind: connectors/mysql/joins.py). Only a source table's
first item type carries its row (`usr`, not the Google-id look-up `usr_gid`, whose Google id
the `usr` item carries too); the application's own items and the tool's state carry none.

A row is written whole, every column the mapping writes, with INSERT ... ON DUPLICATE KEY
UPDATE: writing a record twice changes nothing. A dropped connection is tried again, bounded;
a row MySQL refuses raises RowRefused with MySQL's words, for the dead-letter file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Mapping

import sqlalchemy as sa

from connectors.mysql.joins import JoinedValues
from connectors.mysql.key_ranges import quoted
from connectors.mysql.queries import READ_RETRIES, connection_lost
from connectors.retry import RetryPolicy
from schema.codecs import Json, StringSet
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.spec import Rejected


class RowRefused(Rejected):
    """The item cannot become a row, or MySQL refused the row; the reason goes to the dead letters."""


def _json_text(value: object) -> str:
    """A JSON column's text from its decoded value, numbers exact (a Decimal as written)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _sql_value(codec: object, value: object) -> object:
    """A decoded attribute as the driver takes it for its column."""
    if value is None:
        return None
    if isinstance(codec, Json):
        return _json_text(value)
    if isinstance(codec, StringSet):
        return ",".join(sorted(value))
    return value


class RowWriter:
    def __init__(self, engine: sa.Engine, joins: JoinedValues, policy: RetryPolicy = READ_RETRIES):
        self._engine = engine
        self._joins = joins
        self._policy = policy

    @staticmethod
    def carries_row(tp: str) -> bool:
        """Whether items of type `tp` carry a whole source row."""
        spec = ITEM_SPECS.get(tp)
        return spec is not None and SOURCE_SPECS[spec.source].items[0] == tp

    def row_of(self, item: Mapping) -> tuple[str, dict]:
        """(source table, row) of an item (python values, as boto3 reads them)."""
        spec = ITEM_SPECS[item["tp"]]
        source = SOURCE_SPECS[spec.source]
        values = spec.from_item(item)
        row = {}
        for attribute in spec.attributes:
            row[attribute.column] = _sql_value(attribute.codec, values.get(attribute.column))
        for column in source.columns:
            if column not in row and column in values:
                row[column] = values[column]
        for join in source.joins:
            joined = {alias: values.get(alias) for alias in join.columns}
            parent = self._joins.parent_key(join, joined)
            if parent is None:
                raise RowRefused(f"{source.table} row {values.get(source.key)} points at a {join.table} row with "
                                 f"{joined}, and MySQL has none", "missing_parent")
            row[join.local_column] = parent
        missing = [c for c in source.columns if c not in row]
        if missing:
            raise RowRefused(f"a {spec.tp} item does not carry {', '.join(missing)} of {source.table}",
                             "not_a_row")
        return source.table, {c: row[c] for c in source.columns}

    def upsert(self, table: str, row: dict) -> None:
        columns = list(row)
        names = ", ".join(quoted(c) for c in columns)
        values = ", ".join(f":{n}" for n in range(len(columns)))
        updates = ", ".join(f"{quoted(c)} = VALUES({quoted(c)})" for c in columns if c != SOURCE_SPECS[table].key)
        sql = f"INSERT INTO {quoted(table)} ({names}) VALUES ({values}) ON DUPLICATE KEY UPDATE {updates}"
        self._execute(sql, {str(n): row[c] for n, c in enumerate(columns)}, table, row.get(SOURCE_SPECS[table].key))
        self._joins.parent_changed(table, None, row)  # children later in this run find it

    def delete(self, table: str, key: object) -> None:
        source = SOURCE_SPECS[table]
        self._execute(f"DELETE FROM {quoted(table)} WHERE {quoted(source.key)} = :key", {"key": key}, table, key)

    def raise_auto_increment(self, table: str) -> int | None:
        """The table's AUTO_INCREMENT set above its largest id if it is not (InnoDB keeps it there after
        an explicit id, but a server restart or a deleted top row must never let the application reuse
        an id the table side made). Returns the new value when it had to change."""
        source = SOURCE_SPECS[table]
        if not source.key_is_integer:
            return None
        with self._engine.connect() as conn:
            top = conn.execute(sa.text(f"SELECT MAX({quoted(source.key)}) FROM {quoted(table)}")).scalar()
            current = conn.execute(sa.text(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = :t"), {"t": table}).scalar()
            if top is None or (current is not None and int(current) > int(top)):
                return None
            conn.exec_driver_sql(f"ALTER TABLE {quoted(table)} AUTO_INCREMENT = {int(top) + 1}")
            conn.commit()
        return int(top) + 1

    def _execute(self, sql: str, params: dict, table: str, key: object) -> None:
        def attempt():
            with self._engine.begin() as conn:
                conn.execute(sa.text(sql), params)

        try:
            self._policy.call(attempt, lambda e: isinstance(e, sa.exc.DBAPIError) and connection_lost(e))
        except sa.exc.DBAPIError as error:
            if connection_lost(error):
                raise
            raise RowRefused(f"MySQL refused {table} row {key}: {error.orig}", "mysql_refused") from None
