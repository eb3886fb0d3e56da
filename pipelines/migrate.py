"""`algoitny-etl migrate`: MySQL tables -> single-table items -> DynamoDB (or nowhere, dry run)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.batch_writer import WriteAborted
from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError
from connectors.files.json_lines import WriteJsonLines, read_json_lines, remove_if_empty
from connectors.mysql.beam_io import ReadMySQLTable
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from connectors.mysql.queries import count_rows
from pipelines import common, options
from reports import migrate_report
from reports.progress_printer import ProgressPrinter
from transforms.duplicate_keys import FindDuplicateKeys
from transforms.item_stats import SizeStatsFn
from transforms.to_items import ToItems

DESCRIPTION = "read MySQL, map rows to items, write them (--dry-run writes nothing)"
OPTION_CLASSES = (options.SourceOptions, options.TargetOptions, options.EntityOptions, options.ReadOptions,
                  options.MappingOptions, options.WriteOptions, options.DryRunOptions, options.DeadLetterOptions,
                  options.ReportOptions, options.MigrateOptions)


@dataclass(frozen=True)
class MigrateSettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    dry_run: bool
    rows_per_range: int
    dead_letter_path: str
    stats_path: str
    now: int
    writer: WriterSettings = WriterSettings()
    compress_over: int | None = None
    report_path: str | None = None
    prices: migrate_report.Prices = migrate_report.Prices()
    allow_unmapped_columns: bool = False
    progress_dir: str | None = None

    def __post_init__(self):
        if self.rows_per_range < 1:
            raise ConfigError("--rows-per-range must be at least 1")
        if self.compress_over is not None and self.compress_over < 1:
            raise ConfigError("--compress-over must be a positive number of bytes")


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
        dead_letters.append(encoded | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer,
                                                                 settings.progress_dir))
    _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(
        settings.dead_letter_path)
    _ = (measures | "AllMeasures" >> beam.Flatten()
         | "SizeStats" >> beam.CombinePerKey(SizeStatsFn())
         | "StatsRecord" >> beam.Map(_stats_record)
         | "WriteStats" >> WriteJsonLines(settings.stats_path))


def default_dead_letter_path(now: int, command: str = "migrate") -> str:
    stamp = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("dead-letters", f"{command}-{stamp}-{os.getpid()}.jsonl")


def ensure_parent(path: str) -> None:
    """Local dead-letter paths get their directory; Beam filesystems (s3://, gs://) need none."""
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def settings_from(args, pipeline_options: PipelineOptions) -> MigrateSettings:
    now = int(time.time())
    tables = common.tables_for(args)
    dynamo = common.dynamodb_config(args)
    return MigrateSettings(
        mysql=common.mysql_config(args),
        dynamo=dynamo,
        tables=tables,
        dry_run=args.dry_run,
        writer=common.writer_settings(args, pipeline_options, dynamo),
        rows_per_range=args.rows_per_range,
        dead_letter_path=args.dead_letter or default_dead_letter_path(now),
        stats_path=common.temp_path(pipeline_options, "item-stats.jsonl"),
        now=now,
        compress_over=args.compress_over,
        report_path=args.report_path,
        prices=migrate_report.Prices(args.price_per_million_writes, args.price_per_gb_month),
        allow_unmapped_columns=args.allow_unmapped_columns,
    )


def local_progress_dir(pipeline_options: PipelineOptions) -> str | None:
    """Workers report progress through files only where they share the driver's disk."""
    runner = pipeline_options.get_all_options().get("runner")
    if runner not in (None, "DirectRunner", "direct", "SwitchingDirectRunner", "BundleBasedDirectRunner"):
        return None
    return tempfile.mkdtemp(prefix="algoitny-etl-progress-")


def run(argv: list[str] | None = None) -> int:
    try:
        args, beam_args = options.parse("algoitny-etl migrate", DESCRIPTION, argv, OPTION_CLASSES)
        pipeline_options = PipelineOptions(beam_args)
        settings = settings_from(args, pipeline_options)
        warnings = check_source_tables(settings.mysql, settings.tables, settings.allow_unmapped_columns)
        if not settings.dry_run:
            check_table_ready(settings.dynamo)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    ensure_parent(settings.dead_letter_path)
    # Only once the checks pass; the printer removes it.
    settings = dataclasses.replace(settings, progress_dir=local_progress_dir(pipeline_options))

    mode = "DRY RUN (nothing is written)" if settings.dry_run else f"into {settings.dynamo.describe()}"
    print(f"migrate {', '.join(settings.tables)} from {settings.mysql.masked()} {mode}")
    started = time.monotonic()
    pipeline = beam.Pipeline(options=pipeline_options)
    build_pipeline(pipeline, settings)
    printer = ProgressPrinter(settings.progress_dir, count_rows(settings.mysql, settings.tables),
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
    dead = migrate_report.dead_letters_by_reason(settings.dead_letter_path)
    summary = migrate_report.build(settings.tables, counts, sizes, dead, settings.prices, settings.dry_run)
    summary["elapsed_seconds"] = round(elapsed, 1)
    summary["writes"] = None if settings.dry_run else migrate_report.writes(counts, settings.writer.consumed_capacity)
    migrate_report.print_report(summary, sys.stdout)
    total_items = summary["totals"]["items"]
    rate = total_items / elapsed if elapsed > 0 else 0.0
    print(f"{total_items:,} items {'validated' if settings.dry_run else 'written'} in {elapsed:.1f} s "
          f"({rate:,.0f} items/s)")
    if settings.report_path:
        migrate_report.write_json(summary, settings.report_path)
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
