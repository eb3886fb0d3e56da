"""SearchHistoryRepository: a user's history and the public timeline, newest first."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from connectors.dynamodb.reads import MAX_BATCH_GET_KEYS, batch_get
from repositories.base import (
    IdAllocator, NotFound, condition_failed, count_query, page, put_new, replace_existing, to_row, utc_now,
)
from schema.entities.history import HISTORY, PUBLIC_GSI2PK, history_pk, user_history_gsi1pk
from schema.keys import META

DEFAULTS = {"user_id": None, "test_results": None, "hints": None, "metadata": {}, "result_summary": {},
            "passed_count": 0, "failed_count": 0, "total_count": 0, "is_code_public": False, "code": "",
            "language": "", "problem_title": ""}


class SearchHistoryRepository:
    def __init__(self, table, ids: IdAllocator | None = None):
        self.table = table
        self._client = table.meta.client  # the resource's client: Python values in and out
        self._ids = ids or IdAllocator(table)

    def create_history(self, history: dict) -> dict:
        """GSI1 (`HIST#USR#<user>` or `HIST#UIDT#<identifier>`) always; GSI2 (`HIST#PUBLIC`) when public."""
        if history.get("user_id") is None and not history.get("user_identifier"):
            raise ValueError("a history entry needs user_id or user_identifier")
        row = {**DEFAULTS, "created_at": utc_now(), **history}
        if not row.get("user_identifier"):
            row["user_identifier"] = f"user-{row['user_id']}"
        row["id"] = row.get("id") or self._ids.next_id("search_history")
        put_new(self.table, HISTORY.to_item(row), f"history {row['id']}")
        return row

    def get_history(self, history_id: int) -> dict | None:
        return to_row(HISTORY, self.table.get_item(Key={"PK": history_pk(history_id), "SK": META}).get("Item"))

    def update_hints(self, history_id: int, hints: list | None) -> dict:
        return self._update(history_id, {"hints": hints})

    def update_public_status(self, history_id: int, is_public: bool) -> dict:
        """Adds or removes the GSI2 keys with the flag (the item is rebuilt from the spec)."""
        return self._update(history_id, {"is_code_public": bool(is_public)})

    def delete_history(self, history_id: int) -> None:
        try:
            self.table.delete_item(Key={"PK": history_pk(history_id), "SK": META},
                                   ConditionExpression="attribute_exists(PK)")
        except ClientError as error:
            if condition_failed(error):
                raise NotFound(f"no history {history_id}") from None
            raise

    def list_user_history(self, user_id: int, limit: int = 20, cursor: str | None = None):
        items, next_cursor = page(self.table, limit, cursor, IndexName="GSI1", ScanIndexForward=False,
                                  KeyConditionExpression=Key("GSI1PK").eq(user_history_gsi1pk(user_id, None)))
        return [to_row(HISTORY, item) for item in items], next_cursor

    def count_user_history(self, user_id: int) -> int:
        return count_query(self.table, IndexName="GSI1",
                           KeyConditionExpression=Key("GSI1PK").eq(user_history_gsi1pk(user_id, None)))

    def list_public_history(self, limit: int = 20, cursor: str | None = None):
        """GSI2 (keys only) newest first, then the full items with BatchGetItem, in timeline order."""
        index_items, next_cursor = page(self.table, limit, cursor, IndexName="GSI2", ScanIndexForward=False,
                                        KeyConditionExpression=Key("GSI2PK").eq(PUBLIC_GSI2PK))
        wanted = [{"PK": i["PK"], "SK": i["SK"]} for i in index_items]
        found = {}
        for start in range(0, len(wanted), MAX_BATCH_GET_KEYS):
            for item in batch_get(self._client, self.table.name, wanted[start:start + MAX_BATCH_GET_KEYS]):
                found[(item["PK"], item["SK"])] = item
        entries = [to_row(HISTORY, found[(k["PK"], k["SK"])]) for k in wanted if (k["PK"], k["SK"]) in found]
        return entries, next_cursor

    def _update(self, history_id: int, changes: dict) -> dict:
        current = self.get_history(history_id)
        if current is None:
            raise NotFound(f"no history {history_id}")
        row = {**current, **changes}
        replace_existing(self.table, HISTORY.to_item(row), f"history {history_id}")
        return row
