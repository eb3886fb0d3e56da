"""WriteToDynamoDB: encoded items -> BatchWriteItem, several requests in flight per worker.

Returns the dead letters: items DynamoDB refused or that could not be written within the
retry bounds, each with its reason, ready for `algoitny-etl replay`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics

from connections.config import DynamoDBConfig
from transforms import metrics
from transforms.dead_letters import dead_letter_for_write
from transforms.dynamodb_batch import MAX_BATCH_ITEMS, BatchSender, BatchWriter, RetryPolicy, WriteRateLimiter, \
    WriteStats
from transforms.dynamodb_wire import EncodedItem, SignedHttpClient
from transforms.progress import ProgressFile
from transforms.windowing import in_global_window

DEAD_LETTER = "dead_letter"
DEFAULT_CONCURRENCY = 8
REPORT_EVERY_SECONDS = 2.0

_COUNTERS = {
    "requests": metrics.WRITE_REQUESTS, "retries": metrics.WRITE_RETRIES, "throttles": metrics.WRITE_THROTTLES,
    "unprocessed_resent": metrics.WRITE_UNPROCESSED_RESENT, "bytes": metrics.WRITE_BYTES,
    "dead_letters": metrics.WRITE_DEAD_LETTERS, "write_units": metrics.WRITE_UNITS,
}


class WriteBatchesFn(beam.DoFn):
    """Client, threads and rate limiter in setup(); a batcher per bundle, flushed in finish_bundle()."""

    def __init__(self, dynamo: DynamoDBConfig, batch_size: int = MAX_BATCH_ITEMS,
                 concurrency: int = DEFAULT_CONCURRENCY, write_units_per_second: float | None = None,
                 policy: RetryPolicy = RetryPolicy(), progress_dir: str | None = None, consumed_capacity: bool = True):
        self._dynamo = dynamo
        self._consumed_capacity = consumed_capacity
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._rate = write_units_per_second
        self._policy = policy
        self._progress_dir = progress_dir

    def setup(self):
        self._http = SignedHttpClient(self._dynamo, max_connections=self._concurrency + 1)
        self._executor = ThreadPoolExecutor(self._concurrency, thread_name_prefix="batch-write") \
            if self._concurrency > 1 else None
        self._stats = WriteStats()
        self._sender = BatchSender(self._http, self._dynamo.table, self._policy, WriteRateLimiter(self._rate),
                                   self._stats, consumed_capacity=self._consumed_capacity)
        self._counters = {name: Metrics.counter(metrics.NAMESPACE, counter) for name, counter in _COUNTERS.items()}
        self._consumed = Metrics.counter(metrics.NAMESPACE, metrics.WRITE_CONSUMED_UNITS)
        self._written = {}
        self._reported = self._stats.snapshot()
        self._reported_at = time.monotonic()
        self._progress = ProgressFile(self._progress_dir, "write") if self._progress_dir else None

    def start_bundle(self):
        self._writer = BatchWriter(self._sender, self._batch_size, self._concurrency, self._executor)

    def process(self, item: EncodedItem):
        self._writer.put(item)
        yield from self._failures()
        if time.monotonic() - self._reported_at > REPORT_EVERY_SECONDS:
            self._report()

    def finish_bundle(self):
        self._writer.flush()
        for output in self._failures():
            yield in_global_window(output)
        self._report(force=True)

    def _failures(self):
        for failure in self._writer.take_failures():
            item = failure.item
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for_write(
                (item.pk, item.sk), item.tp, item.json, failure.reason, failure.code))

    def _report(self, force: bool = False):
        """Beam counters take increments on the DoFn's own thread: report what the senders counted."""
        now = self._stats.snapshot()
        for name, counter in self._counters.items():
            counter.inc(now[name] - self._reported[name])
        self._consumed.inc(int(now["consumed_write_units"]) - int(self._reported["consumed_write_units"]))
        for tp, count in now["by_type"].items():
            counter = self._written.get(tp)
            if counter is None:
                counter = self._written[tp] = Metrics.counter(metrics.NAMESPACE, metrics.items_written(tp))
            counter.inc(count - self._reported["by_type"].get(tp, 0))
        self._reported, self._reported_at = now, time.monotonic()
        if self._progress is not None:
            self._progress.update({"items_written": now["items"], "write_retries": now["retries"]}, force=force)

    def teardown(self):
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)
        http = getattr(self, "_http", None)
        if http is not None:
            http.close()


class WriteToDynamoDB(beam.PTransform):
    """Encoded items -> the table. The result is the PCollection of write dead letters."""

    def __init__(self, dynamo: DynamoDBConfig, batch_size: int = MAX_BATCH_ITEMS,
                 concurrency: int = DEFAULT_CONCURRENCY, write_units_per_second: float | None = None,
                 policy: RetryPolicy = RetryPolicy(), progress_dir: str | None = None, consumed_capacity: bool = True):
        super().__init__()
        self._fn = WriteBatchesFn(dynamo, batch_size, concurrency, write_units_per_second, policy, progress_dir,
                                  consumed_capacity)

    def expand(self, items):
        return (items | "BatchWriteItem" >> beam.ParDo(self._fn).with_outputs(DEAD_LETTER, main="written")
                ).dead_letter
