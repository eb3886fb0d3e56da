"""Benchmark: the migration's writer against a hand-written loader and a raw ceiling.

    python -m bench.writer [--rows 100000] [--rounds 3] [--memory-rows 1000000] [--skip-memory] [--skip-latency]

One run, the same seeded `usage_logs` (all rows live, so every row is an item), the same
DynamoDB Local, a fresh table for each contender:
  (a) seed-style baseline: SQLAlchemy streaming + boto3 `Table.batch_writer()` in a loop;
  (b) raw ceiling: items pre-built in memory, sent by 8 threads with the low-level client
      (only the sending is timed);
  (c) `algoitny-etl migrate --entity usage` (reading MySQL, mapping, writing; wall time of
      the whole command, pipeline start-up included).
(a), (b), (c) alternate over --rounds rounds; medians. For each run, the CPU per item of the
contender's process (user + system, the whole process: interpreter start and imports included)
and of DynamoDB Local (from /proc, when this project started it).
Then (a) and (c) again with 20 ms added to every BatchWriteItem by the fault proxy, and the
peak RSS of (c) at --rows and at --memory-rows.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from boto3.dynamodb.types import TypeSerializer

from bench import support
from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.beam_io import DEFAULT_ROWS_PER_RANGE
from connectors.mysql.config import MySQLConfig
from connectors.mysql.key_ranges import KeyRange
from connectors.mysql.queries import stream_range
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from tests.support.fault_proxy import FaultPlan, FaultProxy

ULOG = ITEM_SPECS["ulog"]
THREADS = 8
ROUNDS = 3


def baseline_batch_writer(source, target: DynamoDBConfig) -> float:
    """(a) what a seed script does: stream rows, build items, Table.batch_writer()."""
    table = clients.table_resource(target)
    engine = sa.create_engine(source.url)
    started = time.monotonic()
    with table.batch_writer() as writer:
        for row in stream_range(engine, SOURCE_SPECS["usage_logs"], KeyRange("usage_logs", None, None)):
            writer.put_item(Item=ULOG.to_item(row))
    engine.dispose()
    return time.monotonic() - started


def raw_ceiling(source, target: DynamoDBConfig) -> float:
    """(b) every item already built, in DynamoDB JSON; parallel threads just send."""
    serializer = TypeSerializer()
    engine = sa.create_engine(source.url)
    requests = []
    batch = []
    for row in stream_range(engine, SOURCE_SPECS["usage_logs"], KeyRange("usage_logs", None, None)):
        item = ULOG.to_item(row)
        batch.append({"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}})
        if len(batch) == 25:
            requests.append(batch)
            batch = []
    if batch:
        requests.append(batch)
    engine.dispose()
    local = threading.local()

    def send(puts):
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = clients.client(target, max_pool_connections=2)
        while puts:
            answer = client.batch_write_item(RequestItems={target.table: puts})
            puts = answer.get("UnprocessedItems", {}).get(target.table, [])

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(send, requests))
    return time.monotonic() - started


def migrate(source, target: DynamoDBConfig, endpoint: str | None = None, *extra: str) -> support.Measured:
    measured = support.cli("migrate", "--entity", "usage", "--mysql-url", source.url,
                           "--endpoint-url", endpoint or target.endpoint_url, "--table", target.table,
                           "--rows-per-range", str(DEFAULT_ROWS_PER_RANGE), *extra)
    assert measured.returncode == 0, measured.stdout
    return measured


def in_subprocess(name: str, source, table: str, endpoint: str) -> support.Measured:
    """Run (a) or (b) in a fresh interpreter, like (c): the seconds it timed itself, its CPU."""
    out = support.measure([sys.executable, "-m", "bench.writer", "--run", name, source.url, table, endpoint])
    assert out.returncode == 0, out.stdout
    out.seconds = float(out.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-latency", action="store_true", help="leave out the runs through a 20 ms proxy")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="alternating rounds of (a), (b), (c)")
    parser.add_argument("--run", nargs=4, metavar=("WHICH", "MYSQL_URL", "TABLE", "ENDPOINT"))
    args = parser.parse_args(argv)
    if args.run:
        which, url, table, endpoint = args.run
        source = MySQLConfig(url)
        target = DynamoDBConfig(table=table, endpoint_url=endpoint)
        print(baseline_batch_writer(source, target) if which == "a" else raw_ceiling(source, target))
        return

    support.local_services_up()
    source = support.seed_usage(args.rows)
    items = args.rows
    runs: dict[str, list[float]] = {"a": [], "b": [], "c": [], "c_total": []}
    cpu: dict[str, list[float]] = {name: [] for name in runs}  # ms of the contender's CPU per item
    ddb_cpu: dict[str, list[float]] = {name: [] for name in runs}  # ms of DynamoDB Local's CPU per item
    for name in ("a", "b", "c", "c_total") * args.rounds:  # alternating: the machine's noise hits all
        target = support.fresh_table(f"bench_writer_{name}")
        ddb_before = support.dynamodb_local_cpu_seconds()
        if name.startswith("c"):
            extra = ("--consumed-capacity", "total") if name == "c_total" else ()
            measured = migrate(source, target, None, *extra)
        else:
            measured = in_subprocess(name, source, target.table, target.endpoint_url)
        ddb_after = support.dynamodb_local_cpu_seconds()
        assert support.item_count(target, migrated_only=True) == items
        support.drop_table(target)  # each contender starts from the same DynamoDB Local state
        runs[name].append(items / measured.seconds)
        cpu[name].append(measured.cpu_seconds * 1000 / items)
        if ddb_before is not None and ddb_after is not None:
            ddb_cpu[name].append((ddb_after - ddb_before) * 1000 / items)
        print(f"  ({name}) {runs[name][-1]:,.0f} items/s, {cpu[name][-1]:.3f} ms CPU per item"
              + (f", DynamoDB Local {ddb_cpu[name][-1]:.3f} ms" if ddb_cpu[name] else ""))
    rates = {name: support.median(values) for name, values in runs.items()}
    paired = [c / a for a, c in zip(runs["a"], runs["c"])]
    print(f"  (c)/(a) round by round: {', '.join(f'{r:.2f}' for r in paired)}; median {support.median(paired):.2f}")
    slow = {}
    for name in () if args.skip_latency else ("a", "c"):
        target = support.fresh_table(f"bench_writer_{name}_latency")
        with FaultProxy(target.endpoint_url, FaultPlan(latency_rate=1.0, latency_seconds=0.02)) as proxy:
            seconds = (migrate(source, target, proxy.url) if name == "c" else in_subprocess(
                name, source, target.table, proxy.url)).seconds
        assert support.item_count(target, migrated_only=True) == items
        support.drop_table(target)
        slow[name] = items / seconds
        print(f"  ({name}) with 20 ms latency: {slow[name]:,.0f} items/s")

    print(f"\n| {items:,} usage_logs rows | items/s (median of {args.rounds}) | vs (a) | vs (b) "
          "| its CPU per item | DynamoDB Local's CPU per item |\n|---|---:|---:|---:|---:|---:|")
    for name, label in (("a", "(a) batch_writer() loop"), ("b", "(b) raw ceiling, 8 threads"),
                        ("c", "(c) algoitny-etl migrate"),
                        ("c_total", "(c) with --consumed-capacity total")):
        ddb = f"{support.median(ddb_cpu[name]):.3f} ms" if ddb_cpu[name] else "n/a"
        print(f"| {label} | {rates[name]:,.0f} | {rates[name] / rates['a']:.2f}x | {rates[name] / rates['b']:.2f}x "
              f"| {support.median(cpu[name]):.3f} ms | {ddb} |")
    if slow:
        print(f"| (a) with 20 ms latency | {slow['a']:,.0f} | | | | |")
        print(f"| (c) with 20 ms latency | {slow['c']:,.0f} | {slow['c'] / slow['a']:.2f}x of (a) at 20 ms | | | |")

    if not args.skip_memory:
        peaks = {}
        for rows in (args.rows, args.memory_rows):
            rows_source = source if rows == args.rows else support.seed_usage(rows)
            target = support.fresh_table(f"bench_writer_memory_{rows}")
            measured = migrate(rows_source, target)
            peaks[rows] = measured.peak_rss_mb
            print(f"  (c) {rows:,} rows: {rows / measured.seconds:,.0f} items/s, peak RSS {measured.peak_rss_mb:.0f} MB")
            support.drop_table(target)  # free DynamoDB Local's memory
        print(f"\npeak RSS of (c): {peaks[args.memory_rows]:.0f} MB at {args.memory_rows:,} rows, "
              f"{peaks[args.rows]:.0f} MB at {args.rows:,}: {peaks[args.memory_rows] / peaks[args.rows]:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
