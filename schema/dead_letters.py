"""Dead letters: rows or items that could not be migrated, with the reason.

Each record is {"stage", "code", "table" | "tp", "key", "reason", "row" | "item"}: stage `map`
(a row, values made portable by `schema.portable`) or `write` (the DynamoDB JSON sent); `transforms.json_lines.WriteJsonLines` writes them one per line, so the
file can be read by a person and replayed.
"""

from __future__ import annotations

import json

from schema.portable import to_portable


def dead_letter_for_row(table: str, key: object, reason: str, row: dict, code: str = "invalid_value") -> dict:
    return {"stage": "map", "table": table, "key": to_portable(key), "code": code, "reason": reason,
            "row": to_portable(row)}


def dead_letter_for_write(item_key: tuple[str, str], tp: str, item_json: bytes, reason: str, code: str,
                          delete: bool = False) -> dict:
    """A write DynamoDB did not take; `item` is the DynamoDB JSON that was sent, ready to re-send
    (for a delete, `op` is "delete" and `item` is the key)."""
    record = {"stage": "write", "code": code, "tp": tp, "key": {"PK": item_key[0], "SK": item_key[1]},
              "reason": reason, "item": json.loads(item_json)}
    if delete:
        record["op"] = "delete"
    return record
