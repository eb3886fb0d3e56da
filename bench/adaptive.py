"""Benchmark: the adaptive writer against a provisioned capacity, beside a fixed-concurrency writer.

    python -m bench.adaptive [--capacity 1500] [--items 30000] [--rounds 2]

The fault proxy's capacity mode stands for a provisioned table of C write units per second
(one second of burst): a request beyond it has its tail answered as UnprocessedItems, or is
throttled whole when nothing is left. The same pre-built usage-log items (each under 1 KB: one
write unit) go through the same BatchWriter, 8 requests in flight, alternating:
  (fixed)    the baseline: no pacing at all (WriteRateLimiter(None)), retries with backoff;
  (adaptive) the writer's AdaptiveWriteRate, as migrate, replay, repair and sync use it.
Reports items/s against C (target: adaptive >= 0.8 C) and the share of requests the proxy
pushed back (target: adaptive <= 10%). C is well under what this machine writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

from bench import support
from connectors.dynamodb.batch_writer import BatchSender, BatchWriter
from connectors.dynamodb.write_rate import AdaptiveWriteRate, WriteRateLimiter
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.transport import SignedHttpClient
from connectors.dynamodb.wire import encode_item
from connectors.retry import RetryPolicy
from schema.entities import ITEM_SPECS
from tests.support.fault_proxy import FaultPlan, FaultProxy

CONCURRENCY = 8
NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def items(count: int) -> list:
    spec = ITEM_SPECS["ulog"]
    return [encode_item(spec.to_item({"id": n, "user_id": n % 500 + 1, "action": "hint", "problem_id": None,
                                      "metadata": '{"lang": "python"}', "created_at": NOW - dt.timedelta(seconds=n)}))
            for n in range(1, count + 1)]


def write(limiter, encoded: list, capacity: float, table: str) -> tuple[float, float, int]:
    """(items/s, share of requests pushed back, requests) writing `encoded` through the capacity proxy."""
    target = support.fresh_table(table)
    with FaultProxy(target.endpoint_url, FaultPlan(capacity=capacity)) as proxy:
        http = SignedHttpClient(DynamoDBConfig(table=table, endpoint_url=proxy.url), max_connections=CONCURRENCY + 1)
        sender = BatchSender(http, table, RetryPolicy(max_attempts=100, max_elapsed_seconds=600), limiter)
        with ThreadPoolExecutor(CONCURRENCY) as executor:
            writer = BatchWriter(sender, 25, CONCURRENCY, executor)
            started = time.monotonic()
            for item in encoded:
                writer.put(item)
            writer.flush()
            seconds = time.monotonic() - started
        assert not writer.take_failures()
        pushed = proxy.counts.injected.get("throttle", 0) + proxy.counts.injected.get("unprocessed", 0)
        requests = proxy.counts.requests
    support.drop_table(target)
    return len(encoded) / seconds, pushed / requests, requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capacity", type=float, default=1500)
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    support.local_services_up()
    encoded = items(args.items)
    results: dict[str, list] = {"fixed": [], "adaptive": []}
    for _ in range(args.rounds):
        for name in results:
            limiter = WriteRateLimiter(None) if name == "fixed" else AdaptiveWriteRate()
            rate, pushed, requests = write(limiter, encoded, args.capacity, f"bench_adaptive_{name}")
            results[name].append((rate, pushed))
            print(f"  {name:8} {rate:,.0f} items/s ({rate / args.capacity:.2f} C), {pushed:.1%} of {requests:,} "
                  "requests pushed back")
    print(f"\n| writer (C = {args.capacity:,.0f} write units/s) | items/s | vs C | requests pushed back |\n"
          "|---|---:|---:|---:|")
    for name, runs in results.items():
        rate = support.median([r for r, _ in runs])
        pushed = support.median([p for _, p in runs])
        print(f"| {name} | {rate:,.0f} | {rate / args.capacity:.2f} | {pushed:.1%} |")


if __name__ == "__main__":
    main()
