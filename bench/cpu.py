"""Benchmark: client CPU per item of migrate, the seed-style loader and a raw sender (issue 20).

    python -m bench.cpu [--rows 100000] [--rounds 3]

Whole processes, alternating every round, the same seeded `usage_logs` (every row live, so
every row is one item), the same DynamoDB Local, a fresh table per run:
  loader: a seed script's way, SQLAlchemy streaming + boto3 `Table.batch_writer()` (bench/writer.py (a));
  raw:    boto3's low-level client, 8 threads, items built before the sending starts (bench/writer.py (b));
  migrate: `algoitny-etl migrate --entity usage` (the DirectRunner's default, one process).
Each contender also runs on a 100-row table, in the same round: its CPU there is what starting
costs (interpreter, imports, clients, Beam's set-up), subtracted, so what is left is CPU per
item: (cpu(rows) - cpu(100)) / (rows - 100). The CPU is user + system of the whole process
tree (getrusage of the children waited for). DynamoDB Local's CPU per item comes from /proc: it
shows where the wall clock's bound is on this machine. Target: migrate <= 0.35x the loader.
"""

from __future__ import annotations

import argparse
import sys

from bench import support
from bench.writer import in_subprocess, migrate

SMALL = 100
CONTENDERS = {
    "loader": "seed-style `Table.batch_writer()` loader",
    "raw": "raw boto3 8-thread sender of pre-built items",
    "migrate": "algoitny-etl migrate",
}


def run_once(name: str, source, rows: int) -> tuple[support.Measured, float | None]:
    """One whole-process run into a fresh table: what it measured, DynamoDB Local's CPU seconds."""
    target = support.fresh_table(f"bench_cpu_{name}_{rows}")
    ddb_before = support.dynamodb_local_cpu_seconds()
    if name == "migrate":
        measured = migrate(source, target)
    else:
        measured = in_subprocess("a" if name == "loader" else "b", source, target.table, target.endpoint_url)
    ddb_after = support.dynamodb_local_cpu_seconds()
    assert support.item_count(target, migrated_only=True) == rows
    support.drop_table(target)  # each run starts from the same DynamoDB Local state
    ddb = None if ddb_before is None or ddb_after is None else ddb_after - ddb_before
    return measured, ddb


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=sorted(CONTENDERS), action="append",
                        help="measure only these contenders (repeatable)")
    args = parser.parse_args(argv)
    names = args.only or list(CONTENDERS)
    support.local_services_up()
    big, small = support.seed_usage(args.rows), support.seed_usage(SMALL)
    per_item: dict[str, list[float]] = {name: [] for name in names}
    startup: dict[str, list[float]] = {name: [] for name in names}
    ddb_per_item: dict[str, list[float]] = {name: [] for name in names}
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(args.rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            start, _ = run_once(name, small, SMALL)
            whole, ddb = run_once(name, big, args.rows)
            per_item[name].append((whole.cpu_seconds - start.cpu_seconds) * 1000 / (args.rows - SMALL))
            startup[name].append(start.cpu_seconds)
            rates[name].append(args.rows / whole.seconds)
            if ddb is not None:
                ddb_per_item[name].append(ddb * 1000 / args.rows)
            print(f"  round {round_number + 1} {name}: {per_item[name][-1]:.3f} ms CPU per item "
                  f"(start-up {start.cpu_seconds:.2f} CPU-s, whole {whole.cpu_seconds:.2f} CPU-s), "
                  f"{rates[name][-1]:,.0f} items/s" + (f", DynamoDB Local {ddb_per_item[name][-1]:.3f} ms/item"
                                                       if ddb_per_item[name] else ""), flush=True)
    base = support.median(per_item["loader"]) if "loader" in per_item else None
    print(f"\n| {args.rows:,} usage_logs rows, median of {args.rounds} | client CPU per item | vs loader "
          "| start-up CPU | items/s | DynamoDB Local CPU per item |\n|---|---:|---:|---:|---:|---:|")
    for name in names:
        cpu = support.median(per_item[name])
        ratio = f"{cpu / base:.2f}x" if base else "n/a"
        ddb = f"{support.median(ddb_per_item[name]):.3f} ms" if ddb_per_item[name] else "n/a"
        print(f"| {CONTENDERS[name]} | {cpu:.3f} ms | {ratio} | {support.median(startup[name]):.2f} s "
              f"| {support.median(rates[name]):,.0f} | {ddb} |")
    if base and "migrate" in per_item:
        paired = [m / l for m, l in zip(per_item["migrate"], per_item["loader"])]
        print(f"\nmigrate / loader round by round: {', '.join(f'{r:.2f}' for r in paired)} "
              f"(target <= 0.35)")


if __name__ == "__main__":
    main(sys.argv[1:])
