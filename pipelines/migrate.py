"""`algoitny-etl migrate`: MySQL tables -> single-table items -> DynamoDB (or nowhere, dry run)."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.dynamodb.config import DynamoDBConfig
from state.migration_runs import RunStateError, RunStore
from state.sync_checkpoints import SyncState
from connectors.errors import ConfigError, RunStopped
from connectors.files.json_lines import WriteJsonLines, read_json_lines, remove_if_empty
from connectors.mysql.beam_io import ReadKeyRanges
from connectors.mysql.binlog import BinlogPosition
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from connectors.mysql.queries import count_rows
from pipelines import basics, execution, options
from pipelines.migrate_plan import ReadPlan, find_run, plan_dry_run, plan_new_run, plan_resume
from pipelines.runners import is_distributed, new_pipeline
from reports import migrate_report, writes
from reports.progress_printer import ProgressPrinter
from transforms.duplicate_keys import FindDuplicateKeys, can_collide
from transforms.item_stats import SizeStatsFn
from transforms.to_items import ToItems

DESCRIPTION = "read MySQL, map rows to items, write them (--dry-run writes nothing)"
FLAGS = (options.SOURCE, options.TARGET, options.ENTITY, options.READ,
                  options.MAPPING, options.WRITE, options.DRY_RUN, options.DEAD_LETTER,
                  options.REPORT, options.MIGRATE, options.RUNNER)


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
    plan: ReadPlan | None = None

    def __post_init__(self):
        if self.rows_per_range < 1:
            raise ConfigError("--rows-per-range must be at least 1")
        if self.compress_over is not None and self.compress_over < 1:
            raise ConfigError("--compress-over must be a positive number of bytes")


def _stats_record(element) -> dict:
    tp, stats = element
    return {"tp": tp, **stats}


def build_pipeline(p: beam.Pipeline, settings: MigrateSettings) -> None:
    """Read the plan's key ranges of every table in one read, map, write. One read, not one per
    table joined by a Flatten before the write: the FnApiRunner runs a Flatten's consumer only
    once every input's stage has finished, so the first write would wait for every table to be
    read and mapped, holding all their items in memory. A run's reads are tracked, so the writer
    can record each key range once all its items are written (what --resume skips)."""
    run_id = settings.plan.run_id
    tables = tuple(table for table, ranges in settings.plan.ranges.items() if ranges)
    if not tables:
        return
    # A side input costs per row; a table whose keys are its primary key's cannot collide.
    finders = [p | f"Duplicates {table}" >> FindDuplicateKeys(settings.mysql, table)
               for table in tables if can_collide(table)]
    duplicates = finders | "AllDuplicates" >> beam.Flatten() if finders else None
    ranges = [key_range for table in tables for key_range in settings.plan.ranges[table]]
    rows = p | "Read" >> ReadKeyRanges(settings.mysql, ranges, settings.progress_dir, track=run_id is not None,
                                       tagged=True)
    mapped = rows | "Map" >> ToItems(None, settings.now, settings.compress_over, duplicates, run_id, tables=tables)
    dead_letters = [mapped.dead_letter]
    if not settings.dry_run:
        dead_letters.append(mapped.items | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer,
                                                                      settings.progress_dir))
    _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(
        settings.dead_letter_path)
    _ = (mapped.measure
         | "SizeStats" >> beam.CombinePerKey(SizeStatsFn())
         | "StatsRecord" >> beam.Map(_stats_record)
         | "WriteStats" >> WriteJsonLines(settings.stats_path))


def settings_from(args, pipeline_options: PipelineOptions) -> MigrateSettings:
    now = int(time.time())
    tables = basics.tables_for(args)
    dynamo = basics.dynamodb_config(args)
    return MigrateSettings(
        mysql=basics.mysql_config(args),
        dynamo=dynamo,
        tables=tables,
        dry_run=args.dry_run,
        writer=basics.writer_settings(args, pipeline_options, dynamo),
        rows_per_range=args.rows_per_range,
        dead_letter_path=basics.dead_letter_path(args.dead_letter, now, "migrate"),
        stats_path=basics.temp_path(pipeline_options, "item-stats.jsonl"),
        now=now,
        compress_over=args.compress_over,
        report_path=args.report_path,
        prices=migrate_report.Prices(args.price_per_million_writes, args.price_per_gb_month),
        allow_unmapped_columns=args.allow_unmapped_columns,
    )


def local_progress_dir(pipeline_options: PipelineOptions) -> str | None:
    """Workers report progress through files only where they share the driver's disk."""
    if is_distributed(pipeline_options):
        return None
    return tempfile.mkdtemp(prefix="algoitny-etl-progress-")


def resumed_settings(args, settings: MigrateSettings, store: RunStore) -> MigrateSettings:
    """The settings of the run --resume names: its tables, TTL instant and --compress-over."""
    if settings.dry_run:
        raise ConfigError("--resume continues a real run; it cannot be a --dry-run")
    run = find_run(store, args.resume, settings.tables if args.entity else None)
    if args.compress_over is not None and args.compress_over != run.compress_over:
        raise ConfigError(f"run {run.run_id} maps with --compress-over {run.compress_over}; a resumed run maps "
                          "exactly as it did, so leave --compress-over out")
    return dataclasses.replace(settings, tables=run.tables, now=run.now, compress_over=run.compress_over,
                               rows_per_range=run.rows_per_range, plan=plan_resume(store, run))


def planned(args, settings: MigrateSettings) -> MigrateSettings:
    """The settings with the key ranges this run reads: a dry run's, a new run's, or a resumed run's."""
    if args.resume:
        return resumed_settings(args, settings, RunStore(settings.dynamo))
    if settings.dry_run:
        return dataclasses.replace(settings, plan=plan_dry_run(settings.mysql, settings.tables,
                                                               settings.rows_per_range))
    store = RunStore(settings.dynamo)
    return dataclasses.replace(settings, plan=plan_new_run(store, settings.mysql, settings.tables,
                                                           settings.rows_per_range, settings.now,
                                                           settings.compress_over))


def run(argv: list[str] | None = None) -> int:
    try:
        args, beam_args = options.parse("algoitny-etl migrate", DESCRIPTION, argv, FLAGS)
        pipeline_options = execution.beam_options(args, beam_args)
        settings = settings_from(args, pipeline_options)
        if not settings.dry_run:
            check_table_ready(settings.dynamo)
            basics.refuse_if_cut_over(settings.dynamo, "migrate")
        if args.resume:
            settings = planned(args, settings)
        warnings = check_source_tables(settings.mysql, settings.tables, settings.allow_unmapped_columns)
        if not args.resume:
            settings = planned(args, settings)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError, RunStateError, basics.CutOver) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    basics.ensure_parent(settings.dead_letter_path)
    plan = settings.plan
    if plan.run is not None:
        verb = "resuming" if plan.resumed else "started"
        print(f"migrate run {plan.run_id} {verb}; if it stops, `algoitny-etl migrate --resume {plan.run_id}` "
              "goes on from the key ranges it finished")
    if plan.resumed:
        print(f"skipping {plan.skipped_ranges} of {plan.total_ranges} key ranges ({plan.skipped_rows:,} rows) "
              "the run already wrote")
    mode = "DRY RUN (nothing is written)" if settings.dry_run else f"into {settings.dynamo.describe()}"
    print(f"migrate {', '.join(settings.tables)} from {settings.mysql.masked()} {mode}")
    started = time.monotonic()
    if not any(plan.ranges.values()):
        counts = {}
    else:
        # Only once the checks pass; the printer removes it.
        settings = dataclasses.replace(settings, progress_dir=local_progress_dir(pipeline_options))
        try:
            counts = run_pipeline(settings, pipeline_options)
        except RunStopped as error:
            print(f"migrate: stopped: {error}", file=sys.stderr)
            if plan.run is not None:
                print(f"migrate: `algoitny-etl migrate --resume {plan.run_id}` goes on once the cause is fixed",
                      file=sys.stderr)
            return basics.EXIT_CANNOT_RUN
    if plan.run is not None:
        RunStore(settings.dynamo).finish(plan.run, int(time.time()))
        record_sync_checkpoints(settings, plan)
    return report(settings, counts, time.monotonic() - started)


def record_sync_checkpoints(settings: MigrateSettings, plan: ReadPlan) -> None:
    """The run's start as the sync checkpoint of its tables (a resumed run: the original start)."""
    run = plan.run
    SyncState(settings.dynamo).record_migrated(run.tables, run.binlog, run.watermarks or {}, run.run_id)
    if run.binlog:
        print(f"sync checkpoint of {', '.join(run.tables)}: {BinlogPosition.from_record(run.binlog)} "
              "(where the binlog stood before the first row was read)")
    else:
        print(f"no binlog position for sync ({plan.no_binlog or 'the source had none when the run started'}); "
              "`sync --changes watermark` can still follow inserts and updated rows")


def run_pipeline(settings: MigrateSettings, pipeline_options: PipelineOptions) -> dict[str, int]:
    """Run the pipeline (progress lines while it runs, where the workers share this disk); its counters."""
    pipeline = new_pipeline(pipeline_options)
    build_pipeline(pipeline, settings)
    printer = None
    if settings.progress_dir:
        rows = settings.plan.rows if settings.plan.rows is not None else count_rows(settings.mysql, settings.tables)
        printer = ProgressPrinter(settings.progress_dir, rows - settings.plan.skipped_rows, sys.stderr)
    try:
        if printer:
            printer.start()
        result = execution.run_pipeline(pipeline)
    finally:
        if printer:
            printer.stop()
    return execution.counters(result)


def report(settings: MigrateSettings, counts: dict[str, int], elapsed: float) -> int:
    sizes = {record.pop("tp"): record for record in read_json_lines(settings.stats_path)} \
        if FileSystems.exists(settings.stats_path) else {}
    dead = migrate_report.dead_letters_by_reason(settings.dead_letter_path)
    summary = migrate_report.build(settings.tables, counts, sizes, dead, settings.prices, settings.dry_run)
    summary["elapsed_seconds"] = round(elapsed, 1)
    summary["run"] = settings.plan.summary()
    summary["reads"] = migrate_report.reads(counts)
    summary["writes"] = None if settings.dry_run else writes.writes(counts, settings.writer.consumed_capacity)
    migrate_report.print_report(summary, sys.stdout)
    total_items = summary["totals"]["items"]
    rate = total_items / elapsed if elapsed > 0 else 0.0
    print(f"{total_items:,} items {'validated' if settings.dry_run else 'written'} in {elapsed:.1f} s "
          f"({rate:,.0f} items/s)")
    if settings.report_path:
        writes.write_json(summary, settings.report_path)
        print(f"report: {settings.report_path}")
    dead_total = summary["totals"]["dead_letters"]
    if dead_total:
        print(f"migrate: {dead_total} rows/items could not be migrated; each is in {settings.dead_letter_path} "
              "with its reason", file=sys.stderr)
        if settings.dry_run:
            print("migrate: the dry run found rows the migration would lose; fix them or accept the dead letters",
                  file=sys.stderr)
        return basics.EXIT_DIFFERENCES
    remove_if_empty(settings.dead_letter_path)
    return basics.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
