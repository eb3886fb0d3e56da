"""Benchmark: cutover's freeze against the table's size; reverse sync against sync; status.

    python -m bench.cutover [--scales 5,20,80] [--changes 2000] [--rounds 2] [--app-rounds 60]

Each round, for each scale (alternating the order between rounds), on the project's MariaDB
with the binlog on and a fresh table: seed, `migrate`; a burst of `--changes` row changes and
a `sync` (changes/s of the whole command); a clean full `verify --deep` (what the freeze builds
on); another burst of `--changes` (the changes since the last full verify, the same number at
every scale), then `cutover` (its freeze from the report's phases: the quiet check, the last
sync window, the verify of the changed rows and a sample, check-reads, the stream on, the
record); the application's writes through repositories/ (`--app-rounds` rounds of
sample_data/app_activity.py) and `reverse-sync` (stream records/s of the whole command);
`status` three times (whole process); then `rollback`, and `cutover --full-verify` for the
freeze that verifies every item instead.

Targets (issue 18): freeze at the largest scale <= 1.3x the smallest's; reverse sync >= 0.5x
sync's changes/s; status under 2 s at scale 80.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict

from bench import support
from connectors.dynamodb import clients
from sample_data.activity import burst
from sample_data.app_activity import app_burst
from sample_data.generate import SeedCounts

QUIET = ["--quiet-seconds", "2"]


def _report(run, path: str, command: str, ok=(0,)) -> dict:
    assert run.returncode in ok, f"{command} exited {run.returncode}:\n{run.stdout[-3000:]}"
    with open(path) as handle:
        return json.load(handle)


def one_scale(scale: int, changes: int, app_rounds: int, seed: int) -> dict:
    database, table = f"algoitny_bench_cutover_{scale}", f"bench_cutover_{scale}"
    source = support.seed_database(database, SeedCounts.for_scale(scale), support.BINLOG_SERVER)
    target = support.fresh_table(table)
    flags = support.flags(source, table)
    path = tempfile.mktemp(suffix=".json")
    items = _report(support.cli("migrate", "--report", path, *flags), path, "migrate")["totals"]["items"]
    burst(source, changes, seed=seed)
    synced = support.cli("sync", "--report", path, *flags)
    events = _report(synced, path, "sync")["events_read"]
    verified = support.cli("verify", "--deep", *flags)
    assert verified.returncode == 0, verified.stdout[-3000:]
    burst(source, changes, seed=seed + 100)
    cut = support.cli("cutover", *QUIET, "--report", path, *flags)
    freeze = _report(cut, path, "cutover")
    app_burst(clients.table_resource(target), app_rounds, seed=seed)
    reverse = support.cli("reverse-sync", "--report", path, *flags)
    records = _report(reverse, path, "reverse-sync")["records_read"]
    status = [support.cli("status", *flags) for _ in range(3)]
    assert all(s.returncode == 0 for s in status), status[0].stdout[-2000:]
    rolled = support.cli("rollback", *flags)
    assert rolled.returncode == 0, rolled.stdout[-3000:]
    full = _report(support.cli("cutover", "--full-verify", *QUIET, "--report", path, *flags), path,
                   "cutover --full-verify")
    support.drop_table(target)
    result = {
        "items": items, "freeze": freeze["phases"], "freeze_total": freeze["freeze_seconds"],
        "changed_rows": freeze["verify"]["changed_rows"],
        "full_freeze": full["phases"], "full_freeze_total": full["freeze_seconds"],
        "sync_rate": events / synced.seconds, "sync_events": events,
        "reverse_rate": records / reverse.seconds, "reverse_records": records,
        "status_seconds": support.median([s.seconds for s in status]),
        "cutover_seconds": cut.seconds,
    }
    print(f"  scale {scale}: {items:,} items; {result['changed_rows']:,} changed rows verified; "
          f"freeze {result['freeze_total']:.1f} s {freeze['phases']}; "
          f"--full-verify freeze {result['full_freeze_total']:.1f} s; sync {events:,} changes "
          f"{result['sync_rate']:,.0f}/s; reverse-sync {records:,} records {result['reverse_rate']:,.0f}/s; "
          f"status {result['status_seconds']:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="5,20,80")
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--app-rounds", type=int, default=60)
    args = parser.parse_args()
    support.local_services_up()
    scales = [int(s) for s in args.scales.split(",")]
    results = defaultdict(list)
    for round_number in range(args.rounds):
        order = scales if round_number % 2 == 0 else scales[::-1]
        for scale in order:
            results[scale].append(one_scale(scale, args.changes, args.app_rounds, seed=round_number + 1))

    def med(scale, key):
        return support.median([r[key] for r in results[scale]])

    phases = list(results[scales[0]][0]["freeze"])
    print(f"\n| scale | items | freeze (s) | {' | '.join(phases)} | `--full-verify` freeze (s) | status (s) |")
    print("|---:|---:|---:|" + "---:|" * len(phases) + "---:|---:|")
    for scale in scales:
        steps = " | ".join(f"{support.median([r['freeze'][p] for r in results[scale]]):.2f}" for p in phases)
        print(f"| {scale} | {med(scale, 'items'):,.0f} | {med(scale, 'freeze_total'):.2f} | {steps} | "
              f"{med(scale, 'full_freeze_total'):.2f} | {med(scale, 'status_seconds'):.2f} |")
    small, large = scales[0], scales[-1]
    print(f"\nfreeze at scale {large} / scale {small}: "
          f"{med(large, 'freeze_total') / med(small, 'freeze_total'):.2f}x (target <= 1.3x); "
          f"--full-verify: {med(large, 'full_freeze_total') / med(small, 'full_freeze_total'):.2f}x")
    print("\n| scale | sync changes/s | reverse-sync records/s | ratio |\n|---:|---:|---:|---:|")
    for scale in scales:
        print(f"| {scale} | {med(scale, 'sync_rate'):,.0f} | {med(scale, 'reverse_rate'):,.0f} | "
              f"{med(scale, 'reverse_rate') / med(scale, 'sync_rate'):.2f}x |")


if __name__ == "__main__":
    main()
