"""What the round-trip tests compare: a row value in the form `ItemSpec.from_item` gives it
back, the codec for a MySQL column type, and the columns from_item decodes per item type."""

from __future__ import annotations

from schema import codecs
from schema.codecs import _decimals_for_floats, _is_zero_date, parse_json

# Columns that live only in an item's keys and that from_item reads back from them.
DECODED_KEY_COLUMNS = {
    "usr_gid": ("google_id",),
    "prob": ("platform", "problem_id"),
    "tc": ("problem_platform", "problem_number"),
    "ulog": ("user_id",),
    "jph": ("object_id", "content_type_model"),
}


def decoded_columns(spec) -> set[str]:
    """The columns `from_item` gives back (keys that only a join could resolve are absent)."""
    columns = {spec.id_column, spec.created, *(a.column for a in spec.attributes)}
    if spec.updated:
        columns.add(spec.updated)
    return columns | set(DECODED_KEY_COLUMNS.get(spec.tp, ()))


def comparable(codec: codecs.Codec, row_value: object) -> object:
    """A row value in the form `codec.decode` returns, for round-trip comparisons."""
    if isinstance(codec, codecs.DateTime):
        return "0000-00-00 00:00:00" if isinstance(row_value, str) and _is_zero_date(row_value) else row_value
    if isinstance(codec, codecs.Date):
        return "0000-00-00" if isinstance(row_value, str) and _is_zero_date(row_value) else row_value
    if isinstance(codec, codecs.Bit):
        return row_value if isinstance(row_value, bytes) else codec.decode(row_value)
    if isinstance(codec, codecs.StringSet):
        if isinstance(row_value, (set, frozenset)):
            return frozenset(row_value)
        return frozenset(member for member in str(row_value).split(",") if member)
    if isinstance(codec, codecs.Json):
        return parse_json(row_value) if isinstance(row_value, (str, bytes)) else _decimals_for_floats(row_value)
    return row_value


def codec_for_column(type_name: str, display: str = "") -> codecs.Codec:
    """The codec for a MySQL column type (information_schema DATA_TYPE, COLUMN_TYPE)."""
    name, display = type_name.lower(), display.lower()
    if name == "tinyint" and display.startswith("tinyint(1)") or name in ("bool", "boolean"):
        return codecs.BOOLEAN
    if name in ("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"):
        return codecs.INTEGER
    if name in ("decimal", "numeric"):
        return codecs.DECIMAL
    if name in ("float", "double", "real"):
        return codecs.FLOAT
    if name in ("datetime", "timestamp"):
        return codecs.DATETIME
    if name == "date":
        return codecs.DATE
    if name == "time":
        return codecs.TIME
    if name in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"):
        return codecs.BINARY
    if name == "bit":
        digits = "".join(ch for ch in display if ch.isdigit())
        return codecs.Bit(bits=int(digits) if digits else 1)
    if name == "set":
        return codecs.SET
    if name == "json":
        return codecs.JSON
    if name in ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum"):
        return codecs.TEXT
    raise ValueError(f"no codec for MySQL type {type_name}")

