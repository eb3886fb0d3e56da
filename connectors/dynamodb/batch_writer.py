"""Plain batch writing (no Beam here): BatchWriteItem that never loses an item.

What boto3's `Table.batch_writer()` lacks and this has: backoff with jitter between re-sends
of UnprocessedItems and after throttling, 5xx answers, resets and timeouts, bounded by
attempts and time; a request-size limit computed from the items' JSON; a flush before a key
repeats inside one batch; a batch DynamoDB refuses as invalid split in halves until the bad
item stands alone (its batch-mates are written, it is returned as a failure); several
requests in flight; a write rate found from DynamoDB's push-backs (write_rate.py) under a hard
ceiling; and counts of everything.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Callable

from connectors.retry import RetryPolicy
from connectors.dynamodb.transport import DynamoDBError
from connectors.dynamodb.write_rate import AdaptiveWriteRate, WriteRateLimiter
from connectors.errors import RunStopped
from connectors.dynamodb.wire import MAX_REQUEST_BYTES, EncodedItem, batch_write_body

MAX_BATCH_ITEMS = 25
DEFAULT_CONCURRENCY = 8
REQUEST_OVERHEAD_BYTES = 1024  # {"RequestItems":{"<table>":[...]},"ReturnConsumedCapacity":"TOTAL"}
# Errors an item in the batch can cause: the batch is halved until the bad item stands alone.
# Any other error that retrying cannot cure is about the request as a whole (no table, no
# access): every batch would fail the same way, so the run stops (WriteAborted).
ITEM_LEVEL_ERRORS = frozenset({"ValidationException", "SerializationException",
                               "ItemCollectionSizeLimitExceededException"})


class WriteAborted(RunStopped):
    """DynamoDB refuses every request (missing table, no access, bad credentials): stop the run."""


@dataclass
class WriteStats:
    """Counts shared by the sending threads; `snapshot()` for reporting."""

    items: int = 0
    bytes: int = 0
    requests: int = 0
    retries: int = 0
    throttles: int = 0
    unprocessed_resent: int = 0
    consumed_write_units: float = 0.0
    write_units: int = 0  # computed from item sizes, for the items written
    dead_letters: int = 0
    by_type: dict = field(default_factory=dict)  # items put, per item type
    deleted_by_type: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas) -> None:
        with self._lock:
            for name, value in deltas.items():
                setattr(self, name, getattr(self, name) + value)

    def written(self, items: list[EncodedItem]) -> None:
        with self._lock:
            self.items += len(items)
            for item in items:
                counts = self.deleted_by_type if item.delete else self.by_type
                counts[item.tp] = counts.get(item.tp, 0) + 1

    def snapshot(self) -> dict:
        with self._lock:
            values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
            values["by_type"] = dict(self.by_type)
            values["deleted_by_type"] = dict(self.deleted_by_type)
            return values


@dataclass(frozen=True)
class WriterSettings:
    """How a worker writes: items per request, requests in flight, its share of the write
    rate's ceiling (write units per second, None = none), retry bounds, ConsumedCapacity asked."""

    batch_size: int = MAX_BATCH_ITEMS
    concurrency: int = DEFAULT_CONCURRENCY
    write_units_per_second: float | None = None  # the ceiling; below it the rate adapts to push-backs
    policy: RetryPolicy = RetryPolicy()
    consumed_capacity: bool = True

    def rate_limiter(self) -> AdaptiveWriteRate:
        """A worker's own limiter (made in setup(): it holds a lock and the worker's own history)."""
        return AdaptiveWriteRate(self.write_units_per_second)

    def __post_init__(self):
        if not 1 <= self.batch_size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_ITEMS} (BatchWriteItem's limit)")
        if self.concurrency < 1:
            raise ValueError("write concurrency must be at least 1")
        if self.write_units_per_second is not None and self.write_units_per_second <= 0:
            raise ValueError("the write rate must be positive")


@dataclass(frozen=True)
class WriteFailure:
    item: EncodedItem
    reason: str
    code: str


class BatchSender:
    """Sends one batch until every item is written or has failed for a stated reason."""

    def __init__(self, http, table: str, policy: RetryPolicy = RetryPolicy(), limiter: WriteRateLimiter | None = None,
                 stats: WriteStats | None = None,
                 sleep: Callable[[float], None] = time.sleep,  # pacing: backoff between a batch's attempts
                 rng: random.Random | None = None, consumed_capacity: bool = True):
        """`consumed_capacity`: ask DynamoDB for ReturnConsumedCapacity=TOTAL on every request."""
        self._http = http
        self._consumed_capacity = consumed_capacity
        self._table = table
        self._policy = policy
        self._limiter = limiter or WriteRateLimiter(None)
        self.stats = stats or WriteStats()
        self._sleep = sleep
        self._rng = rng or random.Random()

    def send(self, batch: list[EncodedItem]) -> list[WriteFailure]:
        pending = list(batch)
        started, attempt, last_error = time.monotonic(), 0, ""
        while pending:
            if attempt >= self._policy.max_attempts or time.monotonic() - started > self._policy.max_elapsed_seconds:
                reason = (f"not written after {attempt} attempts over {time.monotonic() - started:.0f} s; "
                          f"last: {last_error}")
                self.stats.add(dead_letters=len(pending))
                return [WriteFailure(item, reason, "write_retries_exhausted") for item in pending]
            if attempt:
                self.stats.add(retries=1)
                self._sleep(self._policy.delay(attempt - 1, self._rng))
            self._limiter.acquire(sum(item.write_units for item in pending))
            body = batch_write_body(self._table, pending, self._consumed_capacity)
            attempt += 1
            try:
                self.stats.add(requests=1)
                answer = self._http.call("BatchWriteItem", body)
            except DynamoDBError as error:
                last_error = str(error)
                if error.retryable:
                    self.stats.add(throttles=1 if error.throttle else 0)
                    if error.throttle:
                        self._limiter.on_pushback()
                    continue
                if error.code in ITEM_LEVEL_ERRORS:
                    return self._isolate(pending, error)
                raise WriteAborted(f"DynamoDB refused a BatchWriteItem to {self._table}: {error}") from None
            unprocessed = self._unprocessed(answer, pending)
            done = [item for item in pending if (item.pk, item.sk) not in unprocessed]
            self.stats.written(done)
            self.stats.add(bytes=sum(len(item.json) for item in done),  # UTF-8 bytes of each item's JSON
                           write_units=sum(item.write_units for item in done),
                           consumed_write_units=sum(c.get("CapacityUnits", 0.0)
                                                    for c in answer.get("ConsumedCapacity") or []))
            pending = [item for item in pending if (item.pk, item.sk) in unprocessed]
            if pending:
                self.stats.add(unprocessed_resent=len(pending))
                last_error = f"{len(pending)} items returned as UnprocessedItems"
                self._limiter.on_pushback()
            else:
                self._limiter.on_success()
        return []

    def _unprocessed(self, answer: dict, pending: list[EncodedItem]) -> set[tuple[str, str]]:
        returned = (answer.get("UnprocessedItems") or {}).get(self._table) or []
        keys = (r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"] for r in returned)
        return {(key["PK"]["S"], key["SK"]["S"]) for key in keys}

    def _isolate(self, batch: list[EncodedItem], error: DynamoDBError) -> list[WriteFailure]:
        """A batch refused as invalid: halve it until the bad items stand alone."""
        if len(batch) == 1:
            self.stats.add(dead_letters=1)
            return [WriteFailure(batch[0], f"DynamoDB refused the item: {error}", "write_refused")]
        middle = len(batch) // 2
        return self.send(batch[:middle]) + self.send(batch[middle:])


class BatchWriter:
    """Groups items into batches (<= batch_size items, <= 16 MB, no repeated key) and sends
    them, `concurrency` at a time. `take_failures()` hands back what could not be written."""

    def __init__(self, sender: BatchSender, batch_size: int = MAX_BATCH_ITEMS, concurrency: int = 1,
                 executor: ThreadPoolExecutor | None = None):
        if not 1 <= batch_size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_ITEMS}, got {batch_size}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._sender = sender
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._executor = executor if concurrency > 1 else None
        self._in_flight: list[Future] = []
        self._slots = threading.BoundedSemaphore(concurrency * 2)
        self._buffer: list[EncodedItem] = []
        self._keys: set[tuple[str, str]] = set()
        self._bytes = REQUEST_OVERHEAD_BYTES
        self._failures: list[WriteFailure] = []
        self._lock = threading.Lock()

    @property
    def stats(self) -> WriteStats:
        return self._sender.stats

    def put(self, item: EncodedItem) -> None:
        key = (item.pk, item.sk)
        size = item.request_bytes
        if key in self._keys or self._bytes + size > MAX_REQUEST_BYTES:
            self._dispatch()  # the same key twice in one request is refused; keep each request under 16 MB
        self._buffer.append(item)
        self._keys.add(key)
        self._bytes += size
        if len(self._buffer) >= self._batch_size:
            self._dispatch()

    def flush(self) -> None:
        self._dispatch()
        for future in self._in_flight:
            future.result()  # re-raises WriteAborted and the like
        self._in_flight = []

    @property
    def has_failures(self) -> bool:
        """A cheap look (no lock) before take_failures(): per item, the lock would cost more than the rest."""
        return bool(self._failures)

    def take_failures(self) -> list[WriteFailure]:
        with self._lock:
            failures, self._failures = self._failures, []
        return failures

    def _dispatch(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer, self._keys, self._bytes = self._buffer, [], set(), REQUEST_OVERHEAD_BYTES
        for future in self._in_flight:
            if future.done() and future.exception() is not None:
                raise future.exception()  # e.g. WriteAborted: stop reading, the run has failed
        if self._executor is None:
            self._record(self._sender.send(batch))
            return
        self._slots.acquire()  # at most 2x concurrency batches held in memory
        self._in_flight = [f for f in self._in_flight if not f.done() or f.exception() is not None]
        future = self._executor.submit(self._send_and_record, batch)
        future.add_done_callback(lambda _: self._slots.release())
        self._in_flight.append(future)

    def _send_and_record(self, batch: list[EncodedItem]) -> None:
        # Failures are recorded inside the task, not in a done-callback: Future.result() can return
        # before the callbacks run, and flush() must see every failure when it returns.
        self._record(self._sender.send(batch))

    def _record(self, failures: list[WriteFailure]) -> None:
        if failures:
            with self._lock:
                self._failures.extend(failures)
