"""ApplyChanges: the binary log's row changes -> the table, brought to exactly what the rows imply.

Each change is mapped with the migration's own specs (no second mapping): the items its row
had before (from the before image) and the items it has now (from the after image). Items
that are no longer implied are deleted, the others put; a key that changes (an email's GSI1
key, a Google id set or cleared, history made public, a usage log's day) is a delete and a
put, counted as a key move. An item past its TTL is not written, and one already there is
deleted. Changes of a row several times in the window end in its last state; a row inserted
and deleted in the window leaves nothing. A row whose last change in the window cannot be
mapped is dead-lettered (the run then keeps its checkpoint); an earlier refusal that a later
change of the same row supersedes is dropped.

Order matters and memory must not grow with the window, so writes go through a buffer keyed
by item key (a later write of a key replaces the earlier one), flushed in batches with a
barrier: every write of a flush is done before the next flush starts. When the table is read
(a renamed problem's partition), the buffered writes are laid over what it holds. Changes must
arrive in binlog order (`seq`); if a runner ever reordered them the run stops rather than
apply an older state over a newer one.

Joins are the specs' (SourceSpec.joins, connectors/mysql/joins.py): a row from the binary log
is given the values its joins add, its parent looked up in MySQL once and kept current by the
parent table's own changes in the window. When a parent's joined values change (or it goes),
its children's items follow:
- values only in the children's attributes: the children are put again with the new values;
- values in the children's keys with a partition per parent (a test case's partition is its
  problem's key): the old partition is read and each child item there is moved to the new key
  (or deleted), by what MySQL says of that child now. A child whose parent is unknown is left
  to the parent's own change, which cleans its old partition;
- values in the children's keys without such a partition (a progress row's partition comes
  from django_content_type's model): the run stops and says to migrate the children again.

Long because: its one DoFn's parts share the window's state (the parents as the window changes
  them, the buffered writes a partition read must see); split apart, they would hand it around.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import apache_beam as beam
from apache_beam.metrics import Metrics

from connectors import metrics
from connectors.dynamodb.coalesced_writer import CoalescedWriter
from connectors.dynamodb.beam_io import WriterCore, WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.reads import query_partition
from connectors.dynamodb.transport import SignedHttpClient
from connectors.dynamodb.wire import EncodedItem, encode_delete
from connectors.errors import RunStopped
from connectors.mysql.beam_io import EngineDoFn
from connectors.mysql.binlog import BinlogPosition, RowChange, SchemaChange
from connectors.mysql.config import MySQLConfig
from connectors.mysql.joins import JoinedValues
from connectors.mysql.preflight import drift_of
from connectors.mysql.queries import select_by_identity
from connectors.windowing import in_global_window
from schema.dead_letters import DEAD_LETTER, dead_letter_for_row
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.compression import AS_NEEDED
from schema.spec import Join, RowRejected, SourceSpec
from schema.table import TableSpec
from transforms.to_items import encode_mapped

SUMMARY = "summary"
FLUSH_EVERY = 2000


class SyncRefused(RunStopped):
    """The window holds a change sync must not apply; the message says what to do."""


class ApplyChangesFn(EngineDoFn):
    """RowChange/SchemaChange (in binlog order) -> the table. Dead letters and one summary per bundle out."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, now: int,
                 checkpoints: dict[str, tuple[int, int]], dry_run: bool = False,
                 writer: WriterSettings = WriterSettings(), flush_every: int = FLUSH_EVERY,
                 http_factory: Callable = SignedHttpClient):
        super().__init__(mysql_config)
        self._dynamo = dynamo
        self._now = now
        self._checkpoints = dict(checkpoints)  # table -> BinlogPosition.order(): apply only what lies after
        self._dry_run = dry_run
        self._writer_settings = writer
        self._flush_every = flush_every
        self._http_factory = http_factory

    def setup(self):
        super().setup()
        self._core = WriterCore(self._dynamo, self._writer_settings, self._http_factory)
        self._http = self._core.http
        self._writes = CoalescedWriter(self._core.new_writer(), self._flush_every)
        self._applied = Metrics.counter(metrics.NAMESPACE, metrics.SYNC_CHANGES_APPLIED)

    def start_bundle(self):
        self._joins = JoinedValues(self._engine, SOURCE_SPECS)
        self._last_seq = 0
        self._counts: Counter = Counter()
        self._last_commit = 0
        self._last_position: BinlogPosition | None = None
        self._rejected: dict[tuple[str, object], dict] = {}  # (table, row key) -> dead letter of its last change

    # --- the stream ---

    def process(self, change: RowChange | SchemaChange):
        if change.seq <= self._last_seq:
            raise SyncRefused(f"changes arrived out of binlog order ({change.seq} after {self._last_seq}); this "
                              "runner reordered a fused stage, and applying them could write an older state")
        self._last_seq = change.seq
        if change.position.order() <= self._checkpoints.get(change.table, (0, 0)):
            self._counts[("", "skipped_before_checkpoint")] += 1
            return
        if isinstance(change, SchemaChange):
            self._schema_changed(change)
            return
        self._counts[("", "events")] += 1
        self._last_commit = max(self._last_commit, change.commit_time)
        self._last_position = change.position
        self._applied.inc()
        if change.table not in SOURCE_SPECS:  # a parent only (django_content_type): its children follow it
            self._follow_children(change)
            return
        row = change.after or change.before
        row_key = (change.table, row.get(SOURCE_SPECS[change.table].key))
        try:
            self._apply(change)
            self._rejected.pop(row_key, None)  # a later change of the row supersedes its earlier refusal
        except RowRejected as rejected:
            self._rejected[row_key] = dead_letter_for_row(change.table, row_key[1], str(rejected), row, rejected.code)
        if self._writes.full:
            yield from self._flush()

    def finish_bundle(self):
        for output in self._flush():
            yield in_global_window(output)
        for record in self._rejected.values():  # rows whose last change in the window cannot be written
            self._counts[(SOURCE_SPECS[record["table"]].items[0], "dead_letters")] += 1
            yield in_global_window(beam.pvalue.TaggedOutput(DEAD_LETTER, record))
        self._core.report(force=True)
        summary = {"counts": [[tp, kind, n] for (tp, kind), n in self._counts.items()],
                   "last_commit": self._last_commit,
                   "last_position": self._last_position.as_record() if self._last_position else None}
        yield in_global_window(beam.pvalue.TaggedOutput(SUMMARY, summary))

    # --- one change ---

    def _apply(self, change: RowChange) -> None:
        self._follow_children(change)
        before = self._keys(change.table, change.before) if change.before else {}
        after = self._items(change.table, change.after) if change.after else {}
        puts = [encode_mapped(item) for item in after.values()]  # a row that cannot be written changes nothing
        for key, (tp, _) in before.items():
            if key not in after:
                self._write(encode_delete(*key, tp))
        # A key move: an item of the row before and after whose keys differ, table or index (an
        # email's GSI1 key, history made public: GSI2 keys appear, a usage log's day: its PK).
        keys_before = dict(before.values())
        keys_after = {item["tp"]: _all_keys(item) for item in after.values()}
        for tp in keys_before.keys() & keys_after.keys():
            if keys_before[tp] != keys_after[tp]:
                self._counts[(tp, "key_moves")] += 1
        for put in puts:
            self._write(put)

    def _items(self, table: str, row: dict, joined: bool = False) -> dict[tuple[str, str], dict]:
        """(PK, SK) -> item of the row after the change; expired items are left out (DynamoDB would
        delete them). A row that cannot map raises RowRejected: it must be written."""
        row = row if joined else self._joined(table, row)
        items = {}
        for tp in SOURCE_SPECS[table].items:
            spec = ITEM_SPECS[tp]
            if not spec.produces_item_for(row):
                continue
            item = spec.to_item(row, AS_NEEDED)
            if not spec.is_expired(item, self._now):
                items[(item["PK"], item["SK"])] = item
        return items

    def _keys(self, table: str, row: dict) -> dict[tuple[str, str], tuple[str, tuple]]:
        """(PK, SK) -> (item type, every key attribute) of what the row before the change may have
        in the table: the keys alone (an item that cannot be keyed cannot be there)."""
        row = self._joined(table, row)
        keys = {}
        for tp in SOURCE_SPECS[table].items:
            spec = ITEM_SPECS[tp]
            if spec.produces_item_for(row):
                try:
                    built = spec.key_builder(row)
                except (RowRejected, ValueError, TypeError, KeyError):
                    continue
                keys[(built["PK"], built["SK"])] = (tp, _all_keys(built))
        return keys

    def _joined(self, table: str, row: dict) -> dict:
        return self._joins.joined(table, row)

    def _follow_children(self, change: RowChange) -> None:
        """A row some source tables join changed: their items follow its new joined values."""
        before, after = change.before, change.after
        for source, join in self._joins.children_of(change.table):
            old = join.values_of(before) if before is not None else None
            new = join.values_of(after) if after is not None else None
            parent = (after or before).get(join.remote_column)
            if before is None or old == new:
                continue  # a new parent has no children yet; one whose joined values stay moves none
            if not join.in_child_keys:
                self._put_children_again(source, join, parent, new)
            elif join.child_partition is not None:
                self._move_children(source, join, parent, old, new)
            elif self._joins.has_children(source, join, parent):
                entity = ITEM_SPECS[source.items[0]].entity
                raise SyncRefused(
                    f"{change.table} row {parent} changed ({change.kind}, {old} -> {new}) at {change.position}: "
                    f"the keys of {source.table}'s items come from it, so this would move them. Run `algoitny-etl "
                    f"migrate --entity {entity}` again (it records a new checkpoint), then sync")
        self._joins.parent_changed(change.table, before, after)

    def _put_children_again(self, source: SourceSpec, join: Join, parent, new: dict | None) -> None:
        for row in self._joins.child_rows(source, join, parent):
            for item in self._items(source.table, {**row, **(new or join.values_of(None))}, joined=True).values():
                self._write(encode_mapped(item))

    def _move_children(self, source: SourceSpec, join: Join, parent, old: dict, new: dict | None) -> None:
        """The children's partition changed (or the parent is gone): each child item in the old one
        moves to the new key (or goes), by what MySQL says of that child now."""
        old_pk = join.child_partition(old)
        if old_pk is None:
            return
        for tp in source.items:
            spec = ITEM_SPECS[tp]
            found = self._children_in(old_pk, spec)
            rows = {spec.identity_of_row(r): r for r in select_by_identity(
                self._engine, source, spec.identity_columns, list(found))}
            for identity, sort_key in found.items():
                row = rows.get(identity)
                if row is not None and row[join.local_column] != parent:
                    continue  # it belongs to another parent now, which holds this key: not ours to move
                self._write(encode_delete(old_pk, sort_key, tp))
                if row is not None and new is not None:
                    self._write(encode_mapped(spec.to_item({**row, **new}, AS_NEEDED)))
                    self._counts[(tp, "key_moves")] += 1

    def _children_in(self, pk: str, spec) -> dict[tuple, str]:
        """identity -> sort key of the `spec` items in partition `pk` as it will be once this run's
        pending writes are done: what the table holds, overlaid with the writes still buffered (all
        written writes are done: every flush waits for its writes)."""
        found = {_identity(spec, pk, item["SK"]["S"]): item["SK"]["S"] for item in query_partition(
            self._http, self._dynamo.table, pk) if item.get("tp", {}).get("S") == spec.tp}
        for write in self._writes.pending(pk):
            if write.tp == spec.tp:
                identity = _identity(spec, pk, write.sk)
                if write.delete:
                    found.pop(identity, None)
                else:
                    found[identity] = write.sk
        return found

    def _schema_changed(self, change: SchemaChange) -> None:
        """A DDL statement on a synced table, or on a table one of them joins: refused if it leaves
        a column unmapped or gone (the schema-drift rule), else carried on with."""
        synced = [t for t in self._checkpoints if t in SOURCE_SPECS]
        affected = [t for t in synced if t == change.table or any(j.table == change.table
                                                                   for j in SOURCE_SPECS[t].joins)]
        unmapped, missing = [], []
        for table in affected:
            more_unmapped, more_missing = drift_of(self._engine, table)
            unmapped += more_unmapped
            missing += more_missing
        if unmapped or missing:
            raise SyncRefused(
                f"{change.statement!r} at {change.position} changed {change.table}: "
                + ", ".join([f"column {c} is not mapped" for c in unmapped] + [f"column {c} is gone" for c in missing])
                + ". Map the change in schema/entities/, run `algoitny-etl migrate` for the table again, then sync")
        self._counts[("", "schema_changes")] += 1

    # --- writing ---

    def _write(self, write: EncodedItem) -> None:
        self._writes.put(write)

    def _flush(self):
        writes, failures = self._writes.flush(self._dry_run)
        for write in writes:
            self._counts[(write.tp, "deletes" if write.delete else "puts")] += 1
        for failure in failures:
            item = failure.item
            self._counts[(item.tp, "deletes" if item.delete else "puts")] -= 1
            self._counts[(item.tp, "dead_letters")] += 1
            yield self._core.dead_letter(failure)
        self._core.report()

    def teardown(self):
        super().teardown()
        core = getattr(self, "_core", None)
        if core is not None:
            core.close()


KEY_ATTRIBUTES = tuple(TableSpec().key_attributes())


def _all_keys(item: dict) -> tuple:
    return tuple(item.get(name) for name in KEY_ATTRIBUTES)


def _identity(spec, pk: str, sk: str) -> tuple:
    identity = spec.identity_of_item(pk, sk)
    return identity if isinstance(identity, tuple) else (identity,)


class ApplyChanges(beam.PTransform):
    """Row changes -> the table; returns {"dead_letter": records, "summary": one record per bundle}."""

    def __init__(self, mysql_config: MySQLConfig, dynamo: DynamoDBConfig, now: int,
                 checkpoints: dict[str, tuple[int, int]], dry_run: bool = False,
                 writer: WriterSettings = WriterSettings()):
        super().__init__()
        self._fn = ApplyChangesFn(mysql_config, dynamo, now, checkpoints, dry_run, writer)

    def expand(self, changes):
        applied = changes | "ApplyChanges" >> beam.ParDo(self._fn).with_outputs(DEAD_LETTER, SUMMARY, main="none")
        return {"dead_letter": applied[DEAD_LETTER], "summary": applied[SUMMARY]}
