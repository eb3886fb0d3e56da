"""Dead letters: rows or items that could not be migrated, with the reason, as JSON lines.

One JSON object per line: {"stage", "table", "key", "reason", "row" | "item"}, values made
portable by `schema.portable` so the file can be read by a person and replayed.
"""

from __future__ import annotations

import json

import apache_beam as beam

from schema.portable import to_portable


def dead_letter_for_row(table: str, key: object, reason: str, row: dict) -> dict:
    return {"stage": "map", "table": table, "key": to_portable(key), "reason": reason, "row": to_portable(row)}


class WriteDeadLetters(beam.PTransform):
    """Dead-letter records -> one JSON-lines file at `path` (any Beam filesystem path)."""

    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def expand(self, records):
        return (
            records
            | "ToJson" >> beam.Map(lambda record: json.dumps(record, ensure_ascii=False, sort_keys=True))
            | "WriteJsonLines" >> beam.io.WriteToText(self._path, shard_name_template="", num_shards=1)
        )


def dead_letter_for_item(stage: str, item: dict, reason: str) -> dict:
    dat = item.get("dat") if isinstance(item.get("dat"), dict) else {}
    return {
        "stage": stage,
        "tp": item.get("tp"),
        "key": {"PK": item.get("PK"), "SK": item.get("SK"), "id": to_portable(dat.get("id"))},
        "reason": reason,
        "item": to_portable(item),
    }
