"""EncodeItems: items -> EncodedItem (DynamoDB JSON text + write units), once.

The dry run and the migration run the same step, so a dry run finds every item the real run
would fail to encode; the writer then sends the text without serialising again.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from schema.item_size import item_size, write_units
from transforms import metrics
from transforms.dead_letters import dead_letter_for_item
from transforms.dynamodb_wire import EncodedItem, item_json

DEAD_LETTER = "dead_letter"


def encode(item: dict) -> EncodedItem:
    return EncodedItem(item["PK"], item["SK"], item["tp"], item_json(item), write_units(item_size(item)))


class EncodeItemFn(beam.DoFn):
    def setup(self):
        self._dead = {}

    def process(self, item: dict):
        try:
            yield encode(item)
        except (TypeError, ValueError, ArithmeticError) as error:
            tp = item.get("tp", "?")
            counter = self._dead.get(tp)
            if counter is None:
                counter = self._dead[tp] = Metrics.counter(metrics.NAMESPACE, metrics.dead_letters_encode(tp))
            counter.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER, dead_letter_for_item("encode", item, f"cannot encode for DynamoDB: {error!r}",
                                                  "not_encodable"))


class EncodeItems(beam.PTransform):
    def expand(self, items):
        return items | "EncodeItem" >> beam.ParDo(EncodeItemFn()).with_outputs(DEAD_LETTER, main="encoded")
