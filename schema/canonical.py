"""A canonical form of item values, for comparing what the source implies with what the
table holds: numbers as normalised Decimal, binary as bytes, sets as frozensets, maps as
dicts. Built either from Python values (an item the mapping produced) or from DynamoDB JSON
(an item a Scan returned), so both sides meet in one form.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from schema import compression
from schema.codecs import JSON, plain_decimal

_MISSING = object()


def from_python(value: object) -> object:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, Decimal)):
        return plain_decimal(Decimal(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _binary(bytes(value))
    if hasattr(value, "value") and type(value).__name__ == "Binary":  # boto3.dynamodb.types.Binary
        return _binary(bytes(value.value))
    if isinstance(value, (set, frozenset)):
        return frozenset(from_python(v) for v in value)
    if isinstance(value, dict):
        return {str(k): from_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_python(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def from_wire(attribute: dict) -> object:
    """One DynamoDB JSON attribute value ({'S': ...}, {'M': {...}}, ...) -> canonical form."""
    (kind, value), = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return plain_decimal(Decimal(value))
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "B":  # bytes from boto3; base64 text in raw DynamoDB JSON
        return _binary(base64.b64decode(value) if isinstance(value, str) else bytes(value))
    if kind == "M":
        return {k: from_wire(v) for k, v in value.items()}
    if kind == "L":
        return [from_wire(v) for v in value]
    if kind == "SS":
        return frozenset(value)
    if kind == "NS":
        return frozenset(plain_decimal(Decimal(v)) for v in value)
    if kind == "BS":
        return frozenset(base64.b64decode(v) if isinstance(v, str) else bytes(v) for v in value)
    raise TypeError(f"unknown DynamoDB type {kind}")


def _binary(value: bytes) -> object:
    """Binary as bytes; a compressed attribute as what it would be uncompressed."""
    if not compression.is_compressed(value):
        return value
    kind, text = compression.decompress(value)
    return from_python(JSON.encode(text)) if kind == compression.JSON_TEXT else text


def item_from_wire(item: dict) -> dict:
    return {name: from_wire(value) for name, value in item.items()}


def item_from_python(item: dict) -> dict:
    return {name: from_python(value) for name, value in item.items()}


def differing_paths(expected: object, actual: object, path: str = "") -> list[str]:
    """Attribute paths where two canonical values differ: `dat.met.difficulty`, `dat.tag[2]`.

    A key present on one side only is reported at its own path; values of different types
    are reported where they meet; lists of different lengths at the list itself.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        paths = []
        for key in sorted(set(expected) | set(actual)):
            child = f"{path}.{key}" if path else key
            left, right = expected.get(key, _MISSING), actual.get(key, _MISSING)
            if left is _MISSING or right is _MISSING:
                paths.append(child)
            else:
                paths.extend(differing_paths(left, right, child))
        return paths
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        paths = []
        for index, (left, right) in enumerate(zip(expected, actual)):
            paths.extend(differing_paths(left, right, f"{path}[{index}]"))
        return paths
    if type(expected) is not type(actual) or expected != actual:
        return [path or "(item)"]
    return []
