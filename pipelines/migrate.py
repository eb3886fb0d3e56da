"""`algoitny-etl migrate`: MySQL tables -> single-table items -> DynamoDB (or nowhere, dry run)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import apache_beam as beam

from connections.config import ConfigError, DynamoDBConfig, MySQLConfig
from pipelines import common, run_report
from pipelines.init_table import TableCheckError, check_table_ready
from schema.entities import ENTITY_GROUPS, sources_for
from transforms import metrics
from transforms.duplicate_keys import FindDuplicateKeys
from transforms.dynamodb_batch import MAX_BATCH_ITEMS, RetryPolicy, WriteAborted
from pipelines.progress_printer import ProgressPrinter
from transforms.item_stats import SizeStatsFn
from transforms.json_lines import WriteJsonLines, read_json_lines, remove_if_empty
from transforms.read_mysql import DEFAULT_ROWS_PER_RANGE, ReadMySQLTable
from transforms.to_items import ToItems
from transforms.write_dynamodb import DEFAULT_CONCURRENCY, WriteToDynamoDB


@dataclass(frozen=True)
class MigrateSettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    dry_run: bool
    batch_size: int
    rows_per_range: int
    dead_letter_path: str
    stats_path: str
    now: int
    compress_over: int | None = None
    report_path: str | None = None
    prices: run_report.Prices = run_report.Prices()
    allow_unmapped_columns: bool = False
    write_concurrency: int = DEFAULT_CONCURRENCY
    write_units_per_second_per_worker: float | None = None
    retry_policy: RetryPolicy = RetryPolicy()
    progress_dir: str | None = None
    consumed_capacity: bool = True

    def __post_init__(self):
        if not 1 <= self.batch_size <= MAX_BATCH_ITEMS:
            raise ConfigError(f"--batch-size must be between 1 and {MAX_BATCH_ITEMS} (BatchWriteItem's limit)")
        if self.rows_per_range < 1:
            raise ConfigError("--rows-per-range must be at least 1")
        if self.compress_over is not None and self.compress_over < 1:
            raise ConfigError("--compress-over must be a positive number of bytes")
        if self.write_concurrency < 1:
            raise ConfigError("--write-concurrency must be at least 1")
        if self.write_units_per_second_per_worker is not None and self.write_units_per_second_per_worker <= 0:
            raise ConfigError("--max-write-rate must be positive")


def _stats_record(element) -> dict:
    tp, stats = element
    return {"tp": tp, **stats}


def build_pipeline(p: beam.Pipeline, settings: MigrateSettings) -> None:
    items, dead_letters, measures = [], [], []
    for table in settings.tables:
        duplicates = p | f"Duplicates {table}" >> FindDuplicateKeys(settings.mysql, table)
        rows = p | f"Read {table}" >> ReadMySQLTable(settings.mysql, table, settings.rows_per_range,
                                                      settings.progress_dir)
        mapped = rows | f"Map {table}" >> ToItems(table, settings.now, settings.compress_over, duplicates)
        items.append(mapped.items)
        dead_letters.append(mapped.dead_letter)
        measures.append(mapped.measure)
    encoded = items | "AllItems" >> beam.Flatten()
    if not settings.dry_run:
        dead_letters.append(encoded | "Write" >> WriteToDynamoDB(
            settings.dynamo, settings.batch_size, settings.write_concurrency,
            settings.write_units_per_second_per_worker, settings.retry_policy, settings.progress_dir,
            settings.consumed_capacity))
    _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(
        settings.dead_letter_path)
    _ = (measures | "AllMeasures" >> beam.Flatten()
         | "SizeStats" >> beam.CombinePerKey(SizeStatsFn())
         | "StatsRecord" >> beam.Map(_stats_record)
         | "WriteStats" >> WriteJsonLines(settings.stats_path))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_mysql_flags(parser)
    common.add_dynamodb_flags(parser)
    parser.add_argument("--entity", default="all",
                        help=f"comma-separated: all, {', '.join(ENTITY_GROUPS)} (default all)")
    parser.add_argument("--dry-run", action="store_true", help="read, map and validate everything; write nothing")
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH_ITEMS, help="items per BatchWriteItem (1-25)")
    parser.add_argument("--rows-per-range", type=int, default=DEFAULT_ROWS_PER_RANGE,
                        help="source rows per key range (the unit of parallel reading)")
    parser.add_argument("--dead-letter", dest="dead_letter",
                        help="JSON-lines file for rows/items that cannot be migrated "
                             "(any Beam filesystem path; default dead-letters/migrate-<time>.jsonl)")
    parser.add_argument("--compress-over", type=int, metavar="BYTES",
                        help="gzip text attributes (sol, cod, con, gen, inp, out, trs, trc, msg) larger than BYTES")
    parser.add_argument("--report", dest="report_path", help="also write the run report as JSON here")
    parser.add_argument("--allow-unmapped-columns", action="store_true",
                        help="warn instead of failing when a source table has columns the specs do not know")
    parser.add_argument("--write-concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"BatchWriteItem requests in flight per worker (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--max-write-rate", type=float, metavar="UNITS_PER_SECOND",
                        help="write units per second for the whole pipeline, divided across workers "
                             "(leave room for a live table's own traffic); default unlimited")
    parser.add_argument("--write-max-attempts", type=int, default=RetryPolicy.max_attempts,
                        help="attempts per batch before its items are dead-lettered")
    parser.add_argument("--write-max-seconds", type=float, default=RetryPolicy.max_elapsed_seconds,
                        help="seconds per batch before its items are dead-lettered")
    parser.add_argument("--consumed-capacity", choices=("auto", "total", "none"), default="auto",
                        help="ask DynamoDB for ReturnConsumedCapacity=TOTAL: auto = on AWS yes, on a local endpoint "
                             "no (DynamoDB Local spends about 25%% more CPU per item answering it; write units are "
                             "computed exactly either way)")
    parser.add_argument("--price-per-million-writes", type=float, default=run_report.DEFAULT_PRICE_PER_MILLION_WRITES,
                        help="USD per million on-demand write request units (for the report)")
    parser.add_argument("--price-per-gb-month", type=float, default=run_report.DEFAULT_PRICE_PER_GB_MONTH,
                        help="USD per GB-month of storage (for the report)")


def default_dead_letter_path(now: int) -> str:
    stamp = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("dead-letters", f"migrate-{stamp}-{os.getpid()}.jsonl")


def settings_from(args: argparse.Namespace, options) -> MigrateSettings:
    now = int(time.time())
    path = args.dead_letter or default_dead_letter_path(now)
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        tables = sources_for(args.entity)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return MigrateSettings(
        mysql=common.mysql_config(args),
        dynamo=common.dynamodb_config(args),
        tables=tables,
        dry_run=args.dry_run,
        batch_size=args.batch_size,
        rows_per_range=args.rows_per_range,
        dead_letter_path=path,
        stats_path=common.temp_path(options, "item-stats.jsonl"),
        now=now,
        compress_over=args.compress_over,
        report_path=args.report_path,
        prices=run_report.Prices(args.price_per_million_writes, args.price_per_gb_month),
        allow_unmapped_columns=args.allow_unmapped_columns,
        write_concurrency=args.write_concurrency,
        write_units_per_second_per_worker=(args.max_write_rate / common.worker_count(options)) if args.max_write_rate else None,
        retry_policy=RetryPolicy(max_attempts=args.write_max_attempts, max_elapsed_seconds=args.write_max_seconds),
        consumed_capacity=consumed_capacity(args.consumed_capacity, common.dynamodb_config(args)),
    )


def consumed_capacity(choice: str, dynamo: DynamoDBConfig) -> bool:
    return {"total": True, "none": False}.get(choice, not dynamo.is_local)


def local_progress_dir(options) -> str | None:
    """Workers report progress through files only where they share the driver's disk."""
    runner = options.get_all_options().get("runner")
    if runner not in (None, "DirectRunner", "direct", "SwitchingDirectRunner", "BundleBasedDirectRunner"):
        return None
    return tempfile.mkdtemp(prefix="algoitny-etl-progress-")


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    options = common.pipeline_options(beam_args)
    try:
        settings = settings_from(args, options)
        warnings = common.check_source_tables(settings.mysql, settings.tables, settings.allow_unmapped_columns)
        if not settings.dry_run:
            check_table_ready(settings.dynamo)
    except (ConfigError, common.PreflightError, TableCheckError) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    settings = dataclasses.replace(settings, progress_dir=local_progress_dir(options))  # only once the checks pass; the printer removes it

    mode = "DRY RUN (nothing is written)" if settings.dry_run else f"into {settings.dynamo.describe()}"
    print(f"migrate {', '.join(settings.tables)} from {settings.mysql.masked()} {mode}")
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, settings)
    printer = ProgressPrinter(settings.progress_dir, common.count_rows(settings.mysql, settings.tables),
                              sys.stderr) if settings.progress_dir else None
    try:
        if printer:
            printer.start()
        result = pipeline.run()
        result.wait_until_finish()
    except WriteAborted as error:
        print(f"migrate: stopped: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    finally:
        if printer:
            printer.stop()
    return report(settings, common.counters(result), time.monotonic() - started)


def report(settings: MigrateSettings, counts: dict[str, int], elapsed: float) -> int:
    sizes = {record.pop("tp"): record for record in read_json_lines(settings.stats_path)}
    dead = run_report.dead_letters_by_reason(settings.dead_letter_path)
    summary = run_report.build(settings.tables, counts, sizes, dead, settings.prices, settings.dry_run)
    summary["elapsed_seconds"] = round(elapsed, 1)
    summary["writes"] = None if settings.dry_run else {
        "requests": counts.get(metrics.WRITE_REQUESTS, 0), "retries": counts.get(metrics.WRITE_RETRIES, 0),
        "throttled": counts.get(metrics.WRITE_THROTTLES, 0),
        "unprocessed_resent": counts.get(metrics.WRITE_UNPROCESSED_RESENT, 0),
        "consumed_write_units": counts.get(metrics.WRITE_CONSUMED_UNITS, 0) if settings.consumed_capacity else None,
        "write_units": counts.get(metrics.WRITE_UNITS, 0),
        "bytes": counts.get(metrics.WRITE_BYTES, 0)}
    run_report.print_report(summary, sys.stdout)
    total_items = summary["totals"]["items"]
    rate = total_items / elapsed if elapsed > 0 else 0.0
    print(f"{total_items:,} items {'validated' if settings.dry_run else 'written'} in {elapsed:.1f} s "
          f"({rate:,.0f} items/s)")
    if settings.report_path:
        run_report.write_json(summary, settings.report_path)
        print(f"report: {settings.report_path}")
    dead_total = summary["totals"]["dead_letters"]
    if dead_total:
        print(f"migrate: {dead_total} rows/items could not be migrated; each is in {settings.dead_letter_path} "
              "with its reason", file=sys.stderr)
        if settings.dry_run:
            print("migrate: the dry run found rows the migration would lose; fix them or accept the dead letters",
                  file=sys.stderr)
        return common.EXIT_DIFFERENCES
    remove_if_empty(settings.dead_letter_path)
    return common.EXIT_OK

