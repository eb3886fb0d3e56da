"""How fast one worker writes (no Beam here): a fixed token bucket, or a rate found from what
DynamoDB answers. BatchSender calls `acquire(units)` before each request, and tells the limiter
of push-backs (throttling, UnprocessedItems) and of requests that went through untouched.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class WriteRateLimiter:
    """Token bucket in write units per second (one second of burst); `rate` None = unlimited."""

    def __init__(self, units_per_second: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):  # pacing: the wait for write units
        self.rate = units_per_second
        self._clock, self._sleep = clock, sleep
        self._tokens = units_per_second or 0.0
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self, units: int) -> None:
        with self._lock:
            now = self._clock()
            self._sent(now, units)
            if not self.rate:
                return
            self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= units
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)

    def _sent(self, now: float, units: int) -> None:
        """Called under the lock for every request; a fixed rate keeps no history."""

    def on_pushback(self) -> None:
        """DynamoDB throttled or left items unprocessed: a fixed rate does not move."""

    def on_success(self) -> None:
        """A request went through untouched."""


class AdaptiveWriteRate(WriteRateLimiter):
    """The write units per second one worker sends, found from what DynamoDB answers: additive
    increase, multiplicative decrease, as TCP finds a link's capacity.

    Until DynamoDB first pushes back (throttling, UnprocessedItems) it sends as fast as it can,
    up to `ceiling` (this worker's share of --max-write-rate, a hard limit). At a push-back the
    rate falls to `decrease` times what was sent over the last second, at most once a window:
    the requests already in flight when it falls answer with push-backs of their own, which must
    not cut it again. Each window without push-back it grows by `increase` of itself (at least
    `min_step`), never past the ceiling. A provisioned or busy table thus settles the load near
    the capacity it is given instead of retrying at full force; an on-demand table that never
    pushes back is never slowed.
    """

    def __init__(self, ceiling: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,  # pacing: the wait for write units
                 decrease: float = 0.7, increase: float = 0.05,
                 min_step: float = 25.0, window: float = 1.0):
        super().__init__(ceiling, clock, sleep)
        self._ceiling = ceiling
        self._decrease, self._increase, self._min_step, self._window = decrease, increase, min_step, window
        self._changed = float("-inf")  # a push-back in the first window counts too
        self._history: deque[tuple[float, int]] = deque()  # (when, units) over the last window

    def _sent(self, now: float, units: int) -> None:
        self._history.append((now, units))
        while self._history[0][0] < now - self._window:
            self._history.popleft()

    def on_pushback(self) -> None:
        with self._lock:
            now = self._clock()
            if self.rate is not None and now - self._changed < self._window:
                return
            sending = sum(units for _, units in self._history) / self._window
            current = sending if self.rate is None else min(self.rate, max(sending, self._min_step))
            self.rate = max(self._min_step, current * self._decrease)
            self._tokens = min(self._tokens, self.rate)
            self._stamp = now  # while unlimited the bucket was not kept: no refill for that time
            self._changed = now

    def on_success(self) -> None:
        with self._lock:
            now = self._clock()
            if self.rate is None or now - self._changed < self._window:
                return
            grown = self.rate + max(self._min_step, self.rate * self._increase)
            self.rate = grown if self._ceiling is None else min(grown, self._ceiling)
            self._changed = now
