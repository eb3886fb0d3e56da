"""ToItems: source rows -> single-table items, with tagged outputs for rows that cannot map
and for the size measures of the run report."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from schema.entities import ITEM_SPECS, SOURCE_SPECS, RowRejected
from transforms import metrics
from transforms.dead_letters import dead_letter_for_row
from transforms.item_stats import measure

DEAD_LETTER = "dead_letter"
MEASURE = "measure"


class RowToItems(beam.DoFn):
    """One row -> its items (a users row gives `usr` and, with a Google id, `usr_gid`).

    A row is all-or-nothing: if any of its items cannot be built, none is emitted and the
    row leaves on the dead-letter output with the reason. Items whose TTL has passed at
    `now` are counted as expired and not emitted. Every emitted item also sends
    (tp, measure) to the `measure` output.
    """

    def __init__(self, table: str, now: int, compress_over: int | None = None):
        self._table = table
        self._now = now
        self._compress_over = compress_over

    def setup(self):
        source = SOURCE_SPECS[self._table]
        self._specs = [ITEM_SPECS[tp] for tp in source.items]
        self._key = source.key
        self._mapped = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_mapped(s.tp)) for s in self._specs}
        self._expired = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_expired(s.tp)) for s in self._specs}
        self._dead = Metrics.counter(metrics.NAMESPACE, metrics.dead_letters(self._table))

    def start_bundle(self):
        self._duplicates_seen = None
        self._duplicates = {}

    def _colliding(self, duplicates) -> dict:
        """(tp, identity) -> the row keys sharing it, built once per bundle from the side input."""
        if duplicates is not self._duplicates_seen:
            self._duplicates_seen = duplicates
            self._duplicates = {(tp, tuple(identity)): keys for tp, identity, keys in duplicates}
        return self._duplicates

    def process(self, row: dict, duplicates=()):
        built = []
        try:
            colliding = self._colliding(duplicates) if duplicates else {}
            for spec in self._specs:
                if colliding and (spec.tp, spec.identity_of_row(row)) in colliding:
                    keys = colliding[(spec.tp, spec.identity_of_row(row))]
                    raise RowRejected(f"{self._table} rows {', '.join(map(str, keys))} all map to the same "
                                      f"{spec.tp} key; none is migrated, so none overwrites another",
                                      "duplicate_key")
                if spec.produces_item_for(row):
                    info: dict = {}
                    built.append((spec, spec.to_item(row, self._compress_over, info), info))
        except RowRejected as rejected:
            self._dead.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for_row(
                self._table, row.get(self._key), str(rejected), row, rejected.code))
            return
        for spec, item, info in built:
            if spec.is_expired(item, self._now):
                self._expired[spec.tp].inc()
                continue
            self._mapped[spec.tp].inc()
            yield beam.pvalue.TaggedOutput(MEASURE, (spec.tp, measure(item, info["size"], len(info["kept_as_text"]))))
            yield item


class ToItems(beam.PTransform):
    """Rows of `table` -> items (main), dead letters (`dead_letter`), size measures (`measure`)."""

    def __init__(self, table: str, now: int, compress_over: int | None = None, duplicates=None):
        """`duplicates`: optional PCollection from FindDuplicateKeys for this table."""
        super().__init__()
        self._table = table
        self._now = now
        self._compress_over = compress_over
        self._duplicates = duplicates

    def expand(self, rows):
        side = (beam.pvalue.AsList(self._duplicates),) if self._duplicates is not None else ()
        return rows | "RowToItems" >> beam.ParDo(
            RowToItems(self._table, self._now, self._compress_over), *side).with_outputs(
                DEAD_LETTER, MEASURE, main="items")
