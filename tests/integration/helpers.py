"""Shared helpers for integration tests: sample databases, SQL, the CLI in-process, the whole table."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import sqlalchemy as sa

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from pipelines import cli
from pipelines.init_table import init_table
from sample_data.generate import SeedCounts
from sample_data.load import seed
from schema.state_items import STATE_TYPES


def seeded(config: MySQLConfig, scale: int = 1, **seed_args) -> MySQLConfig:
    """`config`'s database filled with the sample data at `scale`."""
    seed(config, SeedCounts.for_scale(scale), out=io.StringIO(), **seed_args)
    return config


def copy_database(template: MySQLConfig, copy: MySQLConfig) -> MySQLConfig:
    """`copy` (an empty database on the same server) made a copy of `template`: each table created
    as SHOW CREATE TABLE says (indexes, foreign keys, AUTO_INCREMENT) and filled with INSERT ...
    SELECT, in one transaction; a tenth of a second where seeding takes several times that."""
    engine = sa.create_engine(copy.url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            tables = [row[0] for row in conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE' ORDER BY table_name", (template.database,))]
            for table in tables:
                create = conn.exec_driver_sql(f"SHOW CREATE TABLE `{template.database}`.`{table}`").one()[1]
                conn.exec_driver_sql(create)
                conn.exec_driver_sql(f"INSERT INTO `{table}` SELECT * FROM `{template.database}`.`{table}`")
    finally:
        engine.dispose()
    return copy


def copy_items(template: DynamoDBConfig, copy: DynamoDBConfig) -> int:
    """Every item of `template` but the tool's own state, put into `copy` (an initialised table)."""
    client = clients.client(copy)
    items = scan_all(template)
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        while pending:  # DynamoDB Local answers UnprocessedItems too, under load
            answer = client.batch_write_item(RequestItems={copy.table: pending})
            pending = answer.get("UnprocessedItems", {}).get(copy.table, [])
    return len(items)


def new_table(new_table_config, prefix: str = "it") -> DynamoDBConfig:
    """A fresh table, created with the tool's own init (deleted at the end by the fixture)."""
    target = new_table_config(prefix)
    assert init_table(target, out=io.StringIO()) == 0
    return target


def execute(config: MySQLConfig, *statements: str, **params):
    """Run statements in one transaction; the rows of the last one, if it returns rows."""
    engine = sa.create_engine(config.url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def connection_flags(source: MySQLConfig, target: DynamoDBConfig) -> list[str]:
    return ["--mysql-url", source.url, "--endpoint-url", target.endpoint_url, "--table", target.table]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def scan_everything(target: DynamoDBConfig) -> list[dict]:
    """Every item of the table in DynamoDB JSON (low-level client, exact values)."""
    client = clients.client(target)
    items = []
    for page in client.get_paginator("scan").paginate(TableName=target.table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def scan_all(target: DynamoDBConfig) -> list[dict]:
    """Every item of the table but the tool's own state (a migrate run's bookkeeping, which
    verify ignores too), in DynamoDB JSON."""
    return [item for item in scan_everything(target) if item.get("tp", {}).get("S") not in STATE_TYPES]


def counts_by_type(items: list[dict]) -> Counter:
    return Counter(item["tp"]["S"] for item in items)


def count_type(target, tp: str) -> int:
    client = clients.client(target)
    total = 0
    for page in client.get_paginator("scan").paginate(
            TableName=target.table, FilterExpression="tp = :tp", ExpressionAttributeValues={":tp": {"S": tp}},
            Select="COUNT"):
        total += page["Count"]
    return total


def start_migrate(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "migrate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=os.getcwd())


def wait_until(ready, timeout: float, what: str) -> None:
    """Return as soon as `ready()` holds (polls; never sleeps and hopes); fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.05)  # pacing: `ready()` asks MySQL or DynamoDB; 20 times a second is plenty


def wait_while_running(process: subprocess.Popen, ready, timeout: float = 120, what: str = "the point") -> None:
    """Return as soon as `ready()` holds, `process` still running then (polls; never sleeps and hopes)."""
    def running_and_ready() -> bool:
        assert process.poll() is None, f"the run ended before {what}:\n{process.stdout.read()}"
        return ready()

    wait_until(running_and_ready, timeout, what)
    assert process.poll() is None, f"the run ended before {what}:\n{process.stdout.read()}"


def kill_when(process: subprocess.Popen, ready, timeout: float = 120) -> None:
    """SIGKILL `process` as soon as `ready()` holds (the run must still be going then)."""
    wait_while_running(process, ready, timeout, "the kill point")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
