"""What every command shares: connection flags, pre-flight checks, metrics and table printing."""

from __future__ import annotations

import argparse
import tempfile
import uuid
from typing import Iterable, Sequence

import sqlalchemy as sa
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from connections import mysql
from connections.config import ConfigError, DynamoDBConfig, MySQLConfig
from transforms import metrics

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_CANNOT_RUN = 2


class PreflightError(RuntimeError):
    """The run cannot start; the message says what is wrong and how to fix it."""


def add_mysql_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mysql-url", help="SQLAlchemy URL of the source database (env MYSQL_URL)")


def add_dynamodb_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint (env DYNAMODB_ENDPOINT_URL, then LOCALSTACK_URL; none = AWS)")
    parser.add_argument("--table", help="target table name (env DYNAMODB_TABLE, default algoitny_main)")
    parser.add_argument("--aws-region", dest="region", help="AWS region (env AWS_DEFAULT_REGION)")


def mysql_config(args: argparse.Namespace) -> MySQLConfig:
    return MySQLConfig.resolve(getattr(args, "mysql_url", None))


def dynamodb_config(args: argparse.Namespace) -> DynamoDBConfig:
    return DynamoDBConfig.resolve(args.endpoint_url, args.table, args.region)


def check_source_tables(config: MySQLConfig, tables: Iterable[str]) -> None:
    """The database is reachable and has every table the run reads."""
    engine = mysql.engine(config)
    try:
        with engine.connect() as conn:
            present = {name.lower() for name in sa.inspect(conn).get_table_names()}
    except sa.exc.OperationalError as error:
        raise PreflightError(
            f"cannot connect to MySQL at {config.masked()}: {error.orig if error.orig else error}. "
            "Is the server running, and is MYSQL_URL/--mysql-url right? (`make local-up` starts the local one.)"
        ) from None
    finally:
        engine.dispose()
    missing = [t for t in tables if t.lower() not in present]
    if missing:
        raise PreflightError(
            f"database {config.database} at {config.masked()} has no table {', '.join(missing)}. "
            "Point --mysql-url at the AlgoItny database (or run `algoitny-etl seed` for sample data)."
        )


def pipeline_options(beam_args: Sequence[str]) -> PipelineOptions:
    return PipelineOptions(list(beam_args))


def temp_path(options: PipelineOptions, name: str) -> str:
    """A per-run path under --temp_location (a shared filesystem on distributed runners)."""
    base = options.get_all_options().get("temp_location") or tempfile.gettempdir()
    return f"{base.rstrip('/')}/algoitny-etl-{uuid.uuid4().hex[:12]}/{name}"


def counters(result) -> dict[str, int]:
    """Our Beam counters by name, summed over steps (committed where the runner has it)."""
    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(metrics.NAMESPACE))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        name = counter.key.metric.name
        totals[name] = totals.get(name, 0) + int(value or 0)
    return totals


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] in ("", "-") for row in rows)
               for i in range(len(headers))]

    def line(row):
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


__all__ = [
    "ConfigError", "PreflightError", "EXIT_OK", "EXIT_DIFFERENCES", "EXIT_CANNOT_RUN",
    "add_mysql_flags", "add_dynamodb_flags", "mysql_config", "dynamodb_config",
    "check_source_tables", "pipeline_options", "temp_path", "counters", "format_table",
]
