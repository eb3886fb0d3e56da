"""The spec engine: how a row becomes a single-table item, and an item a row again.

`ItemSpec` maps one source row to one item type (keys, `tp`, `dat` under short names,
`crt`/`upd`, `ttl`) and back; `SourceSpec` says how a source table is read (columns, LEFT
JOINs, excluded columns). The catalogue of AlgoItny's item types, one module per entity, is
in schema/entities/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from schema import compression, item_size
from schema import keys as k
from schema.codecs import JSON, TEXT, ValueRejected, epoch_seconds, from_epoch_seconds
from schema.errors import Rejected
from schema.ttl import TtlRule

Row = Mapping[str, object]
_ABSENT = object()
_INDEX_KEYS = (("GSI1", "GSI1PK", "GSI1SK"), ("GSI2", "GSI2PK", "GSI2SK"))


def _plain_id(value: object) -> object:
    """dat.id as the row had it: an int for numeric keys (DynamoDB gives Decimal back)."""
    if value is not None and not isinstance(value, (str, bool)) and int(value) == value:
        return int(value)
    return value


def _compressed_if_large(row_value: object, encoded: object, codec: object, threshold: int) -> object:
    if item_size.value_size(encoded) <= threshold:
        return encoded
    if isinstance(encoded, str) and codec is TEXT:
        return compression.compress(encoded, compression.TEXT)
    text = row_value.decode("utf-8") if isinstance(row_value, (bytes, bytearray)) else row_value
    if codec is JSON and isinstance(text, str):
        return compression.compress(text, compression.JSON_TEXT)
    return encoded


class RowRejected(Rejected):
    """A row cannot become an item; the reason goes to the dead-letter file.

    Codes: null_required, invalid_key, key_too_long, missing_parent, unknown_content_type,
    invalid_json, not_a_number, invalid_date, not_a_boolean, not_an_integer, invalid_text,
    invalid_value, item_too_large, duplicate_key, not_encodable.
    """


@dataclass(frozen=True)
class Attribute:
    short: str
    column: str
    codec: object


@dataclass(frozen=True)
class ItemSpec:
    tp: str
    source: str
    key_builder: Callable[[Row], dict]
    attributes: tuple[Attribute, ...]
    key_columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    id_column: str = "id"
    created: str = "created_at"
    updated: str | None = None
    ttl: TtlRule | None = None
    only_when_present: str | None = None
    # The source row an item comes from, read back from the item's keys (deep verify looks
    # the row up by it): identity_columns of the source table, and the key parser.
    identity_columns: tuple[str, ...] = ("id",)
    identity_from_key: Callable[[str, str], tuple] | None = None
    # Columns carried only by the keys, read back from an item (for from_item).
    key_decoder: Callable[[Mapping], dict] | None = None
    # The keys' shapes as DESIGN.md writes them ({"PK": "PLAN#<id>", ...}), for the data-model
    # document; tests hold every built key to its shape.
    key_shapes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    entity: str = ""

    def identity_of_row(self, row: Row) -> tuple:
        return tuple(row[column] for column in self.identity_columns)

    def identity_of_item(self, pk: str, sk: str) -> tuple | None:
        """The identity a key names, or None when the key is not of this item type's shape."""
        try:
            return self.identity_from_key(pk, sk)
        except (ValueError, IndexError):
            return None

    def produces_item_for(self, row: Row) -> bool:
        return self.only_when_present is None or row.get(self.only_when_present) is not None

    def columns(self) -> set[str]:
        """Source columns this item type accounts for."""
        cols = {self.id_column, self.created, *self.key_columns}
        cols.update(a.column for a in self.attributes)
        if self.updated:
            cols.add(self.updated)
        return cols

    def to_item(self, row: Row, compress_over: int | str | None = None, info: dict | None = None) -> dict:
        """The item for `row`, or RowRejected saying why there cannot be one.

        `compress_over`: compress COMPRESSIBLE attributes larger than this many bytes;
        compression.AS_NEEDED: compress them only when the item would not fit otherwise (what
        verify expects, whatever --compress-over the migration ran with: it compares decoded).
        `info`: receives "size" (bytes) and "kept_as_text" (columns stored as exact text).
        """
        if compress_over == compression.AS_NEEDED:
            try:
                return self.to_item(row, None, info)
            except RowRejected as rejected:
                if rejected.code != "item_too_large":
                    raise
                return self.to_item(row, 0, info)
        for column in (self.id_column, self.created, *self.required_columns):
            if row.get(column) is None:
                raise RowRejected(f"{self.source}.{column} is NULL but the {self.tp} item needs it", "null_required")
        try:
            item = self.key_builder(row)
            k.check_key_sizes(item["PK"], item["SK"])
            for index, pk, sk in _INDEX_KEYS:
                if pk in item:
                    k.check_key_sizes(item[pk], item[sk], index)
        except k.InvalidKeyPart as error:
            raise RowRejected(f"{self.tp} key: {error}", error.code) from None
        kept_as_text: list[str] = []
        item.update(self.values_of(row, compress_over, kept_as_text))
        size = item_size.item_size(item)
        if size > item_size.MAX_ITEM_BYTES:
            largest = ", ".join(f"{name} {n:,} B" for name, n in item_size.largest_attributes(item))
            hint = "" if compress_over is not None else "; --compress-over BYTES would gzip large text attributes"
            raise RowRejected(f"item is {size:,} bytes, over DynamoDB's {item_size.MAX_ITEM_BYTES:,}; "
                              f"largest: {largest}{hint}", "item_too_large")
        if info is not None:
            info["size"] = size
            info["kept_as_text"] = kept_as_text
        return item

    def values_of(self, row: Row, compress_over: int | None = None, kept_as_text: list | None = None) -> dict:
        """The item without its keys: `tp`, `dat`, `crt`, `upd` and `ttl`, as `to_item` builds them.

        What the application reads back from an item, so an answer made of MySQL rows and one
        made of items compare in one form (check-reads) even where the keys' columns are not
        in the answer. `kept_as_text` receives the columns stored as exact text."""
        dat: dict = {"id": row[self.id_column]}
        for attribute in self.attributes:
            value = row.get(attribute.column)
            if value is None:
                continue
            try:
                encoded = attribute.codec.encode(value)
            except ValueRejected as error:
                raise RowRejected(f"{self.source}.{attribute.column}: {error}", error.code) from None
            except (ValueError, TypeError, ArithmeticError) as error:
                raise RowRejected(f"{self.source}.{attribute.column}: {error!r}", "invalid_value") from None
            if kept_as_text is not None and attribute.codec.fallback(encoded):
                kept_as_text.append(attribute.column)
            if compress_over is not None and attribute.short in compression.COMPRESSIBLE:
                encoded = _compressed_if_large(value, encoded, attribute.codec, compress_over)
            dat[attribute.short] = encoded
        values: dict = {"tp": self.tp, "dat": dat}
        try:
            values["crt"] = epoch_seconds(row[self.created])
            if self.updated and row.get(self.updated) is not None:
                values["upd"] = epoch_seconds(row[self.updated])
        except (ValueError, TypeError, AttributeError):
            raise RowRejected(f"{self.source}.{self.created}/{self.updated}: not a valid datetime", "invalid_date") from None
        if self.ttl is not None:
            values["ttl"] = self.ttl.ttl_for(values["crt"])
        return values

    def from_item(self, item: Mapping) -> dict:
        """The row values an item carries (full column names), decoded; absent -> None."""
        dat = item.get("dat") or {}
        row: dict = {self.id_column: _plain_id(dat.get("id"))}
        for attribute in self.attributes:
            value = dat.get(attribute.short, _ABSENT)
            if value is _ABSENT:
                row[attribute.column] = None
                continue
            if compression.is_compressed(value) or compression.is_compressed(getattr(value, "value", None)):
                kind, text = compression.decompress(getattr(value, "value", value))
                value = attribute.codec.encode(text) if kind == compression.JSON_TEXT else text
            row[attribute.column] = attribute.codec.decode(value)
        row[self.created] = from_epoch_seconds(item["crt"])
        if self.updated:
            row[self.updated] = from_epoch_seconds(item["upd"]) if "upd" in item else None
        if self.key_decoder is not None:
            row.update(self.key_decoder(item))
        return row

    def is_expired(self, item: Mapping, now: int) -> bool:
        return self.ttl is not None and self.ttl.is_expired(item["ttl"], now)


@dataclass(frozen=True)
class Join:
    """A row's parent: LEFT JOINed inside every query that reads the row (migrate, verify), and
    looked up by sync and reverse sync, which see the row without it (connectors/mysql/joins.py).
    `columns` maps result alias -> the parent's column.

    A LEFT JOIN, so a row whose parent is missing is still read and dead-lettered with a
    reason instead of silently vanishing from an inner join.

    When a parent's joined columns change, its children's items change with them. `in_child_keys`:
    the joined values are part of the children's keys, so the children's items move; then
    `child_partition(joined values)` names the one partition all of one parent's child items
    share, which sync reads to find them (the children's own rows may be gone by then). A join
    in the keys without it cannot be followed: sync refuses the change and says to migrate the
    children again.
    """

    table: str
    alias: str
    local_column: str
    remote_column: str
    columns: Mapping[str, str]
    in_child_keys: bool = False
    child_partition: Callable[[Mapping[str, object]], str] | None = None

    def values_of(self, parent: Mapping[str, object] | None) -> dict[str, object]:
        """alias -> value the join gives a child of `parent` (all None when there is no parent)."""
        return {alias: (parent or {}).get(column) for alias, column in self.columns.items()}


@dataclass(frozen=True)
class SourceSpec:
    table: str
    key: str
    key_is_integer: bool
    columns: tuple[str, ...]
    items: tuple[str, ...]
    joins: tuple[Join, ...] = ()
    excluded: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def selected_names(self) -> tuple[str, ...]:
        names = list(self.columns)
        for join in self.joins:
            names.extend(join.columns)
        return tuple(names)


def attributes(*triples: tuple[str, str, object]) -> tuple[Attribute, ...]:
    """(short name, column, codec) triples -> Attributes."""
    return tuple(Attribute(short, column, codec) for short, column, codec in triples)


@dataclass(frozen=True)
class ExtraItemType:
    """An item type that is not migrated from a row (the repositories' guards and counters,
    the tool's own state): described once, for the data-model document and for verify and
    repair, which leave these items alone."""

    tp: str
    key_shapes: Mapping[str, str]
    attributes: Mapping[str, str]  # name -> what it holds
    written_by: str
    ttl: str = ""
