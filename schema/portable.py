"""Row and item values as plain JSON and back, for dead-letter files a person can read and replay.

JSON has no datetime, Decimal, bytes or set; those become one-key objects
({"$dt": ...}, {"$dec": ...}, {"$b64": ...}, {"$set": [...]}) that `from_portable` reverses.
"""

from __future__ import annotations

import base64
import datetime as _dt
from decimal import Decimal


def to_portable(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, _dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"$td": value.total_seconds()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((to_portable(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {str(k): to_portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_portable(v) for v in value]
    return {"$repr": repr(value)}


_DECODERS = {
    "$float": float,
    "$dec": Decimal,
    "$dt": _dt.datetime.fromisoformat,
    "$date": _dt.date.fromisoformat,
    "$td": lambda s: _dt.timedelta(seconds=s),
    "$b64": lambda s: base64.b64decode(s),
}


def from_portable(value: object) -> object:
    if isinstance(value, list):
        return [from_portable(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag in _DECODERS:
                return _DECODERS[tag](inner)
            if tag == "$set":
                return {from_portable(v) for v in inner}
        return {k: from_portable(v) for k, v in value.items()}
    return value
