"""users: a `usr` item per user, and a `usr_gid` look-up item for users with a Google id.

One item can carry one GSI1 key, so login by email (GSI1 `EMAIL#…`) and login by Google id
(GSI1 `GID#…`) need two items.
"""

from __future__ import annotations

from typing import Mapping

from schema.codecs import BOOLEAN, DATETIME, INTEGER, TEXT
from schema.keys import META, id_in_pk, join_key, split_key
from schema.spec import ItemSpec, SourceSpec, attributes

ENTITY = "users"
USER_PREFIX = "USR"
EMAIL_PREFIX = "EMAIL"
GOOGLE_ID_PREFIX = "GID"
GOOGLE_ID_SK = "GID"


def user_pk(user_id: int) -> str:
    return join_key(USER_PREFIX, int(user_id))


def email_gsi1pk(email: str) -> str:
    """Emails are looked up lower-cased; the item keeps the email as typed."""
    return join_key(EMAIL_PREFIX, email.lower())


def google_id_gsi1pk(google_id: str) -> str:
    return join_key(GOOGLE_ID_PREFIX, google_id)


def _user_keys(row) -> dict:
    pk = user_pk(row["id"])
    return {"PK": pk, "SK": META, "GSI1PK": email_gsi1pk(str(row["email"])), "GSI1SK": pk}


def _google_id_keys(row) -> dict:
    pk = user_pk(row["id"])
    return {"PK": pk, "SK": GOOGLE_ID_SK, "GSI1PK": google_id_gsi1pk(str(row["google_id"])), "GSI1SK": pk}


def _google_id_from_keys(item: Mapping) -> dict:
    return {"google_id": split_key(item["GSI1PK"], 2)[1]}


USER = ItemSpec(
    tp="usr", source="users", entity=ENTITY, key_builder=_user_keys, identity_from_key=id_in_pk,
    key_shapes={"PK": "USR#<id>", "SK": "META", "GSI1PK": "EMAIL#<lower(email)>", "GSI1SK": "USR#<id>"},
    updated="updated_at", required_columns=("email",),
    attributes=attributes(
        ("em", "email", TEXT), ("nm", "name", TEXT), ("pic", "picture", TEXT),
        ("gid", "google_id", TEXT), ("plan", "subscription_plan_id", INTEGER),
        ("pdd", "subscription_plan_id_dynamodb", INTEGER), ("act", "is_active", BOOLEAN),
        ("stf", "is_staff", BOOLEAN), ("su", "is_superuser", BOOLEAN),
        ("pwd", "password", TEXT), ("lli", "last_login", DATETIME),
    ),
)

GOOGLE_ID = ItemSpec(
    tp="usr_gid", source="users", entity=ENTITY, key_builder=_google_id_keys, identity_from_key=id_in_pk,
    key_shapes={"PK": "USR#<id>", "SK": "GID", "GSI1PK": "GID#<google_id>", "GSI1SK": "USR#<id>"},
    updated="updated_at", key_columns=("google_id",), only_when_present="google_id", attributes=(),
    key_decoder=_google_id_from_keys,
)

ITEMS = (USER, GOOGLE_ID)
SOURCES = (
    SourceSpec(
        table="users", key="id", key_is_integer=True, items=("usr", "usr_gid"),
        columns=("id", "password", "last_login", "is_superuser", "email", "name", "picture",
                 "google_id", "is_active", "is_staff", "created_at", "updated_at",
                 "subscription_plan_id", "subscription_plan_id_dynamodb"),
    ),
)
