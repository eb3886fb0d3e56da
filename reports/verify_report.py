"""The count verify's table: source and target counts per item type, and the verdict."""

from __future__ import annotations

import sys

from reports.text_table import format_table
from schema.entities import entity_of_item_type


def report(item_types: tuple[str, ...], counts: dict[str, dict]) -> int:
    """Print the table; the number of item types whose counts differ."""
    rows, differing = [], 0
    for tp in item_types:
        record = counts.get(tp, {"source": 0, "target": 0})
        equal = record["source"] == record["target"]
        differing += not equal
        rows.append([f"{entity_of_item_type(tp)}/{tp}", record["source"], record["target"],
                     "equal" if equal else f"DIFFERS by {record['target'] - record['source']:+d}"])
    print(format_table(["entity/item", "source (live rows)", "target (items)", "result"], rows))
    if differing:
        print(f"verify: {differing} item type(s) differ", file=sys.stderr)
    else:
        print("verify: all counts equal")
    return differing
