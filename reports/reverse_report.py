"""The reverse-sync report: per item type the rows upserted and deleted in MySQL, records skipped
(items that carry no row), TTL deletions kept, dead letters; records read, shards, lag. No Beam."""

from __future__ import annotations

import sys
import time
from collections import Counter

from reports.text_table import format_table
from schema.entities import ITEM_SPECS, SOURCE_SPECS, entity_of_item_type

KINDS = ("upserts", "deletes", "ttl_deletes_kept", "dead_letters")
ROW_TYPES = tuple(source.items[0] for source in SOURCE_SPECS.values())


def build(outcome, records: int, shards: int, elapsed: float, dead_letter_path: str | None) -> dict:
    counts: Counter = outcome.counts
    lag = max(0.0, time.time() - outcome.last_record_time) if outcome.last_record_time else None
    report = {
        "entities": {tp: {"entity": entity_of_item_type(tp), **{k: counts[(tp, k)] for k in KINDS}} for tp in ROW_TYPES},
        "skipped": sum(n for (tp, kind), n in counts.items() if kind == "skipped"),
        "records_read": records, "shards_read": shards,
        "lag_seconds": None if lag is None else round(lag, 1), "elapsed_seconds": round(elapsed, 1),
        "dead_letter_file": dead_letter_path,
    }
    report["totals"] = {k: sum(e[k] for e in report["entities"].values()) for k in KINDS}
    return report


def print_report(report: dict, out=sys.stdout) -> None:
    rows = [[f"{e['entity']}/{tp}", *(e[k] for k in KINDS)] for tp, e in report["entities"].items()
            if tp in ITEM_SPECS]
    print(format_table(["entity/item", "rows upserted", "rows deleted", "TTL deletes kept", "dead letters"], rows),
          file=out)
    lag = "none (nothing new)" if report["lag_seconds"] is None else f"{report['lag_seconds']:,.1f} s"
    print(f"stream: {report['records_read']:,} records from {report['shards_read']} shard(s) "
          f"({report['skipped']:,} carry no row: the application's counters and guards, look-up items, the tool's "
          f"state), lag {lag}, {report['elapsed_seconds']:.1f} s", file=out)


def outcome(run_id: str, started: int, code: int, report: dict) -> dict:
    """What status shows of the last run: the attributes of its state item."""
    record = {"run": run_id, "ok": code == 0, "exit": code, "crt": started, "fin": int(time.time())}
    if "error" in report:
        record["err"] = report["error"][:1000]
    else:
        record.update({"rec": report["records_read"], "dl": report["totals"]["dead_letters"]})
        if report["lag_seconds"] is not None:
            record["lag"] = str(report["lag_seconds"])
    return record
