"""Key building blocks for the single table: joining, splitting, padding, timestamps, limits.

Each item type's own keys (builder, parser, shape) live with its spec in schema/entities/.
Keys are `#`-joined parts. So that a key can always be parsed back, a `#` is allowed only in
the last part of a key (an email, a Google id, a task id): anywhere else it is rejected with
`InvalidKeyPart`, which the migration turns into a dead letter naming the reason.
"""

from __future__ import annotations

import datetime as _dt

from schema.errors import Rejected

SEPARATOR = "#"
ID_DIGITS = 12
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


class InvalidKeyPart(Rejected):
    """A value cannot be placed in a key (empty, contains the separator, too long)."""

    default_code = "invalid_key"


def join_key(*parts: object) -> str:
    """Join key parts with `#`; every part but the last must be free of `#` and non-empty."""
    texts = [p if type(p) is str else str(p) for p in parts]
    key = SEPARATOR.join(texts)
    # The common case in one look: no empty part, and no `#` but the separators and the last part's.
    if "" not in texts and key.count(SEPARATOR) == len(texts) - 1 + texts[-1].count(SEPARATOR):
        return key
    for position, text in enumerate(texts):
        if text == "":
            raise InvalidKeyPart(f"empty key part at position {position} of {texts!r}")
        if SEPARATOR in text and position < len(texts) - 1:
            raise InvalidKeyPart(f"key part {text!r} contains {SEPARATOR!r}")
    return SEPARATOR.join(texts)


def split_key(key: str, parts: int) -> list[str]:
    """Inverse of `join_key` for a key known to have `parts` parts."""
    pieces = key.split(SEPARATOR, parts - 1)
    if len(pieces) != parts:
        raise InvalidKeyPart(f"key {key!r} does not have {parts} parts")
    return pieces


def padded_id(value: int) -> str:
    """`<id:12>`: the id left-padded to 12 digits so that keys sort numerically."""
    number = int(value)
    if number < 0 or number >= 10**ID_DIGITS:
        raise InvalidKeyPart(f"id {number} does not fit in {ID_DIGITS} digits")
    return f"{number:0{ID_DIGITS}d}"


def as_utc(moment: _dt.datetime) -> _dt.datetime:
    """MySQL DATETIME values are naive UTC; aware values are converted to naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return moment


def key_timestamp(moment: _dt.datetime) -> str:
    """`<ts>`: `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC; sorts chronologically as text."""
    return as_utc(moment).isoformat(timespec="microseconds") + "Z"  # naive: YYYY-MM-DDTHH:MM:SS.ffffff


def key_date(moment: _dt.datetime) -> str:
    """`YYYYMMDD` of the UTC day, as used in usage-log partition keys."""
    m = as_utc(moment)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}"


def check_key_sizes(pk: str, sk: str, index: str = "") -> None:
    """DynamoDB limits, for the table and each index: partition key 2048 bytes, sort key 1024 (UTF-8)."""
    pk_bytes = len(pk) if pk.isascii() else len(pk.encode("utf-8"))
    sk_bytes = len(sk) if sk.isascii() else len(sk.encode("utf-8"))
    where = f"{index} " if index else ""
    if pk_bytes > MAX_PARTITION_KEY_BYTES:
        raise InvalidKeyPart(f"{where}partition key is {pk_bytes} bytes (limit {MAX_PARTITION_KEY_BYTES})",
                             "key_too_long")
    if sk_bytes > MAX_SORT_KEY_BYTES:
        raise InvalidKeyPart(f"{where}sort key is {sk_bytes} bytes (limit {MAX_SORT_KEY_BYTES})", "key_too_long")


def key_part(text: str) -> str:
    """A key part that is not the last one: non-empty and free of `#`."""
    if text == "" or SEPARATOR in text:
        raise InvalidKeyPart(f"key part {text!r} is empty or contains {SEPARATOR!r}")
    return text


# --- parsers shared by several item types (the inverse of their key builders) ---

def int_after_prefix(key: str) -> tuple:
    """`PREFIX#<n>` -> (n,)."""
    return (int(split_key(key, 2)[1]),)


def id_in_pk(pk: str, sk: str) -> tuple:
    """The row id of a `PREFIX#<id>` partition key."""
    return int_after_prefix(pk)


def id_at_end_of_sk(pk: str, sk: str) -> tuple:
    """The row id ending a sort key (`...#<id:12>`)."""
    return (int(sk.rsplit(SEPARATOR, 1)[1]),)


META = "META"
