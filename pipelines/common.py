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
from schema.entities import SOURCE_SPECS, schema_drift
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


def check_source_tables(config: MySQLConfig, tables: Iterable[str], allow_unmapped: bool = False) -> list[str]:
    """The database is reachable, has every table the run reads, and the columns the specs know.

    A live column neither mapped nor excluded stops the run (it would be lost silently),
    unless `allow_unmapped`, which turns it into a returned warning. A column the specs read
    that no longer exists always stops it.
    """
    tables = list(tables)
    engine = mysql.engine(config)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = {name.lower() for name in inspector.get_table_names()}
            needed = set(tables) | {j.table for t in tables for j in SOURCE_SPECS[t].joins}
            live = {t: [c["name"] for c in inspector.get_columns(t)] for t in needed if t.lower() in present}
    except sa.exc.OperationalError as error:
        raise PreflightError(
            f"cannot connect to MySQL at {config.masked()}: {error.orig if error.orig else error}. "
            "Is the server running, and is MYSQL_URL/--mysql-url right? (`make local-up` starts the local one.)"
        ) from None
    finally:
        engine.dispose()
    missing = [t for t in sorted(needed) if t.lower() not in present]
    if missing:
        raise PreflightError(
            f"database {config.database} at {config.masked()} has no table {', '.join(missing)}. "
            "Point --mysql-url at the AlgoItny database (or run `algoitny-etl seed` for sample data)."
        )
    unmapped, gone = [], []
    for table in tables:
        more_unmapped, more_gone = schema_drift(table, live)
        unmapped += more_unmapped
        gone += more_gone
    if gone:
        raise PreflightError(f"the source schema changed: column {', '.join(dict.fromkeys(gone))} no longer "
                             "exists, but the entity specs (schema/entities.py) read it")
    if unmapped and not allow_unmapped:
        raise PreflightError(
            f"the source schema changed: column {', '.join(unmapped)} is neither mapped nor excluded in "
            "schema/entities.py, so it would not be migrated. Map or exclude it, or pass "
            "--allow-unmapped-columns to migrate without it.")
    return [f"column {c} is not migrated (--allow-unmapped-columns)" for c in unmapped]


def count_rows(config: MySQLConfig, tables: Iterable[str]) -> int:
    """Rows in the source tables now, for progress and ETA."""
    engine = mysql.engine(config)
    try:
        with engine.connect() as conn:
            return sum(conn.execute(sa.text(f"SELECT COUNT(*) FROM `{t}`")).scalar() for t in tables)
    finally:
        engine.dispose()


def worker_count(options) -> int:
    """Workers the runner will run (the DirectRunner's worker count, else Dataflow's), at least 1."""
    values = options.get_all_options()
    return max(1, int(values.get("direct_num_workers") or values.get("max_num_workers")
                      or values.get("num_workers") or 1))


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
