"""history: a `hist` item per search-history row, on two timelines.

GSI1 is overloaded for "a user's history, newest first" (`HIST#USR#<user_id>`, or
`HIST#UIDT#<user_identifier>` for anonymous rows); public rows also get GSI2 keys for the
public timeline. Both timeline sort keys sort oldest first; pages are read newest first
with ScanIndexForward=False.
"""

from __future__ import annotations

import datetime as _dt

from schema.codecs import BOOLEAN, INTEGER, JSON, TEXT
from schema.keys import META, InvalidKeyPart, id_in_pk, join_key, key_timestamp, padded_id
from schema.spec import ItemSpec, SourceSpec, attributes

ENTITY = "history"
HISTORY_PREFIX = "HIST"
PUBLIC_GSI2PK = join_key(HISTORY_PREFIX, "PUBLIC")


def history_pk(history_id: int) -> str:
    return join_key(HISTORY_PREFIX, int(history_id))


def user_history_gsi1pk(user_id: int | None, user_identifier: str | None) -> str:
    if user_id is not None:
        return join_key(HISTORY_PREFIX, "USR", int(user_id))
    if user_identifier is None:
        raise InvalidKeyPart("history row has neither user_id nor user_identifier")
    return join_key(HISTORY_PREFIX, "UIDT", user_identifier)


def timeline_sk(created_at: _dt.datetime, row_id: int) -> str:
    """`<ts>#<id:12>`: sorts oldest first by time, ties broken by id (read newest first)."""
    return join_key(key_timestamp(created_at), padded_id(row_id))


def _history_keys(row) -> dict:
    timeline = timeline_sk(row["created_at"], row["id"])
    item = {
        "PK": history_pk(row["id"]),
        "SK": META,
        "GSI1PK": user_history_gsi1pk(row.get("user_id"), row.get("user_identifier")),
        "GSI1SK": timeline,
    }
    if BOOLEAN.encode(row["is_code_public"]):
        item["GSI2PK"] = PUBLIC_GSI2PK
        item["GSI2SK"] = timeline
    return item


HISTORY = ItemSpec(
    tp="hist", source="search_history", entity=ENTITY, key_builder=_history_keys, identity_from_key=id_in_pk,
    key_shapes={"PK": "HIST#<id>", "SK": "META",
                "GSI1PK": "HIST#USR#<user_id> | HIST#UIDT#<user_identifier> (user_id NULL)",
                "GSI1SK": "<ts>#<id:12>",
                "GSI2PK": "HIST#PUBLIC (public rows only)", "GSI2SK": "<ts>#<id:12> (public rows only)"},
    required_columns=("is_code_public",),
    attributes=attributes(
        ("uid", "user_id", INTEGER), ("uidt", "user_identifier", TEXT),
        ("pid", "problem_id", INTEGER), ("plt", "platform", TEXT),
        ("pno", "problem_number", TEXT), ("ptt", "problem_title", TEXT),
        ("lng", "language", TEXT), ("cod", "code", TEXT), ("res", "result_summary", JSON),
        ("psc", "passed_count", INTEGER), ("fsc", "failed_count", INTEGER),
        ("toc", "total_count", INTEGER), ("pub", "is_code_public", BOOLEAN),
        ("trs", "test_results", JSON), ("hnt", "hints", JSON), ("met", "metadata", JSON),
    ),
)

ITEMS = (HISTORY,)
SOURCES = (
    SourceSpec(
        table="search_history", key="id", key_is_integer=True, items=("hist",),
        columns=("id", "user_id", "user_identifier", "problem_id", "platform", "problem_number",
                 "problem_title", "language", "code", "result_summary", "passed_count",
                 "failed_count", "total_count", "is_code_public", "test_results", "hints",
                 "metadata", "created_at"),
    ),
)
