"""UserRepository: users by id, email (any letter case) and Google id, with unique emails.

Application field names in and out: `user_id`, `email`, `name`, `subscription_plan_id`,
`is_active`, ... (the Django columns; `id` is `user_id`, as in the migration guide).

Uniqueness: email (case-insensitively) and Google id are each guarded by an item
`UNIQUE#EMAIL#<lower email>` / `UNIQUE#GID#<google id>` written in the same transaction as
the user with `attribute_not_exists`, so two concurrent sign-ups cannot both win. Migrated
users have no guard items, so creating or renaming also checks GSI1 first.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from repositories.base import (
    AlreadyExists, Conflict, DuplicateEmail, DuplicateGoogleId, NotFound, check_fields, page, to_row,
    transaction_reasons, type_is, utc_now,
)
from schema.app_items import (
    EMAIL_GUARD, GOOGLE_ID_GUARD, UNIQUE_GUARD_TP, email_guard_key, google_id_guard_key, guard_kind,
)
from schema.entities.users import GOOGLE_ID, GOOGLE_ID_SK, USER, email_gsi1pk, google_id_gsi1pk, user_pk
from schema.keys import META

DEFAULTS = {"password": "!", "last_login": None, "is_superuser": False, "name": "", "picture": "",
            "google_id": None, "is_active": True, "is_staff": False, "subscription_plan_id": None,
            "subscription_plan_id_dynamodb": None}
_APP_FIELDS = {"user_id", "created_at", "updated_at", *DEFAULTS, "email"}


def _app(row: dict | None) -> dict | None:
    if row is None:
        return None
    user = dict(row)
    user["user_id"] = user.pop("id")
    return user


def as_row(user: dict | None) -> dict | None:
    """A user as this repository returns it -> the `users` row it stands for (`user_id` is `id`);
    a row already is one."""
    if user is None or "user_id" not in user:
        return user
    row = dict(user)
    row["id"] = row.pop("user_id")
    return row


class UserRepository:
    def __init__(self, table):
        self.table = table
        self._client = table.meta.client

    # --- reads ---

    def get_user_by_id(self, user_id: int) -> dict | None:
        item = self.table.get_item(Key={"PK": user_pk(user_id), "SK": META}, ConsistentRead=True).get("Item")
        return _app(to_row(USER, item))

    def get_user_by_email(self, email: str) -> dict | None:
        """Login by email in any letter case (GSI1 `EMAIL#<lower email>`)."""
        found = self.table.query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                                 ExpressionAttributeValues={":pk": email_gsi1pk(email)})["Items"]
        users = [item for item in found if item.get("tp") == USER.tp]
        return _app(to_row(USER, users[0])) if users else None

    def get_user_by_google_id(self, google_id: str) -> dict | None:
        found = self.table.query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                                 ExpressionAttributeValues={":pk": google_id_gsi1pk(google_id)})["Items"]
        for item in found:
            if item.get("tp") == GOOGLE_ID.tp:
                return self.get_user_by_id(int(item["dat"]["id"]))
        return None

    def user_exists(self, user_id: int) -> bool:
        return "Item" in self.table.get_item(Key={"PK": user_pk(user_id), "SK": META},
                                             ProjectionExpression="PK")

    def list_users(self, limit: int = 50, cursor: str | None = None,
                   plan_id: int | None = None) -> tuple[list[dict], str | None]:
        """An admin listing (a filtered Scan, in no order), a page at a time; of one plan's users
        when `plan_id` is given."""
        condition = type_is(USER) if plan_id is None else type_is(USER) & Attr("dat.plan").eq(plan_id)
        items, next_cursor = page(self.table, limit, cursor, "scan", FilterExpression=condition)
        return [_app(to_row(USER, item)) for item in items], next_cursor

    # --- writes ---

    def create_user(self, user: dict) -> dict:
        """Create a user from application fields; DuplicateEmail / DuplicateGoogleId / AlreadyExists."""
        check_fields(user, _APP_FIELDS, "user")
        if "user_id" not in user or not user.get("email"):
            raise ValueError("a user needs user_id and email")
        now = utc_now()
        row = {**DEFAULTS, "created_at": now, "updated_at": now, **user}
        row["id"] = row.pop("user_id")
        self._check_unique(row["email"], row.get("google_id"), row["id"])
        actions = [{"Put": {"TableName": self.table.name, "Item": USER.to_item(row),
                            "ConditionExpression": "attribute_not_exists(PK)"}},
                   {"Put": {"TableName": self.table.name, "Item": {**email_guard_key(row["email"]), "tp": UNIQUE_GUARD_TP,
                                                                    "dat": {"id": row["id"]}},
                            "ConditionExpression": "attribute_not_exists(PK)"}}]
        if row.get("google_id") is not None:
            actions += [{"Put": {"TableName": self.table.name, "Item": GOOGLE_ID.to_item(row),
                                 "ConditionExpression": "attribute_not_exists(PK)"}},
                        {"Put": {"TableName": self.table.name,
                                 "Item": {**google_id_guard_key(row["google_id"]), "tp": UNIQUE_GUARD_TP, "dat": {"id": row["id"]}},
                                 "ConditionExpression": "attribute_not_exists(PK)"}}]
        self._transact(actions, row)
        return _app(row)

    def batch_create_users(self, users: list[dict]) -> dict:
        """Create each user; returns {"created": [...], "failed": [(user, reason), ...]}."""
        created, failed = [], []
        for user in users:
            try:
                created.append(self.create_user(user))
            except (AlreadyExists, ValueError) as error:
                failed.append((user, f"{type(error).__name__}: {error}"))
        return {"created": created, "failed": failed}

    def update_user(self, user_id: int, changes: dict) -> dict:
        """Change fields (email and Google id included, keeping them unique); Conflict if the
        user changed meanwhile."""
        if "user_id" in changes or "created_at" in changes:
            raise ValueError("user_id and created_at cannot change")
        check_fields(changes, _APP_FIELDS, "user")
        current = self._current(user_id)
        row = {**current, **changes, "updated_at": utc_now()}
        email_changed = row["email"].lower() != current["email"].lower()
        google_changed = row.get("google_id") != current.get("google_id")
        self._check_unique(row["email"] if email_changed else None, row.get("google_id") if google_changed else None,
                           user_id)
        name = self.table.name
        actions = [{"Put": {"TableName": name, "Item": USER.to_item(row), "ConditionExpression": "upd = :seen",
                            "ExpressionAttributeValues": {":seen": USER.to_item(current)["upd"]}}}]
        if email_changed:
            actions += [{"Delete": {"TableName": name, "Key": email_guard_key(current["email"])}},
                        {"Put": {"TableName": name, "Item": {**email_guard_key(row["email"]), "tp": UNIQUE_GUARD_TP,
                                                              "dat": {"id": user_id}},
                                 "ConditionExpression": "attribute_not_exists(PK)"}}]
        if google_changed and current.get("google_id") is not None:
            actions.append({"Delete": {"TableName": name, "Key": google_id_guard_key(current["google_id"])}})
        if google_changed and row.get("google_id") is not None:
            actions.append({"Put": {"TableName": name, "Item": {**google_id_guard_key(row["google_id"]), "tp": UNIQUE_GUARD_TP,
                                                                 "dat": {"id": user_id}},
                                    "ConditionExpression": "attribute_not_exists(PK)"}})
        if row.get("google_id") is not None:  # the look-up item, replaced (or kept in step with upd)
            actions.append({"Put": {"TableName": name, "Item": GOOGLE_ID.to_item(row)}})
        elif current.get("google_id") is not None:
            actions.append({"Delete": {"TableName": name, "Key": {"PK": user_pk(user_id), "SK": GOOGLE_ID_SK}}})
        self._transact(actions, row)
        return _app(row)

    def update_subscription_plan(self, user_id: int, plan_id: int | None) -> dict:
        return self.update_user(user_id, {"subscription_plan_id": plan_id})

    def activate_user(self, user_id: int) -> dict:
        return self.update_user(user_id, {"is_active": True})

    def deactivate_user(self, user_id: int) -> dict:
        return self.update_user(user_id, {"is_active": False})

    def delete_user(self, user_id: int) -> None:
        """The user, its Google-id look-up item and its uniqueness guards."""
        current = self._current(user_id)
        name = self.table.name
        actions = [{"Delete": {"TableName": name, "Key": {"PK": user_pk(user_id), "SK": META}}},
                   {"Delete": {"TableName": name, "Key": email_guard_key(current["email"])}}]
        if current.get("google_id") is not None:
            actions += [{"Delete": {"TableName": name, "Key": {"PK": user_pk(user_id), "SK": GOOGLE_ID_SK}}},
                        {"Delete": {"TableName": name, "Key": google_id_guard_key(current["google_id"])}}]
        self._client.transact_write_items(TransactItems=actions)

    # --- helpers ---

    def _current(self, user_id: int) -> dict:
        item = self.table.get_item(Key={"PK": user_pk(user_id), "SK": META}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"no user {user_id}")
        return to_row(USER, item)

    def _check_unique(self, email: str | None, google_id: str | None, user_id: int) -> None:
        """Migrated users have no guard items: look them up by GSI1 first."""
        if email:
            other = self.get_user_by_email(email)
            if other and other["user_id"] != user_id:
                raise DuplicateEmail(f"email {email} is already used by user {other['user_id']}")
        if google_id is not None:
            other = self.get_user_by_google_id(google_id)
            if other and other["user_id"] != user_id:
                raise DuplicateGoogleId(f"Google id {google_id} is already used by user {other['user_id']}")

    def _transact(self, actions: list[dict], row: dict) -> None:
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = transaction_reasons(error)
            for action, reason in zip(actions, reasons):
                if reason != "ConditionalCheckFailed":
                    continue
                key = (action.get("Put") or action.get("Delete") or {}).get("Item") or {}
                pk = key.get("PK", "")
                if guard_kind(pk) == EMAIL_GUARD:
                    raise DuplicateEmail(f"email {row['email']} is already used") from None
                if guard_kind(pk) == GOOGLE_ID_GUARD:
                    raise DuplicateGoogleId(f"Google id {row.get('google_id')} is already used") from None
                if action.get("Put", {}).get("ConditionExpression") == "upd = :seen":
                    raise Conflict(f"user {row['id']} changed meanwhile; read it again") from None
                raise AlreadyExists(f"user {row['id']} already exists") from None
            raise
