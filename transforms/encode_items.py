"""EncodeItems: items -> DynamoDB JSON, once, rejecting what DynamoDB would reject.

The dry run and the migration run the same step, so a dry run finds every item the real
run would fail on; the writer then sends the encoded form without serialising again.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms import metrics
from transforms.dead_letters import dead_letter_for_item
from transforms.dynamodb_batch import to_wire

DEAD_LETTER = "dead_letter"


class EncodeItemFn(beam.DoFn):
    def setup(self):
        self._dead = {}

    def process(self, item: dict):
        try:
            yield to_wire(item)
        except (TypeError, ValueError, ArithmeticError) as error:
            tp = item.get("tp", "?")
            counter = self._dead.get(tp)
            if counter is None:
                counter = self._dead[tp] = Metrics.counter(metrics.NAMESPACE, metrics.dead_letters_encode(tp))
            counter.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, dead_letter_for_item("encode", item, f"cannot encode for DynamoDB: {error!r}", "not_encodable"))


class EncodeItems(beam.PTransform):
    def expand(self, items):
        return items | "EncodeItem" >> beam.ParDo(EncodeItemFn()).with_outputs(DEAD_LETTER, main="encoded")
