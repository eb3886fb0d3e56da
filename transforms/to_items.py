"""ToItems: source rows -> single-table items, with a tagged output for rows that cannot map."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from schema.entities import ITEM_SPECS, SOURCE_SPECS, RowRejected
from transforms import metrics
from transforms.dead_letters import dead_letter_for_row

DEAD_LETTER = "dead_letter"


class RowToItems(beam.DoFn):
    """One row -> its items (a users row gives `usr` and, with a Google id, `usr_gid`).

    A row is all-or-nothing: if any of its items cannot be built, none is emitted and the
    row leaves on the dead-letter output with the reason. Items whose TTL has passed at
    `now` are counted as expired and not emitted.
    """

    def __init__(self, table: str, now: int):
        self._table = table
        self._now = now

    def setup(self):
        source = SOURCE_SPECS[self._table]
        self._specs = [ITEM_SPECS[tp] for tp in source.items]
        self._key = source.key
        self._mapped = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_mapped(s.tp)) for s in self._specs}
        self._expired = {s.tp: Metrics.counter(metrics.NAMESPACE, metrics.items_expired(s.tp)) for s in self._specs}
        self._dead = Metrics.counter(metrics.NAMESPACE, metrics.dead_letters(self._table))

    def process(self, row: dict):
        try:
            items = [(spec, spec.to_item(row)) for spec in self._specs if spec.produces_item_for(row)]
        except RowRejected as rejected:
            self._dead.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, dead_letter_for_row(self._table, row.get(self._key), str(rejected), row))
            return
        for spec, item in items:
            if spec.is_expired(item, self._now):
                self._expired[spec.tp].inc()
                continue
            self._mapped[spec.tp].inc()
            yield item


class ToItems(beam.PTransform):
    """Rows of `table` -> items (main output) and dead letters (`dead_letter` output)."""

    def __init__(self, table: str, now: int):
        super().__init__()
        self._table = table
        self._now = now

    def expand(self, rows):
        return rows | "RowToItems" >> beam.ParDo(RowToItems(self._table, self._now)).with_outputs(
            DEAD_LETTER, main="items")
