"""WriteToDynamoDB: items -> BatchWriteItem requests, flushed per bundle, counted with Metrics."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from connections import dynamodb
from connections.config import DynamoDBConfig
from transforms import metrics
from transforms.dynamodb_batch import MAX_BATCH_ITEMS, BatchWriter, WriteStats


class WriteBatchesFn(beam.DoFn):
    """Client in setup(), a fresh buffer per bundle, everything flushed in finish_bundle()."""

    def __init__(self, dynamo: DynamoDBConfig, batch_size: int = MAX_BATCH_ITEMS):
        self._dynamo = dynamo
        self._batch_size = batch_size

    def setup(self):
        self._client = dynamodb.client(self._dynamo)
        self._batches = Metrics.counter(metrics.NAMESPACE, metrics.WRITE_BATCHES)
        self._requests = Metrics.counter(metrics.NAMESPACE, metrics.WRITE_REQUESTS)
        self._resent = Metrics.counter(metrics.NAMESPACE, metrics.WRITE_UNPROCESSED_RESENT)
        self._written = {}

    def start_bundle(self):
        self._writer = BatchWriter(self._client, self._dynamo.table, self._batch_size)

    def process(self, item: dict):
        self._writer.put(item)

    def finish_bundle(self):
        self._writer.flush()
        self._report(self._writer.stats)

    def _report(self, stats: WriteStats):
        self._batches.inc(stats.batches)
        self._requests.inc(stats.requests)
        self._resent.inc(stats.unprocessed_resent)
        for tp, count in stats.by_type.items():
            counter = self._written.get(tp)
            if counter is None:
                counter = self._written[tp] = Metrics.counter(metrics.NAMESPACE, metrics.items_written(tp))
            counter.inc(count)

    def teardown(self):
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


class WriteToDynamoDB(beam.PTransform):
    def __init__(self, dynamo: DynamoDBConfig, batch_size: int = MAX_BATCH_ITEMS):
        super().__init__()
        self._dynamo = dynamo
        self._batch_size = batch_size

    def expand(self, items):
        return items | "BatchWriteItem" >> beam.ParDo(WriteBatchesFn(self._dynamo, self._batch_size))
