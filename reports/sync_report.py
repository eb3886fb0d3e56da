"""The sync report: per item type puts, deletes, key moves and dead letters; events read; the
window's positions; lag; duration; the writer's requests, retries and throttles. `--report`
writes it as JSON for alerting."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

from reports import writes
from reports.text_table import format_table
from schema.entities import entity_of_item_type

KINDS = ("puts", "deletes", "key_moves", "dead_letters")
WATERMARK_BLIND_SPOTS = (
    "deletes (a deleted row leaves its items in the table, and a Google id cleared leaves its look-up item)",
    "updates to problems and search_history, which have no updated_at (a problem renamed or edited, history made "
    "public or given hints)",
    "updates that bypass updated_at: Django QuerySet.update() does not set auto_now fields",
)


def summarize(records: list[dict]) -> tuple[dict[str, Counter], Counter, int]:
    """Sum the per-bundle summaries: (tp -> Counter of kinds, run-wide Counter, last commit time)."""
    by_type: dict[str, Counter] = {}
    overall: Counter = Counter()
    last_commit = 0
    for record in records:
        for tp, kind, count in record["counts"]:
            if tp:
                by_type.setdefault(tp, Counter())[kind] += count
            else:
                overall[kind] += count
        last_commit = max(last_commit, record.get("last_commit") or 0)
    return by_type, overall, last_commit


def build(mode: str, item_types: tuple[str, ...], by_type: dict[str, Counter], overall: Counter, window: dict,
          lag: float | None, elapsed: float, dry_run: bool, advanced: bool, dead_letter_path: str | None,
          write_figures: dict | None = None) -> dict:
    report = {
        "mode": mode, "dry_run": dry_run,
        "entities": {tp: {"entity": entity_of_item_type(tp), **{k: by_type.get(tp, Counter())[k] for k in KINDS}}
                     for tp in item_types},
        "events_read": overall["events"], "skipped_before_checkpoint": overall["skipped_before_checkpoint"],
        "schema_changes": overall["schema_changes"], "window": window,
        "lag_seconds": None if lag is None else round(lag, 1), "elapsed_seconds": round(elapsed, 1),
        "checkpoint_advanced": advanced, "dead_letter_file": dead_letter_path,
        "writes": write_figures,  # None when no pipeline ran (nothing new) or a dry run
    }
    report["totals"] = {k: sum(e[k] for e in report["entities"].values()) for k in KINDS}
    if mode == "watermark":
        report["cannot_see"] = list(WATERMARK_BLIND_SPOTS)
    return report


def print_report(report: dict, out=None) -> None:
    out = out or sys.stdout  # at call time: a default of sys.stdout would be the one at import, not a redirected one
    rows = [[f"{e['entity']}/{tp}", *(e[k] for k in KINDS)] for tp, e in report["entities"].items()]
    print(format_table(["entity/item", "puts", "deletes", "key moves", "dead letters"], rows), file=out)
    window = report["window"]
    lag = "none (nothing new)" if report["lag_seconds"] is None else f"{report['lag_seconds']:,.1f} s"
    if report["mode"] == "binlog":
        print(f"binlog {window['from']} -> {window['to']}: {report['events_read']:,} row changes applied "
              f"({report['skipped_before_checkpoint']:,} already in the table before their table's checkpoint), "
              f"lag {lag}, {report['elapsed_seconds']:.1f} s", file=out)
    else:
        print(f"watermark: {report['events_read']:,} rows read since {window['from']}, {report['elapsed_seconds']:.1f} s",
              file=out)
        print("watermark mode cannot see: " + "; ".join(report["cannot_see"]), file=out)
    if report.get("writes"):
        print(writes.describe(report["writes"]), file=out)


def outcome(run_id: str, started: int, code: int, report: dict) -> dict:
    """What status shows of the last run: the attributes of its state item."""
    record = {"run": run_id, "ok": code == 0, "exit": code, "crt": started, "fin": int(time.time())}
    if "error" in report:
        record["err"] = report["error"][:1000]
    else:
        record.update({"win": json.dumps(report["window"]), "evt": report["events_read"],
                       "dl": report["totals"]["dead_letters"], "adv": report["checkpoint_advanced"]})
        if report["lag_seconds"] is not None:
            record["lag"] = str(report["lag_seconds"])
    return record
