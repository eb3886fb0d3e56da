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

    def process(self, row: dict):
        built = []
        try:
            for spec in self._specs:
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

    def __init__(self, table: str, now: int, compress_over: int | None = None):
        super().__init__()
        self._table = table
        self._now = now
        self._compress_over = compress_over

    def expand(self, rows):
        return rows | "RowToItems" >> beam.ParDo(RowToItems(self._table, self._now, self._compress_over)).with_outputs(
            DEAD_LETTER, MEASURE, main="items")
