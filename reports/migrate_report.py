"""The migrate/dry-run report: what was read, produced, expired, refused, and what it costs.

Counts of rows read / items / expired come from Beam counters (informational); dead letters
are counted from the dead-letter file itself and sizes from the statistics file the pipeline
wrote, so the verdict never rests on counters a runner may only approximate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from connectors import metrics
from connectors.files.json_lines import iter_json_lines
from reports import writes
from reports.prices import DEFAULT_PRICE_PER_GB_MONTH, DEFAULT_PRICE_PER_MILLION_WRITES
from reports.text_table import format_table
from schema.entities import ITEM_SPECS, SOURCE_SPECS, entity_of_item_type

GIB = 1024**3


@dataclass(frozen=True)
class Prices:
    per_million_writes: float = DEFAULT_PRICE_PER_MILLION_WRITES
    per_gb_month: float = DEFAULT_PRICE_PER_GB_MONTH


def dead_letters_by_reason(path: str) -> dict[str, Counter]:
    """source table -> Counter of reason codes, read from the dead-letter file."""
    found: dict[str, Counter] = defaultdict(Counter)
    if not FileSystems.exists(path):
        return found
    for record in iter_json_lines(path):
        table = record.get("table") or ITEM_SPECS[record["tp"]].source
        found[table][record.get("code", "invalid_value")] += 1
    return found


def build(tables: tuple[str, ...], counters: dict[str, int], sizes: dict[str, dict],
          dead: dict[str, Counter], prices: Prices, dry_run: bool) -> dict:
    entities = {}
    totals = Counter()
    for table in tables:
        for tp in SOURCE_SPECS[table].items:
            stats = sizes.get(tp, {})
            record = {
                "entity": entity_of_item_type(tp), "source_table": table,
                "rows_read": counters.get(metrics.rows_read(table), 0),
                "items": counters.get(metrics.items_mapped(tp), 0),
                "expired_by_ttl": counters.get(metrics.items_expired(tp), 0),
                "written": None if dry_run else counters.get(metrics.items_written(tp), 0),
                "size": {k: stats.get(k, 0) for k in ("min", "mean", "p99", "max")},
                "bytes": stats.get("bytes", 0),
                "write_units": stats.get("write_units", 0) + stats.get("index_write_units", 0),
                "storage_bytes": stats.get("storage_bytes", 0),
                "long_name_bytes": stats.get("long_name_bytes", 0),
                "kept_as_text": stats.get("kept_as_text", 0),
            }
            entities[tp] = record
            for name in ("items", "bytes", "write_units", "storage_bytes", "long_name_bytes", "kept_as_text"):
                totals[name] += record[name]
    dead_total = sum(sum(c.values()) for c in dead.values())
    return {
        "dry_run": dry_run,
        "entities": entities,
        "dead_letters": {table: dict(codes) for table, codes in dead.items()},
        "totals": {
            **totals, "dead_letters": dead_total,
            "write_cost": round(totals["write_units"] / 1e6 * prices.per_million_writes, 4),
            "storage_gib": round(totals["storage_bytes"] / GIB, 6),
            "monthly_storage_cost": round(totals["storage_bytes"] / GIB * prices.per_gb_month, 4),
            "short_name_saving": (1 - totals["bytes"] / totals["long_name_bytes"]) if totals["long_name_bytes"] else 0,
        },
        "prices": {"per_million_writes": prices.per_million_writes, "per_gb_month": prices.per_gb_month},
    }


def reads(counts: dict[str, int]) -> dict:
    """The reader's own figures: how often a dropped MySQL connection was read on from the last row."""
    return {"reconnects": counts.get(metrics.READ_RECONNECTS, 0)}


def print_report(report: dict, out) -> None:
    run = report.get("run") or {}
    if run.get("resumed"):
        print(f"resumed run {run['run_id']}: {run['skipped_ranges']} of {run['ranges']} key ranges "
              f"({run['skipped_rows']:,} rows) were already written and skipped; the rows below were read now",
              file=out)
    rows = []
    for tp, r in report["entities"].items():
        first = tp == SOURCE_SPECS[r["source_table"]].items[0]  # rows and dead letters are per source row
        dead = sum(report["dead_letters"].get(r["source_table"], {}).values()) if first else ""
        rows.append([f"{r['entity']}/{tp}", r["rows_read"] if first else "", r["items"], r["expired_by_ttl"], dead,
                     "-" if r["written"] is None else r["written"],
                     "/".join(f"{r['size'][k]:,.0f}" for k in ("min", "mean", "p99", "max")),
                     r["bytes"], r["write_units"]])
    print(format_table(["entity/item", "rows read", "items", "expired (TTL)", "dead letters", "written",
                        "item bytes min/mean/p99/max", "total bytes", "write units"], rows), file=out)
    for table, codes in report["dead_letters"].items():
        listed = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
        print(f"dead letters in {table}: {listed}", file=out)
    totals = report["totals"]
    if totals["kept_as_text"]:
        print(f"{totals['kept_as_text']} values kept as exact text (numbers beyond DynamoDB's 38 digits or range, "
              "JSON DynamoDB cannot hold natively)", file=out)
    prices = report["prices"]
    print(f"writes: {totals['write_units']:,} write units (table + indexes) = "
          f"${totals['write_cost']:,.2f} at ${prices['per_million_writes']}/million on demand", file=out)
    print(f"storage: {totals['storage_gib']:.4f} GiB (items + 100 B each, + indexes) = "
          f"${totals['monthly_storage_cost']:,.4f}/month at ${prices['per_gb_month']}/GB-month", file=out)
    if (report.get("reads") or {}).get("reconnects"):
        print(f"reads: {report['reads']['reconnects']} dropped MySQL connection(s), each read on from the last "
              "row delivered (nothing skipped, nothing read twice)", file=out)
    if report.get("writes"):
        print(writes.describe(report["writes"]), file=out)
    if totals["long_name_bytes"]:
        print(f"short attribute names: {totals['bytes']:,} bytes instead of {totals['long_name_bytes']:,} with full "
              f"column names, {totals['short_name_saving']:.1%} smaller (the original design claimed about 40%)",
              file=out)
