"""`algoitny-etl init`: create the single table (keys, GSI1, GSI2, TTL, streams), idempotently."""

from __future__ import annotations

import sys

from botocore.exceptions import BotoCoreError, ClientError

from connectors.dynamodb import admin, clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError
from pipelines import basics, options
from schema.table import TableSpec

DESCRIPTION = "create the table (keys, GSI1, GSI2, TTL, streams); idempotent"
FLAGS = (options.TARGET, options.INIT)


def init_table(config: DynamoDBConfig, recreate: bool = False, out=None, stream: bool | None = None) -> int:
    """Create the table (or check the one there): 0 created or already right, 1 it differs."""
    out = out or sys.stdout
    with_stream = admin.stream_by_default(config) if stream is None else stream
    spec = TableSpec(name=config.table)
    client = clients.client(config)
    existing = admin.describe(client, spec.name)
    if existing is not None and recreate:
        print(f"deleting {config.describe()} (--recreate)", file=out)
        client.delete_table(TableName=spec.name)
        admin.wait(client, "table_not_exists", spec.name, 300)
        existing = None
    if existing is None:
        for note in admin.create(client, spec, with_stream):
            print(f"note: {note}", file=out)
        if not with_stream:
            print("note: no stream on this table (pass --stream to add one; on DynamoDB Local every write "
                  "then slows down as stream records accumulate)", file=out)
        admin.wait_active(client, spec.name)
        problem = admin.ensure_ttl(client, spec)
        if problem:
            print(f"init: {problem}", file=sys.stderr)
            return basics.EXIT_DIFFERENCES
        print(f"created {config.describe()}: PK/SK, GSI1 (ALL), GSI2 (KEYS_ONLY), "
              f"{spec.billing_mode}, TTL on {spec.ttl_attribute!r}", file=out)
        return basics.EXIT_OK

    differences = spec.differences(existing)
    existing = admin.wait_active(client, spec.name)
    ttl_problem = admin.ensure_ttl(client, spec)
    if ttl_problem:
        differences.append(ttl_problem)
    if differences:
        print(f"init: {config.describe()} exists with a different schema:", file=sys.stderr)
        for line in differences:
            print(f"  - {line}", file=sys.stderr)
        print("Use another --table, or `algoitny-etl init --recreate --yes` to delete it and start over.",
              file=sys.stderr)
        return basics.EXIT_DIFFERENCES
    for warning in spec.warnings(existing):
        print(f"note: {warning}", file=out)
    print(f"{config.describe()} already exists with the expected schema; nothing to do", file=out)
    return basics.EXIT_OK


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl init", DESCRIPTION, argv, FLAGS, beam=False)
        if args.recreate and not args.yes:
            raise options.UsageError("--recreate deletes the table and all its items; add --yes to confirm")
        return init_table(basics.dynamodb_config(args), recreate=args.recreate, stream=args.stream)
    except (options.UsageError, ConfigError, BotoCoreError, ClientError, admin.TableCheckError) as error:
        print(f"init: {error}", file=sys.stderr)
    return basics.EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(run())
