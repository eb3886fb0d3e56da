"""ToItems: source rows -> encoded single-table items, with tagged outputs for rows that
cannot map and for the size measures of the run report.

Mapping and encoding happen in one step: the item's size, computed once for the 400 KB
check, also gives its write units, and DynamoDB JSON is built while the item is at hand.
The dry run runs this same step, so it refuses exactly what the migration would."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from connectors import metrics
from connectors.dynamodb.wire import AfterWritten, encode_item
from connectors.mysql.key_ranges import RangeEnd, TableRow
from connectors.windowing import in_global_window
from schema.dead_letters import DEAD_LETTER, dead_letter_for_row
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.spec import RowRejected
from schema.state_items import range_done_item
from transforms.item_stats import SizeStats, measure

MEASURE = "measure"


def encode_mapped(item: dict, size: int | None = None, origin=None):
    """encode_item(), a value DynamoDB cannot take (a NaN, a number out of range) made a RowRejected."""
    try:
        return encode_item(item, size, origin)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise RowRejected(f"{item['tp']} item cannot be encoded for DynamoDB: {error!r}", "not_encodable") from None


class RowToItems(beam.DoFn):
    """One row -> its items (a users row gives `usr` and, with a Google id, `usr_gid`).

    A row is all-or-nothing: if any of its items cannot be built or encoded, none is emitted
    and the row leaves on the dead-letter output with the reason. Items whose TTL has passed
    at `now` are counted as expired and not emitted. Size statistics are gathered per bundle
    and leave on the `measure` output as (tp, SizeStats) in finish_bundle (what combiner
    lifting would do, without a Beam element per item).

    Rows read with tracking arrive as (origin, row), each key range's rows followed by its
    RangeEnd. With a `run_id`, a range whose rows all arrived here and mapped without a dead
    letter gets an AfterWritten marker after its items: the writer records the range as done
    once it has written exactly those items (what `migrate --resume` skips).

    `table` None: rows of several tables (`tables`) arrive as TableRows naming theirs (one read,
    one mapping and one write for a whole migration: on the FnApiRunner a Flatten of several
    tables' items before the write would hold them all until every table was read).
    """

    def __init__(self, table: str | None, now: int, compress_over: int | None = None, run_id: str | None = None,
                 tables: tuple[str, ...] = ()):
        self._table = table
        self._tables = (table,) if table is not None else tuple(tables)
        self._now = now
        self._compress_over = compress_over
        self._run_id = run_id

    def setup(self):
        self._specs_of = {t: [ITEM_SPECS[tp] for tp in SOURCE_SPECS[t].items] for t in self._tables}
        self._key_of = {t: SOURCE_SPECS[t].key for t in self._tables}
        specs = [s for table_specs in self._specs_of.values() for s in table_specs]
        self._mapped = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_mapped(s.tp)) for s in specs}
        self._expired = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_expired(s.tp)) for s in specs}
        self._dead = {t: Metrics.counter(metrics.NAMESPACE, metrics.dead_letters(t)) for t in self._tables}

    def start_bundle(self):
        self._duplicates_seen = None
        self._duplicates = {}
        self._stats = {}
        self._expired_in_bundle = dict.fromkeys(self._expired, 0)
        self._ranges: dict[str, list[int]] = {}  # origin -> [rows, items, dead letters] in this bundle

    def _range_end(self, end: RangeEnd):
        rows, items, dead = self._ranges.pop(end.origin, (0, 0, 0))
        if self._run_id is None or rows != end.rows or dead:
            return  # not provably whole, or a row went to the dead letters: a resumed run reads it again
        done = range_done_item(self._run_id, end.table, end.index, end.rows, items)
        yield AfterWritten(end.origin, items, encode_item(done))

    def finish_bundle(self):
        # Counted per bundle, not per item: a Beam counter's increment costs more than the rest of a count.
        for tp, stats in self._stats.items():
            self._mapped[tp].inc(stats.items)
            yield in_global_window(beam.pvalue.TaggedOutput(MEASURE, (tp, stats)))
        for tp, count in self._expired_in_bundle.items():
            if count:
                self._expired[tp].inc(count)

    def _colliding(self, duplicates) -> dict:
        """(tp, identity) -> the row keys sharing it, built once per bundle from the side input."""
        if duplicates is not self._duplicates_seen:
            self._duplicates_seen = duplicates
            self._duplicates = {(tp, tuple(identity)): keys for tp, identity, keys in duplicates}
        return self._duplicates

    def process(self, element, duplicates=()):
        if isinstance(element, RangeEnd):
            yield from self._range_end(element)
            return
        if type(element) is TableRow:
            table, origin, row = element
        else:
            table = self._table
            origin, row = element if isinstance(element, tuple) else (None, element)
        counts = None
        if origin is not None:
            counts = self._ranges.setdefault(origin, [0, 0, 0])
            counts[0] += 1
        built = []
        try:
            colliding = self._colliding(duplicates) if duplicates else {}
            for spec in self._specs_of[table]:
                if colliding and (spec.tp, spec.identity_of_row(row)) in colliding:
                    keys = colliding[(spec.tp, spec.identity_of_row(row))]
                    raise RowRejected(f"{table} rows {', '.join(map(str, keys))} all map to the same "
                                      f"{spec.tp} key; none is migrated, so none overwrites another",
                                      "duplicate_key")
                if not spec.produces_item_for(row):
                    continue
                info: dict = {}
                item = spec.to_item(row, self._compress_over, info)
                if spec.is_expired(item, self._now):
                    built.append((spec, None, None))
                    continue
                encoded = encode_mapped(item, info["size"], origin)
                built.append((spec, encoded, measure(item, info["size"], len(info["kept_as_text"]))))
        except RowRejected as rejected:
            self._dead[table].inc()
            if counts is not None:
                counts[2] += 1
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for_row(
                table, row.get(self._key_of[table]), str(rejected), row, rejected.code))
            return
        for spec, encoded, measured in built:
            if encoded is None:
                self._expired_in_bundle[spec.tp] += 1
                continue
            stats = self._stats.get(spec.tp)
            if stats is None:
                stats = self._stats[spec.tp] = SizeStats()
            stats.add(measured)
            if counts is not None:
                counts[1] += 1
            yield encoded


class ToItems(beam.PTransform):
    """Rows of `table` -> EncodedItems (main), dead letters (`dead_letter`), partial SizeStats (`measure`).
    `table` None: TableRows of `tables` (ReadKeyRanges(tagged=True))."""

    def __init__(self, table: str | None, now: int, compress_over: int | None = None, duplicates=None,
                 run_id: str | None = None, tables: tuple[str, ...] = ()):
        """`duplicates`: optional PCollection from FindDuplicateKeys for these tables; `run_id`: the
        migrate run whose finished key ranges are recorded (rows read with tracking)."""
        super().__init__()
        self._table = table
        self._tables = tuple(tables)
        self._now = now
        self._compress_over = compress_over
        self._duplicates = duplicates
        self._run_id = run_id

    def expand(self, rows):
        side = (beam.pvalue.AsList(self._duplicates),) if self._duplicates is not None else ()
        return rows | "RowToItems" >> beam.ParDo(
            RowToItems(self._table, self._now, self._compress_over, self._run_id, self._tables), *side).with_outputs(
                DEAD_LETTER, MEASURE, main="items")
