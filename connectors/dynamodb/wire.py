"""DynamoDB JSON, the low-level wire form, built once per item (no Beam, no boto3 here).

The write path's client CPU per item is what limits a load against DynamoDB Local (and costs
money on AWS workers), so items are serialised to their DynamoDB JSON text once, when they
are mapped, and a batch's request body is a join of those texts (`batch_write_body`); the
signed transport (transport.py) sends it as it is.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import orjson
from boto3.dynamodb.types import TypeDeserializer

from schema.item_size import item_size, write_units

MAX_REQUEST_BYTES = 16 * 1024 * 1024


_PUT_OPEN, _PUT_CLOSE = b'{"PutRequest":{"Item":', b"}}"
_DELETE_OPEN, _DELETE_CLOSE = b'{"DeleteRequest":{"Key":', b"}}"
_PUT_WRAPPER_BYTES = len(_PUT_OPEN) + len(_PUT_CLOSE) + 1  # and the comma between requests
_DELETE_WRAPPER_BYTES = len(_DELETE_OPEN) + len(_DELETE_CLOSE) + 1


class EncodedItem(NamedTuple):
    """A write ready to send: its keys (to batch and match UnprocessedItems), its type, its
    DynamoDB JSON as UTF-8 bytes (encoded once; requests are joins of them), and the write
    units it costs. A put carries the whole item; a delete (`delete=True`) only the key.
    `origin` names where the item came from (a key range), for AfterWritten. A NamedTuple:
    one is made per item, and it costs a third of a frozen dataclass to make."""

    pk: str
    sk: str
    tp: str
    json: bytes
    write_units: int
    origin: str | None = None
    delete: bool = False

    @property
    def request_bytes(self) -> int:
        return len(self.json) + (_DELETE_WRAPPER_BYTES if self.delete else _PUT_WRAPPER_BYTES)


@dataclass(frozen=True)
class AfterWritten:
    """A marker in a stream of EncodedItems: once exactly `expected_items` items tagged `origin`
    have been written and none of them failed, write `item` (e.g. "this key range is done")."""

    origin: str
    expected_items: int
    item: EncodedItem


def encode_item(item: dict, size: int | None = None, origin: str | None = None) -> EncodedItem:
    """A Python-valued item -> EncodedItem; `size`: its DynamoDB size when already computed.
    TypeError/ValueError for what DynamoDB cannot store (a float NaN, an empty set...)."""
    return EncodedItem(item["PK"], item["SK"], item["tp"], item_json(item),
                       write_units(item_size(item) if size is None else size), origin)


def encode_delete(pk: str, sk: str, tp: str) -> EncodedItem:
    """A delete of the item at (pk, sk); a delete costs at least one write unit."""
    return EncodedItem(pk, sk, tp, orjson.dumps({"PK": {"S": pk}, "SK": {"S": sk}}), 1, delete=True)


def attribute_value(value: object) -> dict:
    """A Python item value -> its DynamoDB JSON attribute value (the low-level wire form)."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is Decimal:
        if kind is Decimal and not value.is_finite():
            raise ValueError(f"{value} is not a number DynamoDB can store")
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if kind is dict:
        return {"M": {str(k): attribute_value(v) for k, v in value.items()}}
    if kind is list or kind is tuple:
        return {"L": [attribute_value(v) for v in value]}
    if kind is bytes or kind is bytearray:
        return {"B": base64.b64encode(value).decode("ascii")}
    if kind is set or kind is frozenset:
        if not value:
            raise ValueError("DynamoDB has no empty sets")
        members = list(value)
        if all(type(m) is str for m in members):
            return {"SS": members}
        if all(type(m) in (int, Decimal) for m in members):
            return {"NS": [str(m) for m in members]}
        if all(type(m) in (bytes, bytearray) for m in members):
            return {"BS": [base64.b64encode(m).decode("ascii") for m in members]}
        raise TypeError("a set must hold only strings, only numbers or only binary")
    if hasattr(value, "value") and type(value).__name__ == "Binary":  # boto3.dynamodb.types.Binary
        return attribute_value(bytes(value.value))
    raise TypeError(f"{kind.__name__} is not a DynamoDB type")


def item_wire(item: dict) -> dict:
    """A Python-valued item in DynamoDB JSON (as a Scan returns it)."""
    return {name: attribute_value(value) for name, value in item.items()}


def item_json(item: dict) -> bytes:
    """The item's DynamoDB JSON as compact UTF-8 (orjson: a tenth of the json module's time; a
    string that is not valid Unicode, a lone surrogate, is a TypeError, as encode_item says)."""
    return orjson.dumps(item_wire(item))


def batch_write_body(table: str, items: list[EncodedItem], consumed_capacity: bool = True) -> bytes:
    puts = b",".join(_DELETE_OPEN + item.json + _DELETE_CLOSE if item.delete else _PUT_OPEN + item.json + _PUT_CLOSE
                     for item in items)
    tail = b',"ReturnConsumedCapacity":"TOTAL"' if consumed_capacity else b""
    return b'{"RequestItems":{' + json.dumps(table).encode("utf-8") + b":[" + puts + b"]}" + tail + b"}"


_DESERIALIZER = TypeDeserializer()


def item_of(wire_item: dict) -> dict:
    """An item in DynamoDB JSON as boto3 reads it (Decimal numbers, Binary, sets): what the specs'
    from_item and the repositories take."""
    return {name: _DESERIALIZER.deserialize(value) for name, value in wire_item.items()}


def value_of(attribute: dict) -> object:
    """One attribute value (DynamoDB JSON) as boto3 reads it."""
    return _DESERIALIZER.deserialize(attribute)
