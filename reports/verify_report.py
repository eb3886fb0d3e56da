"""The count verify's report: source and target counts per item type, and the verdict; printed
as a table and, with `--report`, written as JSON."""

from __future__ import annotations

import sys

from reports.text_table import format_table
from schema.entities import entity_of_item_type


def build(item_types: tuple[str, ...], counts: dict[str, dict]) -> dict:
    entities = {}
    for tp in item_types:
        record = counts.get(tp, {"source": 0, "target": 0})
        entities[tp] = {"entity": entity_of_item_type(tp), "source": record["source"], "target": record["target"],
                        "difference": record["target"] - record["source"]}
    differing = sum(1 for e in entities.values() if e["difference"])
    return {"mode": "counts", "ok": not differing, "differing": differing, "entities": entities}


def print_report(report: dict) -> None:
    rows = [[f"{e['entity']}/{tp}", e["source"], e["target"],
             "equal" if not e["difference"] else f"DIFFERS by {e['difference']:+d}"]
            for tp, e in report["entities"].items()]
    print(format_table(["entity/item", "source (live rows)", "target (items)", "result"], rows))
    if report["differing"]:
        print(f"verify: {report['differing']} item type(s) differ", file=sys.stderr)
    else:
        print("verify: all counts equal")
