"""Dead letters: rows or items that could not be migrated, with the reason.

Each record is {"stage", "code", "table" | "tp", "key", "reason", "row" | "item"}: stage `map`
(a row, values made portable by `schema.portable`) or `write` (the DynamoDB JSON sent); `transforms.json_lines.WriteJsonLines` writes them one per line, so the
file can be read by a person and replayed.
"""

from __future__ import annotations

import json

from schema.portable import to_portable

DEAD_LETTER = "dead_letter"  # the name of a step's output of dead letters, wherever they are made


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


def dead_letter_for_reverse(table: str, key: object, tp: str, item_key: dict, reason: str, code: str,
                            op: str) -> dict:
    """A row reverse sync could not write to MySQL; replay reads the item named again, as it is then."""
    return {"stage": "reverse", "code": code, "table": table, "key": to_portable(key), "tp": tp,
            "item_key": dict(item_key), "reason": reason, "op": op}


STAGES = ("map", "write", "reverse")


def _is_key_attribute(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("S"), str) and value["S"] != ""


def problem_with(record: object, sources: dict, item_specs: dict) -> str | None:
    """Why `record` is not a dead letter this tool wrote and can replay (None when it is one).

    `sources` / `item_specs`: the catalogue's SOURCE_SPECS and ITEM_SPECS (passed in: the
    catalogue imports this module's neighbours)."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not a dead-letter record (an object)"
    stage = record.get("stage")
    if stage not in STAGES:
        return (f"its stage is {stage!r}; a dead letter's stage is 'map' (a row), 'write' (an item) or 'reverse' (a "
                "row for MySQL)")
    if stage == "reverse":
        item_key = record.get("item_key")
        if record.get("table") not in sources or not isinstance(item_key, dict) or not all(
                isinstance(item_key.get(k), str) and item_key[k] for k in ("PK", "SK")):
            return "a reverse dead letter must name its table and the item (PK and SK) that carries the row"
        return None
    if stage == "write":
        item = record.get("item")
        if not isinstance(item, dict) or not _is_key_attribute(item.get("PK")) or not _is_key_attribute(item.get("SK")):
            return "a write dead letter must carry the item sent, in DynamoDB JSON with PK and SK strings"
        if record.get("op", "put") not in ("put", "delete"):
            return f"its op is {record.get('op')!r}; a write is a put or a delete"
        if record.get("op") != "delete" and not isinstance(item.get("tp"), dict):
            return "the item of a put dead letter has no tp: it was not written by this tool"
        return None
    table = record.get("table")
    if table not in sources:
        return f"its table {table!r} is not one this tool migrates ({', '.join(sources)})"
    row = record.get("row")
    if not isinstance(row, dict):
        return "a map dead letter must carry the row it could not map"
    missing = [c for c in item_specs[sources[table].items[0]].identity_columns if c not in row]
    if missing:
        return f"its row has no {', '.join(missing)}: the row cannot be read again from {table}"
    return None
