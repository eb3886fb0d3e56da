"""How long to keep trying: jittered exponential backoff with a bound (no Beam here).

One policy for every call the connectors retry (DynamoDB batch writes, reads and batch gets,
MySQL reads whose connection dropped, the tool's conditional state writes): only what is
retryable is retried (throttling, UnprocessedItems, 5xx, dropped connections, a condition that
lost a race), and never forever. `call()` is the one retry loop for a call that is simply made
again. Two loops resume instead of repeating, so they keep their own, on this policy: the
batch writer's next attempt sends only what the last left unwritten, and a MySQL range read
goes on after the last row it delivered.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 0.05
    cap_seconds: float = 5.0
    max_attempts: int = 20
    max_elapsed_seconds: float = 600.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * (2 ** attempt)))

    def exhausted(self, attempts: int, started: float) -> bool:
        return attempts >= self.max_attempts or time.monotonic() - started > self.max_elapsed_seconds

    def call(self, fn: Callable[[], T], retryable: Callable[[BaseException], bool],
             sleep: Callable[[float], None] = time.sleep,  # pacing: the backoff between attempts
             rng: random.Random | None = None,
             on_retry: Callable[[BaseException, int], None] | None = None) -> T:
        """fn() until it returns; an error `retryable` accepts is tried again after a backoff,
        until the policy's bounds are spent (then it is raised); any other is raised at once."""
        rng = rng or random.Random()
        started, attempts = time.monotonic(), 0
        while True:
            try:
                return fn()
            except Exception as error:  # noqa: BLE001 - `retryable` decides; the rest is re-raised
                attempts += 1
                if not retryable(error) or self.exhausted(attempts, started):
                    raise
                if on_retry is not None:
                    on_retry(error, attempts)
                sleep(self.delay(attempts - 1, rng))
