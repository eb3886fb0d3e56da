"""Benchmark: repository call latency against DynamoDB Local, beside a bare GetItem.

    python -m bench.repositories [--calls 1000] [--scale 5]

Migrates sample data, then makes the calls round-robin (so the machine's noise falls on all
of them alike): a bare GetItem (the floor), check_rate_limit, consume, get_user_by_email
and one public-timeline page of 20. Prints p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from bench import support
from reports.read_parity_report import percentile
from repositories import SearchHistoryRepository, UsageLogRepository, UserRepository
from repositories.client import table as table_resource
from sample_data.generate import SeedCounts
from schema.entities.users import user_pk
from schema.keys import META


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=5)
    args = parser.parse_args(argv)
    support.local_services_up()
    source = support.seed_database("algoitny_bench_repo", SeedCounts.for_scale(args.scale))
    target = support.fresh_table("bench_repo")
    migrated = support.cli("migrate", "--mysql-url", source.url, "--endpoint-url", target.endpoint_url,
                           "--table", target.table)
    assert migrated.returncode == 0, migrated.stdout
    table = table_resource(target.endpoint_url, target.table, target.region)
    users, usage, history = UserRepository(table), UsageLogRepository(table), SearchHistoryRepository(table)
    people = [users.get_user_by_id(i) for i in range(1, 40 * args.scale + 1)]
    rng = random.Random(1)

    calls = {
        "GetItem (floor)": lambda u: table.get_item(Key={"PK": user_pk(u["user_id"]), "SK": META}),
        "check_rate_limit": lambda u: usage.check_rate_limit(u["user_id"], "hint", 5),
        "consume": lambda u: usage.consume(u["user_id"], "execution", 10**9),
        "get_user_by_email": lambda u: users.get_user_by_email(u["email"].swapcase()),
        "public timeline page of 20": lambda u: history.list_public_history(limit=20),
    }
    timings = {name: [] for name in calls}
    for round_number in range(args.calls + 50):  # 50 warm-up rounds are not counted
        person = rng.choice(people)
        for name, call in calls.items():
            started = time.perf_counter()
            call(person)
            if round_number >= 50:
                timings[name].append((time.perf_counter() - started) * 1000)

    floor = statistics.median(timings["GetItem (floor)"])
    print(f"\n| {args.calls:,} calls each | p50 ms | p99 ms | p50 vs GetItem |\n|---|---:|---:|---:|")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.99):.2f} | "
              f"{statistics.median(values) / floor:.1f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
