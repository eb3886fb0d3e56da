"""Plain boto3 batch writing (no Beam here): BatchWriteItem with UnprocessedItems re-sent.

What boto3's `Table.batch_writer()` lacks and this has: backoff with jitter between
re-sends of UnprocessedItems, a bound after which it fails loudly instead of looping or
dropping, and a flush before a key repeats inside one batch (DynamoDB rejects such a batch).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

from boto3.dynamodb.types import TypeSerializer

MAX_BATCH_ITEMS = 25


class BatchWriteFailed(RuntimeError):
    """Items still unprocessed after the retry bound; nothing is dropped silently."""


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 0.05
    cap_seconds: float = 5.0
    max_elapsed_seconds: float = 900.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * (2 ** attempt)))


@dataclass
class WriteStats:
    items: int = 0
    batches: int = 0
    requests: int = 0
    unprocessed_resent: int = 0
    by_type: dict = field(default_factory=dict)


_serializer = TypeSerializer()


def to_wire(item: dict) -> dict:
    """An item of Python values -> the DynamoDB JSON attribute map, built once per item."""
    return {name: _serializer.serialize(value) for name, value in item.items()}


class BatchWriter:
    """Buffers items and sends them with BatchWriteItem, at most `batch_size` per request."""

    def __init__(self, client, table: str, batch_size: int = MAX_BATCH_ITEMS, backoff: Backoff = Backoff(),
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        if not 1 <= batch_size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_ITEMS}, got {batch_size}")
        self._client = client
        self._table = table
        self._batch_size = batch_size
        self._backoff = backoff
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._buffer: list[dict] = []
        self._keys: set[tuple] = set()
        self.stats = WriteStats()

    def put(self, wire_item: dict) -> None:
        """Add one item already in DynamoDB JSON form (see `to_wire`)."""
        key = (wire_item["PK"]["S"], wire_item["SK"]["S"])
        if key in self._keys:
            # The same key twice in one request is a ValidationException; send the first one first.
            self.flush()
        self._buffer.append({"PutRequest": {"Item": wire_item}})
        self._keys.add(key)
        tp = wire_item.get("tp", {}).get("S")
        self.stats.by_type[tp] = self.stats.by_type.get(tp, 0) + 1
        if len(self._buffer) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        requests, self._buffer, self._keys = self._buffer, [], set()
        self._send(requests)
        self.stats.items += len(requests)
        self.stats.batches += 1

    def _send(self, requests: list[dict]) -> None:
        started = time.monotonic()
        attempt = 0
        pending = requests
        while True:
            self.stats.requests += 1
            response = self._client.batch_write_item(RequestItems={self._table: pending})
            pending = (response.get("UnprocessedItems") or {}).get(self._table) or []
            if not pending:
                return
            self.stats.unprocessed_resent += len(pending)
            if time.monotonic() - started > self._backoff.max_elapsed_seconds:
                raise BatchWriteFailed(
                    f"{len(pending)} items of a batch to {self._table} still unprocessed after "
                    f"{attempt + 1} attempts over {self._backoff.max_elapsed_seconds:.0f} s"
                )
            self._sleep(self._backoff.delay(attempt, self._rng))
            attempt += 1
