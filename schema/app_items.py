"""Items the application's repositories write besides the migrated ones: uniqueness guards,
id sequences and daily usage counters. Verify and repair never count or touch them."""

from __future__ import annotations

import datetime as _dt

from schema.entities.usage import usage_pk
from schema.keys import join_key
from schema.spec import ExtraItemType

UNIQUE_GUARD_TP = "uniq"
SEQUENCE_TP = "seq"
USAGE_COUNTER_TP = "ulog_cnt"

_UNIQUE = "UNIQUE"
EMAIL_GUARD = "EMAIL"
GOOGLE_ID_GUARD = "GID"
_SEQUENCE = "SEQ"
_COUNTER = "COUNT"


def unique_guard_key(kind: str, value: str) -> dict:
    """`UNIQUE#<kind>#<value>`: exists while some user holds that email (lower-cased) or Google id."""
    return {"PK": join_key(_UNIQUE, kind, value), "SK": _UNIQUE}


def email_guard_key(email: str) -> dict:
    return unique_guard_key(EMAIL_GUARD, email.lower())


def google_id_guard_key(google_id: str) -> dict:
    return unique_guard_key(GOOGLE_ID_GUARD, google_id)


def guard_kind(pk: str) -> str | None:
    """EMAIL_GUARD or GOOGLE_ID_GUARD for a guard item's partition key, else None."""
    parts = pk.split("#", 2)
    return parts[1] if len(parts) == 3 and parts[0] == _UNIQUE else None


def sequence_key(source_table: str) -> dict:
    return {"PK": join_key(_SEQUENCE, source_table), "SK": _SEQUENCE}


def usage_counter_key(user_id: int, day: _dt.datetime, action: str) -> dict:
    """The day's counter of one action, beside that day's usage logs."""
    return {"PK": usage_pk(user_id, day), "SK": join_key(_COUNTER, action)}


APP_ITEM_TYPES = (
    ExtraItemType(UNIQUE_GUARD_TP, {"PK": "UNIQUE#EMAIL#<lower(email)> | UNIQUE#GID#<google_id>", "SK": "UNIQUE"},
                  {"dat.id": "the user holding the email or Google id"},
                  "UserRepository, in the same transaction as the user"),
    ExtraItemType(SEQUENCE_TP, {"PK": "SEQ#<source table>", "SK": "SEQ"},
                  {"nxt": "the last id handed out (new ids start above 10^9)"},
                  "IdAllocator, a block of ids at a time"),
    ExtraItemType(USAGE_COUNTER_TP, {"PK": "USR#<user_id>#ULOG#<YYYYMMDD>", "SK": "COUNT#<action>"},
                  {"cnt": "uses of the action that day"},
                  "UsageLogRepository.consume, in the same transaction as the log", ttl="next UTC midnight + 2 days"),
)
