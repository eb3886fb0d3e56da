"""The TTL rule, stated once for the item side and the SQL side.

An item's `ttl` is whole epoch seconds: floor(crt) + days. It is expired when ttl <= now,
where `now` is one whole-second instant fixed for a run. Expired rows are counted and not
written (DynamoDB would delete them); verify applies the same rule to both sides.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from schema.codecs import from_epoch_seconds

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class TtlRule:
    days: int

    def ttl_for(self, created_epoch: Decimal) -> int:
        if created_epoch >= 0:  # int() truncates toward zero: the floor, for a moment after 1970
            return int(created_epoch) + self.days * DAY_SECONDS
        return int(Decimal(created_epoch).to_integral_value(rounding=ROUND_FLOOR)) + self.days * DAY_SECONDS

    @staticmethod
    def is_expired(ttl: int | Decimal, now: int) -> bool:
        return int(ttl) <= int(now)

    def oldest_live_created_at(self, now: int) -> _dt.datetime:
        """Rows with created_at >= this instant are live; for SQL predicates.

        live <=> floor(crt) + D > now <=> floor(crt) >= now - D + 1 <=> crt >= now - D + 1.
        """
        return from_epoch_seconds(int(now) - self.days * DAY_SECONDS + 1)
