"""Deep verify's comparisons, item by item, in memory that does not grow with the table.

Nothing is grouped per item (a GroupByKey over every item holds them all in the DirectRunner's
memory). Instead:

1. `CompareScannedItems`: every scanned item of a verified type names its source row in its
   keys; rows are looked up in MySQL a batch at a time (with the migration's joins), mapped
   with the same ItemSpecs, and each item is classified `ok`, `mismatched` (with the differing
   attribute paths) or `unexpected` (no source row implies this key). Expected items matched
   this way are counted as `found`.
2. The driver compares `found` with the expected count per item type (SQL, same TTL rule and
   sample). Where fewer were found, `FindUnseenExpected` walks that entity's source rows
   through the migration's reader and mapping, fetches their keys with BatchGetItem, and names
   each expected item the Scan did not see: `missing`, or `mismatched` when it is there but
   invisible to the Scan's filter (wrong `tp`, `ttl` in the past). Rows the mapping rejects are
   `unmappable`.

`CompareWithSource` (pass 1) and `NameUnseenExpected` (pass 2) are the composites; each
returns {"counts": ((tp, class), n) pairs, "differences": one record per difference}.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import apache_beam as beam

from connectors.dynamodb import clients
from connectors.dynamodb.beam_io import ScanTable
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.reads import MAX_BATCH_GET_KEYS, batch_get
from connectors.dynamodb.wire import EncodedItem, item_wire
from connectors.mysql.beam_io import ReadMySQLTable
from connectors.mysql.config import MySQLConfig
from connectors.mysql.queries import select_by_identity
from connectors.windowing import in_global_window
from schema import canonical, compression, sampling
from schema.entities import ITEM_SPECS, SOURCE_SPECS, entity_of_item_type, item_types_for
from schema.identity import identity_text
from schema.spec import RowRejected
from transforms.batches import ByTableBatchesFn
from transforms.counts import CountSourceItems
from transforms.live_items import LiveItemsOfTypes
from transforms.to_items import ToItems

DIFFERENCE = "difference"
LOOKUP_BATCH = 250


def in_sample(tp: str, pk: str, sk: str, rate: float) -> bool:
    """The sample test for an item, by the source row its keys name (same as the SQL side)."""
    if rate >= 1:
        return True
    spec = ITEM_SPECS[tp]
    identity = spec.identity_of_item(pk, sk)
    text = identity_text(identity) if identity is not None else f"{pk}#{sk}"
    return sampling.in_sample(spec.source, text, rate)


def difference(kind: str, tp: str, pk: str, sk: str, paths: list[str] | None = None) -> dict:
    record = {"class": kind, "tp": tp, "entity": entity_of_item_type(tp), "PK": pk, "SK": sk}
    if paths is not None:
        record["paths"] = paths
    return record


def expected_items(engine, table: str, keys: list[tuple[str, str, str]]) -> dict:
    """(PK, SK) -> the item the source rows named by `keys` ((tp, PK, SK) of `table`'s item types)
    map to now, compressed only where it must be (compare decoded). Rows the mapping rejects
    map to nothing: the source-side pass reports them as `unmappable`."""
    source = SOURCE_SPECS[table]
    specs = [ITEM_SPECS[tp] for tp in source.items]
    identities = {identity for identity in (ITEM_SPECS[tp].identity_of_item(pk, sk) for tp, pk, sk in keys)
                  if identity is not None}
    expected = {}
    for row in select_by_identity(engine, source, specs[0].identity_columns, sorted(identities, key=repr)):
        for spec in specs:
            if not spec.produces_item_for(row):
                continue
            try:
                mapped = spec.to_item(row, compression.AS_NEEDED)
            except RowRejected:
                continue
            expected[(mapped["PK"], mapped["SK"])] = mapped
    return expected


class CompareScannedItems(ByTableBatchesFn):
    """Scanned items -> ((tp, class), n) counts on the main output, differences on `difference`."""

    def __init__(self, mysql_config: MySQLConfig, now: int, sample_rate: float,
                 batch_size: int = LOOKUP_BATCH):
        super().__init__(mysql_config, batch_size)
        self._now = now
        self._sample_rate = sample_rate

    def table_of(self, item: dict) -> str | None:
        tp, pk, sk = item["tp"]["S"], item["PK"]["S"], item["SK"]["S"]
        return ITEM_SPECS[tp].source if in_sample(tp, pk, sk, self._sample_rate) else None

    def batch(self, table: str, items: list[dict]):
        expected = expected_items(self._engine, table,
                                  [(item["tp"]["S"], item["PK"]["S"], item["SK"]["S"]) for item in items])
        counts: Counter = Counter()
        for item in items:
            tp, pk, sk = item["tp"]["S"], item["PK"]["S"], item["SK"]["S"]
            twin = expected.get((pk, sk))
            if twin is None:
                counts[(tp, "unexpected")] += 1
                yield beam.pvalue.TaggedOutput(DIFFERENCE, difference("unexpected", tp, pk, sk))
                continue
            tp = twin["tp"]  # a wrong `tp` on the right key is a mismatch of the expected item
            if not ITEM_SPECS[tp].is_expired(twin, self._now):
                counts[(tp, "found")] += 1
            if item_wire(twin) == item:  # the same DynamoDB JSON: equal without a closer look
                counts[(tp, "ok")] += 1
                continue
            paths = canonical.differing_paths(canonical.item_from_python(twin), canonical.item_from_wire(item))
            if paths:
                counts[(tp, "mismatched")] += 1
                yield beam.pvalue.TaggedOutput(DIFFERENCE, difference("mismatched", tp, pk, sk, paths))
            else:
                counts[(tp, "ok")] += 1
        yield from counts.items()


class FindUnseenExpected(beam.DoFn):
    """Expected (encoded) items -> differences for those the Scan could not have seen, with counts."""

    def __init__(self, dynamo: DynamoDBConfig, verified_types: tuple[str, ...], now: int, sample_rate: float,
                 client_factory: Callable = clients.client):
        self._dynamo = dynamo
        self._client_factory = client_factory
        self._visible = LiveItemsOfTypes(verified_types, now)
        self._sample_rate = sample_rate

    def setup(self):
        self._client = self._client_factory(self._dynamo)

    def start_bundle(self):
        self._pending = []

    def process(self, item: EncodedItem):
        if not in_sample(item.tp, item.pk, item.sk, self._sample_rate):
            return
        self._pending.append(item)
        if len(self._pending) >= MAX_BATCH_GET_KEYS:
            yield from self._check()

    def finish_bundle(self):
        for output in self._check():
            yield in_global_window(output)

    def _check(self):
        items, self._pending = self._pending, []
        if not items:
            return
        keys = [{"PK": {"S": i.pk}, "SK": {"S": i.sk}} for i in items]
        actual = {(a["PK"]["S"], a["SK"]["S"]): a for a in batch_get(self._client, self._dynamo.table, keys)}
        counts: Counter = Counter()
        for item in items:
            tp, pk, sk = item.tp, item.pk, item.sk
            found = actual.get((pk, sk))
            if found is None:
                counts[(tp, "missing")] += 1
                yield beam.pvalue.TaggedOutput(DIFFERENCE, difference("missing", tp, pk, sk))
            elif not (self._visible(found) and in_sample(found["tp"]["S"], pk, sk, self._sample_rate)):
                # There, but the Scan's filter skipped it: compare what is there.
                paths = canonical.differing_paths(canonical.item_from_wire(json.loads(item.json)),
                                                  canonical.item_from_wire(found))
                counts[(tp, "mismatched")] += 1
                yield beam.pvalue.TaggedOutput(DIFFERENCE, difference("mismatched", tp, pk, sk, paths))
        yield from counts.items()

    def teardown(self):
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


def unmappable(dead_letter: dict, sample_rate: float):
    """A dead letter from the mapping -> an `unmappable` difference, if its row is in the sample."""
    source = SOURCE_SPECS[dead_letter["table"]]
    spec = ITEM_SPECS[source.items[0]]
    row = dead_letter["row"]
    if not sampling.in_sample(source.table, identity_text(spec.identity_of_row(row)), sample_rate):
        return
    yield {"class": "unmappable", "tp": spec.tp, "entity": entity_of_item_type(spec.tp), "table": source.table,
           "key": dead_letter["key"], "reason": dead_letter["reason"]}


@dataclass(frozen=True)
class DeepCompareScope:
    """What one deep verify compares: both sides, the source tables, the instant and the sample."""

    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    now: int
    segments: int
    rows_per_range: int
    sample_rate: float = 1.0


def _expected_class(element):
    tp, count = element
    return (tp, "expected"), count


class CompareWithSource(beam.PTransform):
    """Pass 1: expected counts from SQL, and every scanned item compared with its source row."""

    def __init__(self, scope: DeepCompareScope):
        super().__init__()
        self._scope = scope

    def expand(self, pbegin):
        scope = self._scope
        expected = (
            [pbegin | f"Expect {table}" >> CountSourceItems(scope.mysql, table, scope.now, scope.rows_per_range,
                                                            scope.sample_rate)
             for table in scope.tables]
            | "AllExpected" >> beam.Flatten()
            | "SumExpected" >> beam.CombinePerKey(sum)
            | "ExpectedAs" >> beam.Map(_expected_class)
        )
        compared = (
            pbegin
            | "Scan" >> ScanTable(scope.dynamo, scope.segments, LiveItemsOfTypes(item_types_for(scope.tables), scope.now))
            | "CompareWithSource" >> beam.ParDo(CompareScannedItems(
                scope.mysql, scope.now, scope.sample_rate)).with_outputs(DIFFERENCE, main="counts")
        )
        counts = (expected, compared.counts) | "AllCounts" >> beam.Flatten()
        return {"counts": counts, "differences": compared[DIFFERENCE]}


def _as_unmappable_count(record: dict):
    return (record["tp"], "unmappable"), 1


class NameUnseenExpected(beam.PTransform):
    """Pass 2: walk the source rows of `item_types` and name each expected item the Scan did not see."""

    def __init__(self, scope: DeepCompareScope, item_types: tuple[str, ...]):
        super().__init__()
        self._scope = scope
        self._item_types = frozenset(item_types)

    def expand(self, pbegin):
        scope, wanted = self._scope, self._item_types
        verified = item_types_for(scope.tables)
        counts, differences = [], []
        for table in (t for t in scope.tables if set(SOURCE_SPECS[t].items) & wanted):
            mapped = (pbegin | f"Read {table}" >> ReadMySQLTable(scope.mysql, table, scope.rows_per_range)
                      | f"Map {table}" >> ToItems(table, scope.now, compression.AS_NEEDED))
            unseen = (mapped.items
                      | f"Only {table}" >> beam.Filter(lambda item, types=wanted: item.tp in types)
                      | f"FindUnseen {table}" >> beam.ParDo(FindUnseenExpected(
                          scope.dynamo, verified, scope.now, scope.sample_rate)).with_outputs(DIFFERENCE, main="counts"))
            rejected = mapped.dead_letter | f"Unmappable {table}" >> beam.FlatMap(unmappable, scope.sample_rate)
            counts += [unseen.counts, rejected | f"CountUnmappable {table}" >> beam.Map(_as_unmappable_count)]
            differences += [unseen[DIFFERENCE], rejected]
        return {"counts": counts | "AllCounts" >> beam.Flatten(),
                "differences": differences | "AllDifferences" >> beam.Flatten()}
