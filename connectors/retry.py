"""How long to keep trying: jittered exponential backoff with a bound (no Beam here).

One policy shape for every call the connectors retry (DynamoDB batch writes and batch gets,
MySQL reads whose connection dropped): only what is retryable is retried (throttling,
UnprocessedItems, 5xx, dropped connections), and never forever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 0.05
    cap_seconds: float = 5.0
    max_attempts: int = 20
    max_elapsed_seconds: float = 600.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * (2 ** attempt)))
