"""Writes that must land in order, in memory that does not grow (no Beam here).

A buffer keyed by item key: a later write of a key replaces the earlier one, so a key is
written once per flush. `flush()` sends the buffer through a BatchWriter (several requests in
flight) and waits for all of it: a barrier, so a key written again after a flush can never be
overtaken by its older write. `pending(pk)` shows what the buffer will do to one partition,
for a reader who must see the table as it will be.
"""

from __future__ import annotations

from typing import Iterator

from connectors.dynamodb.batch_writer import BatchWriter, WriteFailure
from connectors.dynamodb.wire import EncodedItem


class CoalescedWriter:
    def __init__(self, writer: BatchWriter, flush_every: int):
        self._writer = writer
        self._flush_every = flush_every
        self._buffer: dict[tuple[str, str], EncodedItem] = {}

    def put(self, write: EncodedItem) -> None:
        self._buffer[(write.pk, write.sk)] = write

    @property
    def full(self) -> bool:
        return len(self._buffer) >= self._flush_every

    def pending(self, pk: str) -> Iterator[EncodedItem]:
        """The buffered writes of partition `pk`."""
        return (write for (item_pk, _), write in self._buffer.items() if item_pk == pk)

    def flush(self, dry_run: bool = False) -> tuple[list[EncodedItem], list[WriteFailure]]:
        """(what was flushed, what failed of it); with `dry_run` nothing is sent."""
        writes, self._buffer = list(self._buffer.values()), {}
        if dry_run or not writes:
            return writes, []
        for write in writes:
            self._writer.put(write)
        self._writer.flush()
        return writes, self._writer.take_failures()
