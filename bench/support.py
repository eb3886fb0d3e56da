"""Shared benchmark plumbing: local services, sample data at a size, timing, peak memory.

Benchmarks print ratios measured in the same run (the machines are shared and noisy) and a
Markdown block to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import io
import os
import statistics
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from pipelines.init_table import init_table
from sample_data.generate import SeedCounts
from sample_data.load import seed
from schema.state_items import STATE_TYPES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETL = os.path.join(os.path.dirname(sys.executable), "algoitny-etl")
# Benchmarks run on the test suite's own services (scripts/local_services.sh up tests), never
# on the rehearsal's.
DYNAMODB_PORT = os.environ.get("TEST_DYNAMODB_PORT", "8100")
MYSQL_SERVER = os.environ.get("BENCH_MYSQL_URL",
                              f"mysql+pymysql://root@127.0.0.1:{os.environ.get('TEST_MYSQL_PORT', '3316')}/")
BINLOG_SERVER = os.environ.get("BENCH_BINLOG_MYSQL_URL",
                               f"mysql+pymysql://root@127.0.0.1:{os.environ.get('TEST_BINLOG_MYSQL_PORT', '3317')}/")
ENDPOINT = os.environ.get("BENCH_DYNAMODB_ENDPOINT_URL", f"http://127.0.0.1:{DYNAMODB_PORT}")
TWO_WORKERS = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def local_services_up() -> None:
    subprocess.run([os.path.join(ROOT, "scripts", "local_services.sh"), "up", "tests"], check=True)


def mysql(database: str, server: str = MYSQL_SERVER) -> MySQLConfig:
    return MySQLConfig(sa.engine.make_url(server).set(database=database).render_as_string(hide_password=False))


def flags(source: MySQLConfig, table: str) -> list[str]:
    """The connection flags of a command against `source` and the benchmark's `table`."""
    return ["--mysql-url", source.url, "--endpoint-url", ENDPOINT, "--table", table]


def target(table: str) -> DynamoDBConfig:
    return DynamoDBConfig(table=table, endpoint_url=ENDPOINT)


def seed_database(database: str, counts: SeedCounts, server: str = MYSQL_SERVER) -> MySQLConfig:
    config = mysql(database, server)
    started = time.monotonic()
    inserted = seed(config, counts, replace=True, out=io.StringIO())
    print(f"  seeded {sum(inserted.values()):,} rows into {database} in {time.monotonic() - started:.0f} s")
    return config


def fresh_table(table: str) -> DynamoDBConfig:
    config = target(table)
    assert init_table(config, recreate=True, out=io.StringIO()) == 0
    return config


def drop_table(config: DynamoDBConfig) -> None:
    clients.client(config).delete_table(TableName=config.table)


def cli(*args: str, env: dict | None = None) -> "Measured":
    """Run algoitny-etl in a subprocess; wall time and peak RSS of its whole process tree."""
    return measure([ETL, *args], env=env)


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    cpu_seconds: float = 0.0  # user + system CPU of the command and the children it waited for


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str], env: dict | None = None) -> Measured:
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})})
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return Measured(seconds, peak / 1024, process.returncode, out, cpu)


def dynamodb_local_cpu_seconds() -> float | None:
    """CPU seconds DynamoDB Local has used so far (None when this project did not start it)."""
    try:
        with open(os.path.join(ROOT, ".local", f"dynamodb-{DYNAMODB_PORT}", "pid")) as handle:
            pid = int(handle.read().strip())
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def item_count(config: DynamoDBConfig, migrated_only: bool = False) -> int:
    """Items in the table; `migrated_only`: leaving out the tool's own state (a migrate run's bookkeeping)."""
    client = clients.client(config)
    total = 0
    scan = {"TableName": config.table, "Select": "COUNT"}
    if migrated_only:
        names = {f":t{n}": {"S": tp} for n, tp in enumerate(sorted(STATE_TYPES))}
        scan.update(FilterExpression=f"NOT tp IN ({', '.join(names)})", ExpressionAttributeValues=names)
    for page in client.get_paginator("scan").paginate(**scan):
        total += page["Count"]
    return total


def median(values: list[float]) -> float:
    return statistics.median(values)


def seed_usage(rows: int) -> MySQLConfig:
    database = f"algoitny_bench_usage_{rows}"
    counts = SeedCounts(users=1000, problems=100, search_history=0, usage_logs=rows, script_generation_jobs=0,
                        problem_extraction_jobs=0, task_results=0)
    config = seed_database(database, counts)
    engine = sa.create_engine(config.url)
    with engine.begin() as conn:  # every row live: the TTL would otherwise drop a quarter of them
        conn.exec_driver_sql("UPDATE usage_logs SET created_at = UTC_TIMESTAMP(6) - INTERVAL 1 DAY "
                             "WHERE created_at < UTC_TIMESTAMP(6) - INTERVAL 80 DAY")
    engine.dispose()
    return config
