"""usage: a `ulog` item per usage log, in a partition per user and UTC day, kept 90 days.

The sort key puts the action first and ends with the row id: a rate-limit check is one key
condition, `PK = USR#<u>#ULOG#<today> AND begins_with(SK, 'ULOG#hint#')`, and two logs in
the same second never collide.
"""

from __future__ import annotations

import datetime as _dt
from typing import Mapping

from schema.codecs import INTEGER, JSON, TEXT
from schema.entities.users import USER_PREFIX
from schema.keys import SEPARATOR, id_at_end_of_sk, join_key, key_date, key_part, key_timestamp, padded_id, split_key
from schema.spec import ItemSpec, SourceSpec, attributes
from schema.ttl import TtlRule

ENTITY = "usage"
USAGE_PREFIX = "ULOG"
USAGE_SK_PREFIX = USAGE_PREFIX + SEPARATOR  # begins_with(SK, …): every log of the day, not its counters
USAGE_TTL = TtlRule(days=90)


def usage_pk(user_id: int, day: _dt.datetime | _dt.date) -> str:
    day_text = key_date(day) if isinstance(day, _dt.datetime) else day.strftime("%Y%m%d")
    return join_key(USER_PREFIX, int(user_id), USAGE_PREFIX, day_text)


def usage_sk_prefix(action: str) -> str:
    """`ULOG#<action>#`: the rate-limit key condition `begins_with(SK, …)`."""
    return f"{USAGE_PREFIX}{SEPARATOR}{key_part(action)}{SEPARATOR}"


def usage_sk(action: str, created_at: _dt.datetime, row_id: int) -> str:
    return join_key(USAGE_PREFIX, action, key_timestamp(created_at), padded_id(row_id))


def action_of(sk: str) -> str:
    return split_key(sk, 3)[1]


def _usage_keys(row) -> dict:
    return {"PK": usage_pk(row["user_id"], row["created_at"]),
            "SK": usage_sk(str(row["action"]), row["created_at"], row["id"])}


def _user_from_keys(item: Mapping) -> dict:
    return {"user_id": int(split_key(item["PK"], 4)[1])}


USAGE_LOG = ItemSpec(
    tp="ulog", source="usage_logs", entity=ENTITY, key_builder=_usage_keys, identity_from_key=id_at_end_of_sk,
    key_shapes={"PK": "USR#<user_id>#ULOG#<YYYYMMDD>", "SK": "ULOG#<action>#<ts>#<id:12>"},
    key_decoder=_user_from_keys, ttl=USAGE_TTL,
    key_columns=("user_id",), required_columns=("user_id", "action"),
    attributes=attributes(("act", "action", TEXT), ("pid", "problem_id", INTEGER), ("met", "metadata", JSON)),
)

ITEMS = (USAGE_LOG,)
SOURCES = (
    SourceSpec(
        table="usage_logs", key="id", key_is_integer=True, items=("ulog",),
        columns=("id", "user_id", "action", "problem_id", "metadata", "created_at"),
    ),
)
