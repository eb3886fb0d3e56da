"""Value codecs: a MySQL column value <-> the value stored in a DynamoDB item.

Each codec is a small frozen object with `encode` (row value -> item value, in the types
boto3's TypeSerializer accepts: str, int, Decimal, bool, None, bytes, list, dict, set) and
`decode` (item value -> row value), so the migration, the verify pipeline and the
application's repositories all read and write values the same way.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from schema.keys import as_utc

EPOCH = _dt.datetime(1970, 1, 1)
_MICRO = Decimal(1).scaleb(-6)


class ValueRejected(ValueError):
    """A column value cannot be represented in DynamoDB; the row becomes a dead letter."""


def plain_decimal(value: Decimal) -> Decimal:
    """The shortest exact form of a Decimal, never in exponent notation (1E+3 -> 1000)."""
    with localcontext() as ctx:
        ctx.prec = 200
        normal = value.normalize()
        if normal.as_tuple().exponent > 0:
            normal = normal.quantize(Decimal(1))
    return normal


def epoch_seconds(moment: _dt.datetime) -> Decimal:
    """UTC epoch seconds with the microseconds kept exactly: 1759912345.123456."""
    moment = as_utc(moment)
    whole = calendar.timegm(moment.timetuple())
    return plain_decimal(Decimal(whole) + Decimal(moment.microsecond) * _MICRO)


def from_epoch_seconds(value: Decimal | int) -> _dt.datetime:
    """Inverse of `epoch_seconds` (naive UTC)."""
    number = Decimal(value)
    whole = int(number.to_integral_value(rounding=ROUND_FLOOR))
    micros = int(((number - whole) / _MICRO).to_integral_value())
    return EPOCH + _dt.timedelta(seconds=whole, microseconds=micros)


def _reject_constant(name: str) -> None:
    raise ValueRejected(f"JSON value {name} cannot be stored in DynamoDB")


def _decimals_for_floats(value: object) -> object:
    """A JSON structure decoded by a driver may hold floats; DynamoDB wants Decimal."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            _reject_constant(repr(value))
        return plain_decimal(Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): _decimals_for_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals_for_floats(v) for v in value]
    return value


@dataclass(frozen=True)
class Text:
    name: str = "text"

    def encode(self, value: object) -> str:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8")
        return str(value)

    def decode(self, value: object) -> str:
        return str(value)


@dataclass(frozen=True)
class Integer:
    name: str = "integer"

    def encode(self, value: object) -> int:
        return int(value)

    def decode(self, value: object) -> int:
        return int(value)


@dataclass(frozen=True)
class Boolean:
    name: str = "boolean"

    def encode(self, value: object) -> bool:
        return bool(int(value)) if not isinstance(value, bool) else value

    def decode(self, value: object) -> bool:
        return bool(value)


@dataclass(frozen=True)
class DateTime:
    """DATETIME(6) -> epoch seconds Number (DESIGN.md §2)."""

    name: str = "datetime"

    def encode(self, value: object) -> Decimal:
        if not isinstance(value, _dt.datetime):
            raise ValueRejected(f"expected a datetime, got {value!r}")
        return epoch_seconds(value)

    def decode(self, value: object) -> _dt.datetime:
        return from_epoch_seconds(value)


@dataclass(frozen=True)
class Json:
    """JSON column -> map/list with every number as Decimal (never float)."""

    name: str = "json"

    def encode(self, value: object) -> object:
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("utf-8")
        if isinstance(value, str):
            try:
                return json.loads(value, parse_float=Decimal, parse_constant=_reject_constant)
            except json.JSONDecodeError as error:
                raise ValueRejected(f"invalid JSON: {error}") from None
        return _decimals_for_floats(value)

    def decode(self, value: object) -> object:
        return value


TEXT = Text()
INTEGER = Integer()
BOOLEAN = Boolean()
DATETIME = DateTime()
JSON = Json()
