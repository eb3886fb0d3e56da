"""`algoitny-etl verify`: count both sides per item type and say whether they agree.

Source: SQL counts per key range with the TTL rule (transforms/counts.py). Target: a
parallel segmented Scan counting items by `tp`, with the same TTL rule at the same `now`.
Exit 0 only when every count matches; 1 when any differs; 2 when verify could not run.
`--deep` compares every item instead (pipelines/deep_verify.py).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.beam_io import WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError, RunStopped
from connectors.files.json_lines import WriteJsonLines, read_json_lines
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, execution, options
from pipelines.deep_verify import run_deep
from pipelines.runners import new_pipeline
from reports import verify_report, writes
from schema.entities import item_types_for
from state.cutover import CutoverStore
from transforms.counts import CountSourceItems, CountTableItems

DESCRIPTION = "compare both sides: counts per entity, or every item with --deep"
FLAGS = (options.SOURCE, options.TARGET, options.ENTITY, options.READ,
                  options.REPORT, options.VERIFY, options.DRY_RUN, options.DEAD_LETTER,
                  options.WRITE, options.RUNNER)
MIN_SEGMENTS = 8


@dataclass(frozen=True)
class VerifySettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    segments: int
    rows_per_range: int
    results_path: str
    now: int
    deep: bool = False
    sample_rate: float = 1.0
    report_path: str | None = None
    repair: bool = False
    dry_run: bool = False
    writer: WriterSettings = WriterSettings()
    dead_letter_path: str | None = None
    repair_to: str = "table"

    def __post_init__(self):
        if self.segments < 1:
            raise ConfigError("--segments must be at least 1")
        if not 0 < self.sample_rate <= 1:
            raise ConfigError("--sample-rate must be greater than 0 and at most 1")
        if self.sample_rate < 1 and not self.deep:
            raise ConfigError("--sample-rate applies to --deep")
        if self.repair and not self.deep:
            raise ConfigError("--repair applies to --deep")
        if self.repair_to != "table" and not self.repair:
            raise ConfigError("--to applies to --repair")


def _sum_sides(element) -> dict:
    tp, sides = element
    return {"tp": tp, "source": sum(sides["source"]), "target": sum(sides["target"])}


def build_pipeline(p: beam.Pipeline, settings: VerifySettings) -> None:
    source_counts = [
        p | f"Count {table}" >> CountSourceItems(settings.mysql, table, settings.now, settings.rows_per_range)
        for table in settings.tables
    ]
    source = source_counts | "AllSourceCounts" >> beam.Flatten()
    target = p | "CountTable" >> CountTableItems(
        settings.dynamo, settings.segments, item_types_for(settings.tables), settings.now)
    _ = (
        {"source": source, "target": target}
        | "JoinSides" >> beam.CoGroupByKey()
        | "SumSides" >> beam.Map(_sum_sides)
        | "WriteCounts" >> WriteJsonLines(settings.results_path)
    )


def default_segments(pipeline_options: PipelineOptions) -> int:
    """4 Scan segments per worker the runner will use, at least 8."""
    return max(MIN_SEGMENTS, 4 * basics.worker_count(pipeline_options))


def settings_from(args, pipeline_options: PipelineOptions) -> VerifySettings:
    tables = basics.tables_for(args)
    if not args.repair:
        given = options.given(args, options.DRY_RUN, options.DEAD_LETTER, options.WRITE)
        if given:
            raise ConfigError(f"{', '.join(given)} applies to --repair")
    dynamo = basics.dynamodb_config(args)
    now = int(time.time())
    return VerifySettings(
        mysql=basics.mysql_config(args), dynamo=dynamo, tables=tables,
        segments=args.segments or default_segments(pipeline_options), rows_per_range=args.rows_per_range,
        results_path=basics.temp_path(pipeline_options, "verify-counts.jsonl"), now=now,
        deep=args.deep, sample_rate=args.sample_rate, report_path=args.report_path,
        repair=args.repair, dry_run=args.dry_run, writer=basics.writer_settings(args, pipeline_options, dynamo),
        dead_letter_path=basics.dead_letter_path(args.dead_letter, now, "repair") if args.repair else None,
        repair_to=args.to,
    )


def check_repair_direction(settings: VerifySettings) -> None:
    """After cut-over the table is the truth: a repair mends MySQL from it (--to mysql), never the
    table from a MySQL the application no longer writes; before it, the other way round."""
    if not settings.repair or settings.dry_run:
        return
    if settings.repair_to == "table":
        basics.refuse_if_cut_over(settings.dynamo, "verify --deep --repair (to the table)")
        return
    cutover = CutoverStore(settings.dynamo).current()
    if cutover is None or not cutover.in_force:
        raise ConfigError("--repair --to mysql mends MySQL from the table, which is the truth only after `algoitny-etl "
                          "cutover`; before it, MySQL is, and --repair mends the table")


def run(argv: list[str] | None = None) -> int:
    try:
        args, beam_args = options.parse("algoitny-etl verify", DESCRIPTION, argv, FLAGS)
        pipeline_options = execution.beam_options(args, beam_args)
        settings = settings_from(args, pipeline_options)
        for warning in check_source_tables(settings.mysql, settings.tables, allow_unmapped=True):
            print(f"warning: {warning}", file=sys.stderr)
        check_table_ready(settings.dynamo)
        check_repair_direction(settings)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError, basics.CutOver) as error:
        print(f"verify: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN

    if settings.repair and not settings.dry_run:
        basics.ensure_parent(settings.dead_letter_path)
    mode = ("deep, repairing" if settings.repair and not settings.dry_run else "deep") if settings.deep else "counts"
    print(f"verify {mode}: {settings.mysql.masked()} against {settings.dynamo.describe()}")
    try:
        if settings.deep:
            return run_deep(settings, pipeline_options)
        pipeline = new_pipeline(pipeline_options)
        build_pipeline(pipeline, settings)
        execution.run_pipeline(pipeline)
    except RunStopped as error:
        print(f"verify: stopped: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    counts = {record["tp"]: record for record in read_json_lines(settings.results_path)}
    summary = verify_report.build(item_types_for(settings.tables), counts)
    verify_report.print_report(summary)
    if settings.report_path:
        writes.write_json(summary, settings.report_path)
        print(f"report: {settings.report_path}")
    return basics.EXIT_OK if summary["ok"] else basics.EXIT_DIFFERENCES


if __name__ == "__main__":
    sys.exit(run())
