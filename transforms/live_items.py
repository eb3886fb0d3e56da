"""Which table items verify looks at: items of the verified types whose TTL has not passed."""

from __future__ import annotations

from schema.ttl import TtlRule


def is_live(wire_item: dict, now: int) -> bool:
    """The TTL rule on the target side: no ttl, or ttl still in the future (as the source side)."""
    ttl = wire_item.get("ttl")
    if ttl is None or "N" not in ttl:
        return True
    return not TtlRule.is_expired(int(float(ttl["N"])), now)


class LiveItemsOfTypes:
    """Keep items (DynamoDB JSON) whose `tp` is one of `item_types` and whose TTL has not passed at `now`."""

    def __init__(self, item_types, now: int):
        self.item_types = frozenset(item_types)
        self.now = now

    def __call__(self, item: dict) -> bool:
        return item.get("tp", {}).get("S") in self.item_types and is_live(item, self.now)
