"""Repair what deep verify found: the writes that make the table what the source implies, and a
second look at every repaired key.

`PlanRepairs`: difference records -> the writes (EncodedItems) and one action record each:
- `missing` and `mismatched`: the item the source row maps to now is put (compressed only
  where it must be, as deep verify expects it);
- `unexpected`: the item is deleted. Only items of the tool's own migrated item types are
  ever deleted; the application's items (uniq, seq, ulog_cnt) and the tool's state never are.
A key whose source row changed since verify (it now maps to nothing there, or has expired) is
planned as `skipped`; the recheck says what it is now.

`RecheckKeys`: the repaired keys -> ((tp, class), n) and differences, comparing what the
table holds at each key with what the source implies there now.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import apache_beam as beam

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.reads import MAX_BATCH_GET_KEYS, batch_get, items_now
from connectors.dynamodb.wire import encode_delete, encode_item
from connectors.mysql.config import MySQLConfig
from connectors.mysql.joins import JoinedValues
from connectors.mysql.queries import select_by_identity
from connectors.mysql.row_writer import RowWriter
from connectors.windowing import in_global_window
from schema import canonical
from schema.dead_letters import DEAD_LETTER
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from transforms.batches import ByTableBatchesFn
from transforms.deep_compare import DIFFERENCE, difference, expected_items
from transforms.reverse_changes import ReverseChanges

ACTION = "action"
REPAIRABLE = ("missing", "mismatched", "unexpected")


def action(kind: str, record: dict, reason: str | None = None) -> dict:
    found = {"action": kind, "class": record["class"], "tp": record["tp"], "entity": record["entity"],
             "PK": record["PK"], "SK": record["SK"]}
    if reason:
        found["reason"] = reason
    return found


def repairable(record: dict) -> bool:
    return record.get("class") in REPAIRABLE and record.get("tp") in ITEM_SPECS


def _source_of(record: dict) -> str:
    return ITEM_SPECS[record["tp"]].source


class PlanRepairsFn(ByTableBatchesFn):
    """Difference records -> EncodedItems to write (main) and action records (`action`)."""

    def __init__(self, mysql_config: MySQLConfig, now: int):
        super().__init__(mysql_config, MAX_BATCH_GET_KEYS)
        self._now = now

    table_of = staticmethod(_source_of)

    def batch(self, table: str, records: list[dict]):
        wanted = [r for r in records if r["class"] != "unexpected"]
        expected = expected_items(self._engine, table, [(r["tp"], r["PK"], r["SK"]) for r in wanted]) if wanted else {}
        for record in records:
            key = (record["PK"], record["SK"])
            if record["class"] == "unexpected":
                yield encode_delete(*key, record["tp"])
                yield beam.pvalue.TaggedOutput(ACTION, action("delete", record))
                continue
            item = expected.get(key)
            if item is None or ITEM_SPECS[item["tp"]].is_expired(item, self._now):
                yield beam.pvalue.TaggedOutput(ACTION, action(
                    "skipped", record, "the source row no longer implies this item; the recheck says what is there"))
                continue
            yield encode_item(item)
            yield beam.pvalue.TaggedOutput(ACTION, action("put", record))


class PlanRepairs(beam.PTransform):
    """Difference records -> {"writes": EncodedItems (puts and deletes), "actions": action records}."""

    def __init__(self, mysql_config: MySQLConfig, now: int):
        super().__init__()
        self._mysql_config = mysql_config
        self._now = now

    def expand(self, differences):
        planned = (differences
                   | "Repairable" >> beam.Filter(repairable)
                   | "Plan" >> beam.ParDo(PlanRepairsFn(self._mysql_config, self._now)).with_outputs(
                       ACTION, main="writes"))
        return {"writes": planned.writes, "actions": planned[ACTION]}


class MendMySqlFn(ByTableBatchesFn):
    """`--repair --to mysql`: difference records -> MySQL rows as the table's items say (the table is
    the truth after cut-over). An item with no row, or a row that differs: the row written from
    the item; a row with no item: the row deleted. Rows go in parents first and are deleted
    children first within each bundle (transforms/reverse_changes.py); action records out (main),
    rows MySQL refused on `dead_letter`."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, dry_run: bool,
                 client_factory: Callable = clients.client):
        super().__init__(mysql_config, MAX_BATCH_GET_KEYS)
        self._dynamo = dynamo
        self._dry_run = dry_run
        self._client_factory = client_factory

    table_of = staticmethod(_source_of)

    def setup(self):
        super().setup()
        self._client = self._client_factory(self._dynamo)

    def start_bundle(self):
        super().start_bundle()
        self._changes = ReverseChanges(RowWriter(self._engine, JoinedValues(self._engine, SOURCE_SPECS)))

    def batch(self, table: str, records: list[dict]):
        items = items_now(self._client, self._dynamo.table,
                          [(r["PK"], r["SK"]) for r in records if r["class"] != "missing"])
        source = SOURCE_SPECS[table]
        for record in records:
            tp, key = record["tp"], (record["PK"], record["SK"])
            if not RowWriter.carries_row(tp):
                yield action("skipped", record, f"a {tp} item carries no row of its own; its row's item does")
            elif record["class"] == "missing":
                identity = ITEM_SPECS[tp].identity_of_item(*key)
                identity = identity if isinstance(identity, tuple) else (identity,)
                rows = select_by_identity(self._engine, source, ITEM_SPECS[tp].identity_columns, [identity])
                for row in rows:
                    self._changes.delete_row(table, row[source.key], tp, {"PK": key[0], "SK": key[1]})
                yield action("delete row", record)
            elif key in items:
                self._changes.upsert_item(items[key])
                yield action("write row", record)
            else:
                yield action("skipped", record, "the item is gone from the table; the recheck says what is there")

    def finish_bundle(self):
        for output in super().finish_bundle():
            yield output
        if self._dry_run:
            return
        for record in self._changes.apply().dead_letters:
            yield in_global_window(beam.pvalue.TaggedOutput(DEAD_LETTER, record))

    def teardown(self):
        super().teardown()
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


class MendMySql(beam.PTransform):
    """Difference records -> {"actions": action records, "dead_letter": rows MySQL refused}."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, dry_run: bool):
        super().__init__()
        self._fn = MendMySqlFn(mysql_config, dynamo, dry_run)

    def expand(self, differences):
        mended = (differences | "Repairable" >> beam.Filter(repairable)
                  | "MendRows" >> beam.ParDo(self._fn).with_outputs(DEAD_LETTER, main="actions"))
        return {"actions": mended.actions, "dead_letter": mended[DEAD_LETTER]}


class RecheckKeysFn(ByTableBatchesFn):
    """Repaired keys (action records) -> ((tp, class), n) counts, differences on `difference`."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, now: int,
                 client_factory: Callable = clients.client):
        super().__init__(mysql_config, MAX_BATCH_GET_KEYS)
        self._dynamo = dynamo
        self._now = now
        self._client_factory = client_factory

    table_of = staticmethod(_source_of)

    def setup(self):
        super().setup()
        self._client = self._client_factory(self._dynamo)

    def batch(self, table: str, records: list[dict]):
        keys = [(r["tp"], r["PK"], r["SK"]) for r in records]
        expected = expected_items(self._engine, table, keys)
        wire_keys = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys((pk, sk) for _, pk, sk in keys)]
        actual = {(a["PK"]["S"], a["SK"]["S"]): a for a in batch_get(self._client, self._dynamo.table, wire_keys)}
        counts: Counter = Counter()
        for tp, pk, sk in keys:
            want, have = expected.get((pk, sk)), actual.get((pk, sk))
            if want is not None and ITEM_SPECS[want["tp"]].is_expired(want, self._now):
                want = None
            kind, paths = "ok", None
            if want is not None and have is None:
                kind = "missing"
            elif want is None and have is not None:
                kind = "unexpected"
            elif want is not None:
                paths = canonical.differing_paths(canonical.item_from_python(want), canonical.item_from_wire(have))
                kind = "mismatched" if paths else "ok"
            counts[(tp, kind)] += 1
            if kind != "ok":
                yield beam.pvalue.TaggedOutput(DIFFERENCE, difference(kind, tp, pk, sk, paths))
        yield from counts.items()

    def teardown(self):
        super().teardown()
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


class RecheckKeys(beam.PTransform):
    """Action records -> {"counts": ((tp, class), n), "differences": what still differs}."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, now: int):
        super().__init__()
        self._mysql_config = mysql_config
        self._dynamo = dynamo
        self._now = now

    def expand(self, actions):
        checked = actions | "Recheck" >> beam.ParDo(RecheckKeysFn(self._mysql_config, self._dynamo, self._now)
                                                     ).with_outputs(DIFFERENCE, main="counts")
        return {"counts": checked.counts, "differences": checked[DIFFERENCE]}
