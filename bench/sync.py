"""Benchmark: sync against migrate, in the same run, on the project's MariaDB with the binlog on.

    python -m bench.sync [--changes 50000] [--memory-changes 500000] [--rounds 2] [--skip-memory]

Each round, alternating, on the same rows: the sample database (scale 40) seeded afresh; (a)
migrate it into a fresh table, items/s of the whole command; (b) a burst of `--changes` row
changes by the application (70% inserts, 20% updates, 10% deletes, every table:
sample_data/activity.py, the same burst each round), then `sync`, changes/s of the whole
command (target: >= 0.7x migrate's items/s). Then the wall time of a
sync with nothing to do against a dry run on empty tables (Beam's start-up; target: under 2 s
more), and the peak RSS of sync's process tree at --changes and --memory-changes (<= 1.3x).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from bench import support
from sample_data.activity import burst
from sample_data.generate import SeedCounts

SCALE = 40


def seeded(name: str, scale: int):
    return support.seed_database(name, SeedCounts.for_scale(scale), support.BINLOG_SERVER)


flags = support.flags


def report_of(run, path: str) -> dict:
    assert run.returncode == 0, run.stdout
    with open(path) as handle:
        return json.load(handle)


def round_trip(database: str, table: str, changes: int, seed: int = 1) -> tuple[float, float, float]:
    """(migrate items/s, sync changes/s, sync peak RSS MB) for one round on freshly seeded rows."""
    source = seeded(database, SCALE)
    support.fresh_table(table)
    path = tempfile.mktemp(suffix=".json")
    loaded = support.cli("migrate", "--report", path, *flags(source, table))
    items = report_of(loaded, path)["totals"]["items"]
    started = time.monotonic()
    burst(source, changes, seed=seed)
    print(f"  burst of {changes:,} changes in {time.monotonic() - started:.0f} s")
    synced = support.cli("sync", "--report", path, *flags(source, table))
    applied = report_of(synced, path)["events_read"]
    print(f"  migrate {items:,} items in {loaded.seconds:.1f} s ({items / loaded.seconds:,.0f}/s); "
          f"sync {applied:,} changes in {synced.seconds:.1f} s ({applied / synced.seconds:,.0f}/s, "
          f"{synced.peak_rss_mb:.0f} MB)")
    return items / loaded.seconds, applied / synced.seconds, synced.peak_rss_mb


def idle_sync(source, table: str) -> tuple[float, float]:
    """(a sync with nothing new, a dry run on empty tables): wall seconds, median of 3 each."""
    empty = support.seed_database("algoitny_bench_sync_empty", SeedCounts(0, 0, 0, 0, 0, 0, 0),
                                  support.BINLOG_SERVER)
    nothing, dry = [], []
    for _ in range(3):
        nothing.append(support.cli("sync", *flags(source, table)).seconds)
        run = support.cli("migrate", "--dry-run", *flags(empty, table))
        assert run.returncode == 0, run.stdout
        dry.append(run.seconds)
    return support.median(nothing), support.median(dry)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--memory-changes", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    support.local_services_up()
    table = "bench_sync"
    rounds = [round_trip("algoitny_bench_sync", table, args.changes) for _ in range(args.rounds)]
    source = support.mysql("algoitny_bench_sync", support.BINLOG_SERVER)
    migrate_rate = support.median([r[0] for r in rounds])
    sync_rate = support.median([r[1] for r in rounds])
    nothing, dry = idle_sync(source, table)
    print(f"\n| | migrate items/s | sync changes/s ({args.changes:,} changes) | ratio |\n|---|---:|---:|---:|\n"
          f"| median of {args.rounds} | {migrate_rate:,.0f} | {sync_rate:,.0f} | {sync_rate / migrate_rate:.2f}x |")
    print(f"\nsync with nothing new: {nothing:.1f} s; dry run on empty tables: {dry:.1f} s "
          f"(difference {nothing - dry:+.1f} s; target under +2 s)")
    if not args.skip_memory:
        _, _, small_rss = rounds[-1]
        _, big_rate, big_rss = round_trip("algoitny_bench_sync_big", "bench_sync_big", args.memory_changes)
        print(f"\npeak RSS of sync: {small_rss:.0f} MB at {args.changes:,} changes, {big_rss:.0f} MB at "
              f"{args.memory_changes:,} ({big_rss / small_rss:.2f}x; target <= 1.3x); {big_rate:,.0f} changes/s")


if __name__ == "__main__":
    main()
