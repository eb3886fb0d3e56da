"""`algoitny-etl init`: create the single table (keys, GSI1, GSI2, TTL, streams), idempotently."""

from __future__ import annotations

import argparse
import sys
import time

from botocore.exceptions import BotoCoreError, ClientError

from connections import dynamodb
from connections.config import ConfigError, DynamoDBConfig
from pipelines import common
from schema.table import TableSpec


class TableCheckError(RuntimeError):
    """The target table is missing, not ready, or not shaped as the design says."""


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def describe(client, name: str) -> dict | None:
    try:
        return client.describe_table(TableName=name)["Table"]
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            return None
        raise


def wait_active(client, name: str, timeout_seconds: float = 300) -> dict:
    deadline = time.monotonic() + timeout_seconds
    while True:
        table = describe(client, name)
        indexes_ready = all(i.get("IndexStatus", "ACTIVE") == "ACTIVE"
                            for i in (table or {}).get("GlobalSecondaryIndexes", []) or [])
        if table and table.get("TableStatus") == "ACTIVE" and indexes_ready:
            return table
        if time.monotonic() > deadline:
            raise TableCheckError(f"table {name} is not ACTIVE after {timeout_seconds:.0f} s")
        time.sleep(1)


def wait_deleted(client, name: str, timeout_seconds: float = 300) -> None:
    deadline = time.monotonic() + timeout_seconds
    while describe(client, name) is not None:
        if time.monotonic() > deadline:
            raise TableCheckError(f"table {name} still exists {timeout_seconds:.0f} s after DeleteTable")
        time.sleep(1)


def create(client, spec: TableSpec, with_stream: bool) -> list[str]:
    """CreateTable, with a stream if asked; where the endpoint has no streams, without. Returns notes."""
    notes = []
    if not with_stream:
        client.create_table(**spec.create_table_request(with_stream=False))
        return notes
    try:
        client.create_table(**spec.create_table_request(with_stream=True))
    except ClientError as error:
        message = str(error).lower()
        if _error_code(error) in ("ValidationException", "UnknownOperationException") and "stream" in message:
            client.create_table(**spec.create_table_request(with_stream=False))
            notes.append("this endpoint does not support streams; table created without one")
        else:
            raise
    return notes


def ensure_ttl(client, spec: TableSpec) -> str | None:
    """Enable TTL on `ttl` if it is off; a TTL on another attribute is a difference."""
    description = client.describe_time_to_live(TableName=spec.name).get("TimeToLiveDescription", {})
    difference = spec.ttl_difference(description)
    if difference:
        return difference
    if spec.ttl_needs_enabling(description):
        client.update_time_to_live(
            TableName=spec.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute})
    return None


def stream_by_default(config: DynamoDBConfig) -> bool:
    """Streams on AWS; not on a local endpoint unless asked.

    DynamoDB Local 3.3.0 looks up the stream on every write at a cost that grows with the
    stream records already in the instance (measured: a second 54k-item load into a streamed
    table ran at 36 items/s, against 1,977 items/s without a stream), so a local rehearsal
    run twice would crawl. LocalStack runs the same engine.
    """
    return not config.is_local


def init_table(config: DynamoDBConfig, recreate: bool = False, out=None, stream: bool | None = None) -> int:
    out = out or sys.stdout
    with_stream = stream_by_default(config) if stream is None else stream
    spec = TableSpec(name=config.table)
    client = dynamodb.client(config)
    existing = describe(client, spec.name)
    if existing is not None and recreate:
        print(f"deleting {config.describe()} (--recreate)", file=out)
        client.delete_table(TableName=spec.name)
        wait_deleted(client, spec.name)
        existing = None
    if existing is None:
        for note in create(client, spec, with_stream):
            print(f"note: {note}", file=out)
        if not with_stream:
            print("note: no stream on this table (pass --stream to add one; on DynamoDB Local every write "
                  "then slows down as stream records accumulate)", file=out)
        wait_active(client, spec.name)
        problem = ensure_ttl(client, spec)
        if problem:
            print(f"init: {problem}", file=sys.stderr)
            return common.EXIT_DIFFERENCES
        print(f"created {config.describe()}: PK/SK, GSI1 (ALL), GSI2 (KEYS_ONLY), "
              f"{spec.billing_mode}, TTL on {spec.ttl_attribute!r}", file=out)
        return common.EXIT_OK

    differences = spec.differences(existing)
    existing = wait_active(client, spec.name)
    ttl_problem = ensure_ttl(client, spec)
    if ttl_problem:
        differences.append(ttl_problem)
    if differences:
        print(f"init: {config.describe()} exists with a different schema:", file=sys.stderr)
        for line in differences:
            print(f"  - {line}", file=sys.stderr)
        print("Use another --table, or `algoitny-etl init --recreate --yes` to delete it and start over.",
              file=sys.stderr)
        return common.EXIT_DIFFERENCES
    for warning in spec.warnings(existing):
        print(f"note: {warning}", file=out)
    print(f"{config.describe()} already exists with the expected schema; nothing to do", file=out)
    return common.EXIT_OK


def check_table_ready(config: DynamoDBConfig) -> None:
    """Pre-flight for migrate: the table exists, is ACTIVE and has the design's keys and indexes."""
    spec = TableSpec(name=config.table)
    try:
        client = dynamodb.client(config, max_attempts=2, connect_timeout=3, read_timeout=10)
        table = describe(client, spec.name)
    except (BotoCoreError, ClientError) as error:
        raise TableCheckError(f"cannot reach DynamoDB ({config.describe()}): {error}") from None
    if table is None:
        raise TableCheckError(f"{config.describe()} does not exist; run `algoitny-etl init` first")
    if table.get("TableStatus") != "ACTIVE":
        raise TableCheckError(f"{config.describe()} is {table.get('TableStatus')}, not ACTIVE")
    differences = spec.differences(table)
    if differences:
        raise TableCheckError(f"{config.describe()} does not match the design: " + "; ".join(differences))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_dynamodb_flags(parser)
    parser.add_argument("--recreate", action="store_true", help="delete the table first (needs --yes)")
    parser.add_argument("--yes", action="store_true", help="confirm --recreate")
    streams = parser.add_mutually_exclusive_group()
    streams.add_argument("--stream", dest="stream", action="store_true", default=None,
                         help="create a NEW_AND_OLD_IMAGES stream (default on AWS)")
    streams.add_argument("--no-stream", dest="stream", action="store_false",
                         help="no stream (default on DynamoDB Local / LocalStack endpoints)")


def run(args: argparse.Namespace) -> int:
    if args.recreate and not args.yes:
        print("init: --recreate deletes the table and all its items; add --yes to confirm", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    try:
        config = common.dynamodb_config(args)
        return init_table(config, recreate=args.recreate, stream=args.stream)
    except ConfigError as error:
        print(f"init: {error}", file=sys.stderr)
    except (BotoCoreError, ClientError, TableCheckError) as error:
        print(f"init: {error}", file=sys.stderr)
    return common.EXIT_CANNOT_RUN
