"""Value codecs: a MySQL column value <-> the value stored in a DynamoDB item.

Each codec is a small frozen object with `encode` (row value -> item value, in the types
boto3's TypeSerializer accepts: str, int, Decimal, bool, None, bytes, list, dict, set) and
`decode` (item value -> row value), so the migration, the verify pipeline and the
application's repositories all read and write values the same way.

Long because: it holds the whole contract in one place: twelve small codecs, read together
  with the table below, which they implement row by row.

The defined answer for every MySQL type (DESIGN.md §2 for the ones AlgoItny uses):

| MySQL | stored as | notes |
|---|---|---|
| TINYINT(1)/BOOL | Boolean | a value other than 0/1 is a dead letter (bool() would lose it) |
| TINYINT..BIGINT [UNSIGNED], YEAR | Number | up to 20 digits, always exact |
| DECIMAL(p,s) | Number | beyond 38 significant digits or DynamoDB's range: the exact text (String), flagged |
| FLOAT/DOUBLE | Number | the shortest decimal that reads back as the same double; beyond DynamoDB's range (1e300, 5e-324): the exact text, flagged; NaN/Infinity: dead letter |
| DATETIME/TIMESTAMP | Number | epoch seconds, microseconds kept |
| DATE | Number | epoch seconds of that midnight UTC |
| zero date 0000-00-00 | Null | an explicit null, unlike SQL NULL, which leaves the attribute out |
| TIME | Number | signed seconds with microseconds (TIME spans ±838:59:59) |
| CHAR/VARCHAR/TEXT | String | exactly (4-byte UTF-8, NUL, right-to-left, empty) |
| BLOB/BINARY/VARBINARY | Binary | |
| BIT(n) | Number | the unsigned value; decoded back to n bits |
| ENUM | String | |
| SET | String set | the empty set as an empty List (DynamoDB has no empty sets) |
| JSON | Map/List/Number/Boolean/Null | numbers as Decimal; a bare JSON string, a number DynamoDB cannot hold, or an empty object key: the exact JSON text (String), flagged |
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import math
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import ClassVar

import orjson

from schema.errors import Rejected
from schema.keys import as_utc

EPOCH = _dt.datetime(1970, 1, 1)
_MICRO = Decimal(1).scaleb(-6)
MAX_DIGITS = 38
MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
MIN_MAGNITUDE = Decimal("1E-130")
ZERO_DATE_PREFIX = "0000-00-00"
_INT_LIMIT = 10**MAX_DIGITS


class ValueRejected(Rejected):
    """A column value cannot be represented in DynamoDB; the row becomes a dead letter."""


def plain_decimal(value: Decimal) -> Decimal:
    """The shortest exact form of a Decimal: 1E+3 -> 1000, 1.500 -> 1.5.

    An integer whose plain form would need more than 38 digits keeps the exponent
    (1.2E+40): DynamoDB stores it exactly, boto3 refuses the 41-digit form.
    """
    with localcontext() as ctx:
        ctx.prec = 200
        normal = value.normalize()
        _, digits, exponent = normal.as_tuple()
        if exponent > 0 and len(digits) + exponent <= MAX_DIGITS:
            normal = normal.quantize(Decimal(1))
    return normal


def fits_dynamodb_number(value: Decimal | int) -> bool:
    """38 significant digits, magnitude within 1E-130 .. 9.99E+125 (or zero)."""
    if type(value) is int:
        return -_INT_LIMIT < value < _INT_LIMIT or fits_dynamodb_number(Decimal(value))
    if not value.is_finite():
        return False
    with localcontext() as ctx:
        ctx.prec = 200
        normal = value.normalize()
    if normal == 0:
        return True
    return len(normal.as_tuple().digits) <= MAX_DIGITS and MIN_MAGNITUDE <= abs(normal) <= MAX_MAGNITUDE


def epoch_seconds(moment: _dt.datetime) -> Decimal:
    """UTC epoch seconds with the microseconds kept exactly: 1759912345.123456."""
    moment = as_utc(moment)
    delta = moment - EPOCH
    whole = delta.days * 86_400 + delta.seconds
    micro = moment.microsecond
    if whole >= 0:  # the common case, built from text: exact, and without normalising a Decimal
        return Decimal(f"{whole}.{micro:06d}".rstrip("0")) if micro else Decimal(whole)
    return plain_decimal(Decimal(whole) + Decimal(micro) * _MICRO)


def from_epoch_seconds(value: Decimal | int) -> _dt.datetime:
    """Inverse of `epoch_seconds` (naive UTC)."""
    number = Decimal(value)
    whole = int(number.to_integral_value(rounding=ROUND_FLOOR))
    micros = int(((number - whole) / _MICRO).to_integral_value())
    return EPOCH + _dt.timedelta(seconds=whole, microseconds=micros)


def _is_zero_date(text: str) -> bool:
    return text.startswith(ZERO_DATE_PREFIX) and not text.strip("0-:. ")


@dataclass(frozen=True)
class Codec:
    """Base: identity both ways. `fallback(encoded)` says an encoding had to keep text."""

    stored_as: ClassVar[str] = "as read"

    def encode(self, value: object) -> object:
        return value

    def decode(self, value: object) -> object:
        return value

    def fallback(self, encoded: object) -> bool:
        return False


@dataclass(frozen=True)
class Text(Codec):
    stored_as: ClassVar[str] = "String"

    def encode(self, value: object) -> str:
        if isinstance(value, (bytes, bytearray)):
            try:
                return bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueRejected("bytes that are not UTF-8 text in a text column", "invalid_text") from None
        return str(value)

    def decode(self, value: object) -> str:
        return str(value)


@dataclass(frozen=True)
class Integer(Codec):
    stored_as: ClassVar[str] = "Number"

    def encode(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or int(value) != value:
            raise ValueRejected(f"expected an integer, got {value!r}", "not_an_integer")
        return int(value)

    def decode(self, value: object) -> int:
        return int(value)


@dataclass(frozen=True)
class Boolean(Codec):
    stored_as: ClassVar[str] = "Boolean"

    def encode(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise ValueRejected(f"boolean column holds {value!r}, not 0 or 1", "not_a_boolean")

    def decode(self, value: object) -> bool:
        return bool(value)


@dataclass(frozen=True)
class DateTime(Codec):
    """DATETIME/TIMESTAMP -> epoch seconds; the zero date -> Null."""

    stored_as: ClassVar[str] = "Number (epoch seconds)"

    def encode(self, value: object) -> Decimal | None:
        if isinstance(value, _dt.datetime):
            return epoch_seconds(value)
        if isinstance(value, str) and _is_zero_date(value):
            return None
        raise ValueRejected(f"not a valid datetime: {value!r}", "invalid_date")

    def decode(self, value: object) -> _dt.datetime | str:
        return "0000-00-00 00:00:00" if value is None else from_epoch_seconds(value)


@dataclass(frozen=True)
class Date(Codec):
    """DATE -> epoch seconds of its midnight UTC (a Number, never a string); zero date -> Null."""

    stored_as: ClassVar[str] = "Number (epoch seconds of midnight UTC)"

    def encode(self, value: object) -> int | None:
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return calendar.timegm(value.timetuple())
        if isinstance(value, str) and _is_zero_date(value):
            return None
        raise ValueRejected(f"not a valid date: {value!r}", "invalid_date")

    def decode(self, value: object) -> _dt.date | str:
        return "0000-00-00" if value is None else from_epoch_seconds(value).date()


@dataclass(frozen=True)
class Time(Codec):
    """TIME (a signed duration) -> seconds with microseconds."""

    stored_as: ClassVar[str] = "Number (seconds)"

    def encode(self, value: object) -> Decimal:
        if not isinstance(value, _dt.timedelta):
            raise ValueRejected(f"not a valid time: {value!r}", "invalid_date")
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return plain_decimal(Decimal(micros) * _MICRO)

    def decode(self, value: object) -> _dt.timedelta:
        return _dt.timedelta(microseconds=int(Decimal(value) / _MICRO))


@dataclass(frozen=True)
class DecimalNumber(Codec):
    """DECIMAL: a Number when DynamoDB can hold it exactly, else the exact text."""

    stored_as: ClassVar[str] = "Number (or exact text)"

    def encode(self, value: object) -> Decimal | str:
        number = Decimal(value)
        if not number.is_finite():
            raise ValueRejected(f"{value!r} cannot be stored in DynamoDB", "not_a_number")
        return plain_decimal(number) if fits_dynamodb_number(number) else format(number, "f")

    def decode(self, value: object) -> Decimal:
        return Decimal(value)

    def fallback(self, encoded: object) -> bool:
        return isinstance(encoded, str)


@dataclass(frozen=True)
class Float(Codec):
    """FLOAT/DOUBLE -> the shortest decimal that reads back as the same double (repr)."""

    stored_as: ClassVar[str] = "Number (or exact text)"

    def encode(self, value: object) -> Decimal | str:
        number = float(value)
        if not math.isfinite(number):
            raise ValueRejected(f"{number!r} cannot be stored in DynamoDB", "not_a_number")
        shortest = Decimal(repr(number))
        return plain_decimal(shortest) if fits_dynamodb_number(shortest) else repr(number)

    def decode(self, value: object) -> float:
        return float(value)

    def fallback(self, encoded: object) -> bool:
        return isinstance(encoded, str)


@dataclass(frozen=True)
class Binary(Codec):
    stored_as: ClassVar[str] = "Binary"

    def encode(self, value: object) -> bytes:
        if isinstance(value, str):
            return value.encode("utf-8")
        return bytes(value)

    def decode(self, value: object) -> bytes:
        return bytes(getattr(value, "value", value))


@dataclass(frozen=True)
class Bit(Codec):
    stored_as: ClassVar[str] = "Number"

    bits: int = 1

    def encode(self, value: object) -> int:
        if isinstance(value, int):
            return value
        return int.from_bytes(bytes(value), "big")

    def decode(self, value: object) -> bytes:
        return int(value).to_bytes((self.bits + 7) // 8, "big")


@dataclass(frozen=True)
class StringSet(Codec):
    """SET('a','b',...) as delivered ('a,b') -> a string set; the empty set -> an empty list."""

    stored_as: ClassVar[str] = "String set"

    def encode(self, value: object) -> set | list:
        members = set(value) if isinstance(value, (set, frozenset)) else {m for m in str(value).split(",") if m}
        return members if members else []

    def decode(self, value: object) -> frozenset:
        return frozenset(value)



def _reject_constant(name: str) -> None:
    raise ValueRejected(f"JSON value {name} cannot be stored in DynamoDB", "not_a_number")


def _decimals_for_floats(value: object) -> object:
    """A JSON structure decoded by a driver may hold floats; DynamoDB wants Decimal."""
    if isinstance(value, float):
        if not math.isfinite(value):
            _reject_constant(repr(value))
        return plain_decimal(Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): _decimals_for_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals_for_floats(v) for v in value]
    return value


class _NotNative(Exception):
    """This JSON value cannot be held natively by DynamoDB, exactly."""


def _native(value: object) -> object:
    """The JSON value with numbers in the form DynamoDB and boto3 take exactly, or _NotNative.

    One pass: numbers beyond 38 digits or DynamoDB's range, and empty object keys, cannot be
    stored natively; integers whose plain form is longer than 38 digits are sent in exponent
    form (see plain_decimal).
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_INT_LIMIT < value < _INT_LIMIT:
            return value
        if not fits_dynamodb_number(value):
            raise _NotNative
        return plain_decimal(Decimal(value))
    if kind is Decimal:
        if not fits_dynamodb_number(value):
            raise _NotNative
        return plain_decimal(value)
    if kind is dict:
        result = {}
        for name, member in value.items():
            if name == "":
                raise _NotNative
            result[name] = _native(member)
        return result
    if kind is list:
        return [_native(member) for member in value]
    raise _NotNative


# One decoder for every call: json.loads with options would build a new one each time.
_JSON_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
# Every JSON number with a fraction or an exponent has a digit right before its `.`, `e` or `E`,
# and every integer beyond 64 bits has 19 digits or more: texts with neither (most JSON columns)
# hold nothing orjson would turn into a float, so orjson's answer is exact.
_MAY_HOLD_FLOAT = re.compile(r"\d[.eE]|\d{19}")


def parse_json(text: str | bytes) -> object:
    """JSON text -> its value, numbers with a fraction as Decimal (never a float). orjson where it is
    exact (five times faster), else the json module; what orjson refuses goes to the json module,
    whose error (or NaN refusal) is the one reported."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    if not _MAY_HOLD_FLOAT.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return _JSON_DECODER.decode(text)


@dataclass(frozen=True)
class Json(Codec):
    """JSON -> map/list/number/boolean/null with numbers as Decimal, or its exact text.

    A JSON column stored as a String always holds JSON text: a bare JSON string, a number
    beyond DynamoDB's 38 digits or range, or an empty object key keep the text, so nothing
    is rounded and `decode` can always tell the two apart.
    """

    stored_as: ClassVar[str] = "Map / List / Number / Boolean / Null (JSON; or exact text)"

    def encode(self, value: object) -> object:
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("utf-8")
        if isinstance(value, str):
            try:
                parsed = parse_json(value)
            except json.JSONDecodeError as error:
                raise ValueRejected(f"invalid JSON: {error}", "invalid_json") from None
        else:
            parsed = _decimals_for_floats(value)
            value = None
        if not isinstance(parsed, str):
            try:
                return _native(parsed)
            except _NotNative:
                pass
        return value if value is not None else json.dumps(parsed, ensure_ascii=False, default=str)

    def decode(self, value: object) -> object:
        if isinstance(value, str):
            return parse_json(value)
        return value

    def fallback(self, encoded: object) -> bool:
        return isinstance(encoded, str)


TEXT = Text()
INTEGER = Integer()
BOOLEAN = Boolean()
DATETIME = DateTime()
DATE = Date()
TIME = Time()
DECIMAL = DecimalNumber()
FLOAT = Float()
BINARY = Binary()
ENUM = Text()
SET = StringSet()
JSON = Json()
