"""Shared helpers for integration tests: run the CLI in-process, read the whole table."""

from __future__ import annotations

import contextlib
import io
from collections import Counter

from connections import dynamodb
from connections.config import DynamoDBConfig, MySQLConfig
from pipelines import cli


def connection_flags(source: MySQLConfig, target: DynamoDBConfig) -> list[str]:
    return ["--mysql-url", source.url, "--endpoint-url", target.endpoint_url, "--table", target.table]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def scan_all(target: DynamoDBConfig) -> list[dict]:
    """Every item of the table in DynamoDB JSON (low-level client, exact values)."""
    client = dynamodb.client(target)
    items = []
    for page in client.get_paginator("scan").paginate(TableName=target.table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def counts_by_type(items: list[dict]) -> Counter:
    return Counter(item["tp"]["S"] for item in items)
