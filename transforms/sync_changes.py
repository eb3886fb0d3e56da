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

Joins the mapping uses are followed:
- a test case's partition is its problem's key. When a problem's platform or number changes
  (or it is deleted), its old partition is read and each test case there is moved to the new
  key (or deleted), by what MySQL says of that test case now. A test case whose problem is
  unknown is left to the problem's own change, which cleans its old partition.
- a progress row's partition comes from django_content_type. A change to a content type that
  names a job model would re-point progress rows: the run stops and says to migrate jobs again.

The module is long because its one DoFn's parts share the window's state (the problems' keys
as the window moves them, the buffered writes a partition read must see): split apart, they
would hand that state around.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import apache_beam as beam
from apache_beam.metrics import Metrics

from connectors import metrics
from connectors.dynamodb.coalesced_writer import CoalescedWriter
from connectors.dynamodb.beam_io import WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.reads import query_partition
from connectors.dynamodb.transport import SignedHttpClient
from connectors.dynamodb.wire import EncodedItem, encode_delete
from connectors.errors import RunStopped
from connectors.mysql.beam_io import EngineDoFn
from connectors.mysql.binlog import BinlogPosition, RowChange, SchemaChange
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import drift_of
from connectors.mysql.queries import select_by_identity, select_columns
from connectors.windowing import in_global_window
from schema.dead_letters import dead_letter_for_row, dead_letter_for_write
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.entities.jobs import JOB_PREFIX_BY_MODEL
from schema.entities.problems import TESTCASE, problem_pk
from schema.compression import AS_NEEDED
from schema.spec import RowRejected
from schema.table import TableSpec
from transforms.to_items import encode_mapped

DEAD_LETTER = "dead_letter"
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
        settings = self._writer_settings
        self._http = self._http_factory(self._dynamo, max_connections=settings.concurrency + 1)
        self._writes = CoalescedWriter(self._http, self._dynamo.table, settings.batch_size, settings.concurrency,
                                       settings.policy, settings.rate_limiter(),
                                       settings.consumed_capacity, self._flush_every)
        self._content_types = None
        self._applied = Metrics.counter(metrics.NAMESPACE, metrics.SYNC_CHANGES_APPLIED)

    def start_bundle(self):
        self._problem_keys: dict[int, tuple[str, str] | None] = {}
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
        if change.table == "django_content_type":
            self._content_type_changed(change)
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
        summary = {"counts": [[tp, kind, n] for (tp, kind), n in self._counts.items()],
                   "last_commit": self._last_commit,
                   "last_position": self._last_position.as_record() if self._last_position else None}
        yield in_global_window(beam.pvalue.TaggedOutput(SUMMARY, summary))

    # --- one change ---

    def _apply(self, change: RowChange) -> None:
        if change.table == "problems":
            old_key = _problem_key(change.before)
            new_key = _problem_key(change.after)
            if change.before is not None and old_key != new_key:
                self._move_test_cases(change.before["id"], old_key, change.after)
            self._problem_keys[int((change.after or change.before)["id"])] = new_key
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

    def _items(self, table: str, row: dict) -> dict[tuple[str, str], dict]:
        """(PK, SK) -> item of the row after the change; expired items are left out (DynamoDB would
        delete them). A row that cannot map raises RowRejected: it must be written."""
        row = self._joined(table, row)
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
        if table == "test_cases":
            key = self._problem_key_of(row.get("problem_id"))
            return {**row, "problem_platform": key[0] if key else None, "problem_number": key[1] if key else None}
        if table == "job_progress_history":
            return {**row, "content_type_model": self._content_type_models().get(row.get("content_type_id"))}
        return row

    def _problem_key_of(self, problem_id) -> tuple[str, str] | None:
        if problem_id is None:
            return None
        problem_id = int(problem_id)
        if problem_id not in self._problem_keys:
            found = select_by_identity(self._engine, SOURCE_SPECS["problems"], ("id",), [(problem_id,)])
            self._problem_keys[problem_id] = _problem_key(found[0]) if found else None
        return self._problem_keys[problem_id]

    def _content_type_models(self) -> dict:
        if self._content_types is None:
            self._content_types = {int(i): str(m) for i, m in
                                   select_columns(self._engine, "django_content_type", ("id", "model"))}
        return self._content_types

    def _move_test_cases(self, problem_id, old_key: tuple[str, str] | None, after: dict | None) -> None:
        """A problem's key changed or it is gone: its old partition's test cases follow it (or go)."""
        if old_key is None:
            return
        found = self._test_cases_in(problem_pk(*old_key))
        if not found:
            return
        source = SOURCE_SPECS["test_cases"]
        rows = {int(r["id"]): r for r in select_by_identity(self._engine, source, ("id",), [(i,) for i in found])}
        for testcase_id, sort_key in found.items():
            row = rows.get(testcase_id)
            if row is not None and row["problem_id"] != problem_id:
                continue  # it belongs to another problem now, which holds this key: not ours to move
            self._write(encode_delete(problem_pk(*old_key), sort_key, TESTCASE.tp))
            if row is not None and after is not None:
                moved = TESTCASE.to_item({**row, "problem_platform": after["platform"],
                                          "problem_number": after["problem_id"]}, AS_NEEDED)
                self._write(encode_mapped(moved))
                self._counts[(TESTCASE.tp, "key_moves")] += 1

    def _test_cases_in(self, pk: str) -> dict[int, str]:
        """test case id -> sort key of the test cases in partition `pk` as it will be once this run's
        pending writes are done: what the table holds, overlaid with the writes still buffered (all
        written writes are done: every flush waits for its writes)."""
        found = {int(item["dat"]["M"]["id"]["N"]): item["SK"]["S"] for item in query_partition(
            self._http, self._dynamo.table, pk) if item.get("tp", {}).get("S") == TESTCASE.tp}
        for write in self._writes.pending(pk):
            if write.tp != TESTCASE.tp:
                continue
            testcase_id = int(write.sk.rsplit("#", 1)[1])
            if write.delete:
                found.pop(testcase_id, None)
            else:
                found[testcase_id] = write.sk
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

    def _content_type_changed(self, change: RowChange) -> None:
        models = {(image or {}).get("model") for image in (change.before, change.after)}
        if models & set(JOB_PREFIX_BY_MODEL) or (change.before and change.after
                                                 and change.before.get("id") != change.after.get("id")):
            raise SyncRefused(
                f"django_content_type row {(change.after or change.before).get('id')} changed ({change.kind}, model "
                f"{(change.before or {}).get('model')!r} -> {(change.after or {}).get('model')!r}) at "
                f"{change.position}: job progress items are keyed by it, so this would move them. Run "
                "`algoitny-etl migrate --entity jobs` again (it records a new checkpoint), then sync")
        self._content_types = None  # another model's row: nothing of ours moves; read the table afresh

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
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for_write(
                (item.pk, item.sk), item.tp, item.json, failure.reason, failure.code, item.delete))

    def teardown(self):
        super().teardown()
        writes = getattr(self, "_writes", None)
        if writes is not None:
            writes.close()
        http = getattr(self, "_http", None)
        if http is not None:
            http.close()


KEY_ATTRIBUTES = tuple(TableSpec().key_attributes())


def _all_keys(item: dict) -> tuple:
    return tuple(item.get(name) for name in KEY_ATTRIBUTES)


def _problem_key(row: dict | None) -> tuple[str, str] | None:
    return None if row is None else (str(row["platform"]), str(row["problem_id"]))


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
