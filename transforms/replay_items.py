"""ItemsFromDeadLetters: a dead-letter file's records -> the items to send again.

- `write` records (DynamoDB refused the item, or retries ran out) are sent as they were;
- `map` records are read again from MySQL by the row's identity (the fix usually happens at
  the source) and mapped with this run's specs and options (e.g. --compress-over).
Rows that are gone, or still collide, leave on the dead-letter output with the reason.
"""

from __future__ import annotations

import json

import apache_beam as beam

from connectors.dynamodb.wire import EncodedItem, encode_delete
from connectors.mysql.beam_io import EngineDoFn
from connectors.mysql.config import MySQLConfig
from connectors.mysql.queries import select_by_identity
from schema.dead_letters import dead_letter_for_row
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.item_size import write_units
from schema.portable import from_portable
from transforms.to_items import ToItems

STAGES = ("write", "map")
GONE = "gone"


def _stage(record: dict, _count: int) -> int:
    return STAGES.index(record.get("stage", "map"))


def encoded_from_write_record(record: dict) -> EncodedItem:
    """The DynamoDB JSON as sent; its length bounds the item's size from above (for the rate limit)."""
    item = record["item"]
    tp = record.get("tp") or item.get("tp", {}).get("S", "?")
    if record.get("op") == "delete":
        return encode_delete(item["PK"]["S"], item["SK"]["S"], tp)
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return EncodedItem(item["PK"]["S"], item["SK"]["S"], tp, data, write_units(len(data)))


class RereadRows(EngineDoFn):
    """Map-stage dead letters of one table -> the rows as MySQL has them now."""

    def __init__(self, mysql_config: MySQLConfig, table: str):
        super().__init__(mysql_config)
        self._table = table

    def process(self, record: dict):
        source = SOURCE_SPECS[self._table]
        spec = ITEM_SPECS[source.items[0]]
        row = from_portable(record["row"])
        found = select_by_identity(self._engine, source, spec.identity_columns, [spec.identity_of_row(row)])
        if len(found) == 1:
            yield found[0]
            return
        reason = "the row is no longer in the source" if not found else \
            f"{len(found)} rows still share this row's key"
        yield beam.pvalue.TaggedOutput(GONE, dead_letter_for_row(
            self._table, record["key"], reason, row, "not_in_source" if not found else "duplicate_key"))


class ItemsFromDeadLetters(beam.PTransform):
    """Dead-letter records -> {"items": EncodedItems to send, "dead_letter": records that still cannot be}."""

    def __init__(self, mysql_config: MySQLConfig, now: int, compress_over: int | None = None):
        super().__init__()
        self._mysql_config = mysql_config
        self._now = now
        self._compress_over = compress_over

    def expand(self, records):
        writes, maps = records | "ByStage" >> beam.Partition(_stage, len(STAGES))
        items, dead = [writes | "AsSent" >> beam.Map(encoded_from_write_record)], []
        for table in SOURCE_SPECS:
            reread = (maps
                      | f"Only {table}" >> beam.Filter(lambda r, t=table: r.get("table") == t)
                      | f"Reread {table}" >> beam.ParDo(RereadRows(self._mysql_config, table)).with_outputs(
                          GONE, main="rows"))
            mapped = reread.rows | f"Map {table}" >> ToItems(table, self._now, self._compress_over)
            items.append(mapped.items)
            dead += [reread[GONE], mapped.dead_letter]
        return {"items": items | "AllToSend" >> beam.Flatten(),
                "dead_letter": dead | "AllUnsendable" >> beam.Flatten()}
