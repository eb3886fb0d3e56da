"""The DynamoDB connector's Beam side: WriteToDynamoDB and ScanTable.

WriteToDynamoDB: encoded items -> BatchWriteItem, several requests in flight per worker. It
returns the dead letters: items DynamoDB refused or that could not be written within the
retry bounds, each with its reason, ready for `algoitny-etl replay`.

ScanTable: a parallel segmented Scan as a PCollection of items (DynamoDB JSON).

Each DoFn builds its client in setup() from the factory it was given (by default the
connector's own), so a test can hand it another.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import apache_beam as beam
from apache_beam.metrics import Metrics

from connectors import metrics
from connectors.dynamodb.batch_writer import BatchSender, BatchWriter, WriteFailure, WriterSettings, WriteStats
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.reads import prefetched, scan_pages
from connectors.dynamodb.transport import SignedHttpClient
from connectors.dynamodb.wire import AfterWritten, EncodedItem
from connectors.files.progress import ProgressFile
from connectors.windowing import in_global_window
from schema.dead_letters import DEAD_LETTER, dead_letter_for_write

_LOG = logging.getLogger(__name__)
REPORT_EVERY_SECONDS = 2.0

_COUNTERS = {
    "requests": metrics.WRITE_REQUESTS, "retries": metrics.WRITE_RETRIES, "throttles": metrics.WRITE_THROTTLES,
    "unprocessed_resent": metrics.WRITE_UNPROCESSED_RESENT, "bytes": metrics.WRITE_BYTES,
    "dead_letters": metrics.WRITE_DEAD_LETTERS, "write_units": metrics.WRITE_UNITS,
}


class WriterCore:
    """A worker's DynamoDB writing, made in a DoFn's setup(): the transport, the senders' threads,
    the write rate, the stats and the Beam counters they feed, dead-letter records of what could
    not be written, and teardown. WriteBatchesFn and sync's applier both stand on it, so both
    report requests, retries, throttles and UnprocessedItems alike.

    `http_factory(config, max_connections)` makes the transport (default: the signed HTTP client).
    """

    def __init__(self, dynamo: DynamoDBConfig, settings: WriterSettings, http_factory: Callable = SignedHttpClient,
                 progress_dir: str | None = None):
        self._settings = settings
        self.http = http_factory(dynamo, max_connections=settings.concurrency + 1)
        self._executor = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="batch-write") \
            if settings.concurrency > 1 else None
        self._stats = WriteStats()
        self._sender = BatchSender(self.http, dynamo.table, settings.policy, settings.rate_limiter(), self._stats,
                                   consumed_capacity=settings.consumed_capacity)
        # The tool's own state items go through a sender of their own: they are not the run's items.
        self._state_stats = WriteStats()
        self.state_sender = BatchSender(self.http, dynamo.table, settings.policy, stats=self._state_stats)
        self._counters = {name: Metrics.counter(metrics.NAMESPACE, counter) for name, counter in _COUNTERS.items()}
        self._consumed = Metrics.counter(metrics.NAMESPACE, metrics.WRITE_CONSUMED_UNITS)
        self._written = {}
        self._reported = self._snapshot()
        self._reported_at = time.monotonic()
        self._progress = ProgressFile(progress_dir, "write") if progress_dir else None

    def new_writer(self) -> BatchWriter:
        return BatchWriter(self._sender, self._settings.batch_size, self._settings.concurrency, self._executor)

    @staticmethod
    def dead_letter(failure: WriteFailure) -> beam.pvalue.TaggedOutput:
        item = failure.item
        return beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter_for_write(
            (item.pk, item.sk), item.tp, item.json, failure.reason, failure.code, item.delete))

    def _snapshot(self) -> dict:
        """The writer's figures; requests and retries of the state items (done ranges) count too."""
        now, state = self._stats.snapshot(), self._state_stats.snapshot()
        for name in ("requests", "retries", "throttles", "unprocessed_resent"):
            now[name] += state[name]
        return now

    def report(self, force: bool = False) -> None:
        """Beam counters take increments on the DoFn's own thread: report what the senders counted
        (every REPORT_EVERY_SECONDS, and when forced)."""
        if not force and time.monotonic() - self._reported_at <= REPORT_EVERY_SECONDS:
            return
        now = self._snapshot()
        for name, counter in self._counters.items():
            counter.inc(now[name] - self._reported[name])
        self._consumed.inc(int(now["consumed_write_units"]) - int(self._reported["consumed_write_units"]))
        for field_name, name_of in (("by_type", metrics.items_written), ("deleted_by_type", metrics.items_deleted)):
            for tp, count in now[field_name].items():
                counter = self._written.get(name_of(tp))
                if counter is None:
                    counter = self._written[name_of(tp)] = Metrics.counter(metrics.NAMESPACE, name_of(tp))
                counter.inc(count - self._reported[field_name].get(tp, 0))
        self._reported, self._reported_at = now, time.monotonic()
        if self._progress is not None:
            self._progress.update({"items_written": now["items"], "write_retries": now["retries"]}, force=force)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.http.close()


class WriteBatchesFn(beam.DoFn):
    """The writer core in setup(); a batcher per bundle, flushed in finish_bundle(). An
    AfterWritten marker records that all of its origin's items (a key range's) are written."""

    def __init__(self, dynamo: DynamoDBConfig, settings: WriterSettings = WriterSettings(),
                 progress_dir: str | None = None, http_factory: Callable = SignedHttpClient):
        self._dynamo = dynamo
        self._settings = settings
        self._progress_dir = progress_dir
        self._http_factory = http_factory

    def setup(self):
        self._core = WriterCore(self._dynamo, self._settings, self._http_factory, self._progress_dir)

    def start_bundle(self):
        self._writer = self._core.new_writer()
        self._seen: dict[str, int] = {}  # origin -> items put in this bundle
        self._failed: dict[str, int] = {}  # origin -> items of it that failed

    def process(self, element: EncodedItem | AfterWritten):
        if isinstance(element, AfterWritten):
            yield from self._after_written(element)
            return
        if element.origin is not None:
            self._seen[element.origin] = self._seen.get(element.origin, 0) + 1
        self._writer.put(element)
        if self._writer.has_failures:
            yield from self._failures()
        self._core.report()

    def finish_bundle(self):
        self._writer.flush()
        for output in self._failures():
            yield in_global_window(output)
        self._core.report(force=True)

    def _after_written(self, marker: AfterWritten):
        """Wait for every write in flight; if all of the origin's items are written, write the marker's item."""
        self._writer.flush()
        yield from self._failures()
        seen, failed = self._seen.pop(marker.origin, 0), self._failed.pop(marker.origin, 0)
        if seen != marker.expected_items or failed:
            return  # not provably complete here: left unmarked, which is always safe
        if self._core.state_sender.send([marker.item]):
            _LOG.warning("could not record that %s was written; a resumed run reads it again", marker.origin)

    def _failures(self):
        for failure in self._writer.take_failures():
            if failure.item.origin is not None:
                self._failed[failure.item.origin] = self._failed.get(failure.item.origin, 0) + 1
            yield self._core.dead_letter(failure)

    def teardown(self):
        core = getattr(self, "_core", None)
        if core is not None:
            core.close()


class WriteToDynamoDB(beam.PTransform):
    """Encoded items (puts and deletes, and AfterWritten markers) -> the table. The result is the
    PCollection of write dead letters."""

    def __init__(self, dynamo: DynamoDBConfig, settings: WriterSettings = WriterSettings(),
                 progress_dir: str | None = None, http_factory: Callable = SignedHttpClient):
        super().__init__()
        self._fn = WriteBatchesFn(dynamo, settings, progress_dir, http_factory)

    def expand(self, items):
        return (items | "BatchWriteItem" >> beam.ParDo(self._fn).with_outputs(DEAD_LETTER, main="written")
                ).dead_letter


class ScanSegmentFn(beam.DoFn):
    """Segment number -> the items of that Scan segment that `keep` accepts (DynamoDB JSON).

    Pages come through the signed transport (`http_factory(config, max_connections)`), the
    next one fetched while this one is processed.
    """

    def __init__(self, dynamo: DynamoDBConfig, total_segments: int, keep: Callable[[dict], bool], scan_args: dict,
                 http_factory: Callable = SignedHttpClient):
        self._dynamo = dynamo
        self._total = total_segments
        self._keep = keep
        self._scan_args = scan_args
        self._http_factory = http_factory

    def setup(self):
        self._http = self._http_factory(self._dynamo, max_connections=2)

    def process(self, segment: int):
        keep = self._keep
        for page in prefetched(scan_pages(self._http, self._dynamo.table, segment, self._total, **self._scan_args)):
            for item in page:
                if keep(item):
                    yield item

    def teardown(self):
        http = getattr(self, "_http", None)
        if http is not None:
            http.close()


class ScanTable(beam.PTransform):
    """The table's items that `keep` accepts, read by `segments` parallel Scan segments."""

    def __init__(self, dynamo: DynamoDBConfig, segments: int, keep: Callable[[dict], bool],
                 http_factory: Callable = SignedHttpClient, **scan_args):
        super().__init__()
        self._dynamo = dynamo
        self._segments = segments
        self._keep = keep
        self._http_factory = http_factory
        self._scan_args = scan_args

    def expand(self, pbegin):
        return (
            pbegin
            | "Segments" >> beam.Create(list(range(self._segments)))
            | "Distribute" >> beam.Reshuffle()
            | "ScanSegment" >> beam.ParDo(ScanSegmentFn(self._dynamo, self._segments, self._keep, self._scan_args,
                                                        self._http_factory))
        )
