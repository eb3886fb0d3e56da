"""`algoitny-etl verify`: count both sides per item type and say whether they agree.

Source: SQL counts per key range with the TTL rule (transforms/source_counts.py). Target: a
parallel segmented Scan counting items by `tp`, with the same TTL rule at the same `now`.
Exit 0 only when every count matches; 1 when any differs; 2 when verify could not run.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import apache_beam as beam

from connections.config import ConfigError, DynamoDBConfig, MySQLConfig
from pipelines import common
from pipelines.init_table import TableCheckError, check_table_ready
from schema.entities import ENTITY_GROUPS, entity_of_item_type, item_types_for, sources_for
from pipelines.deep_verify import run_deep
from transforms.dynamodb_scan import CountTableItems
from transforms.read_mysql import DEFAULT_ROWS_PER_RANGE
from transforms.json_lines import WriteJsonLines, read_json_lines
from transforms.source_counts import CountSourceItems

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
    compress_over: int | None = None

    def __post_init__(self):
        if self.segments < 1:
            raise ConfigError("--segments must be at least 1")
        if not 0 < self.sample_rate <= 1:
            raise ConfigError("--sample-rate must be greater than 0 and at most 1")
        if self.sample_rate < 1 and not self.deep:
            raise ConfigError("--sample-rate applies to --deep")


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_mysql_flags(parser)
    common.add_dynamodb_flags(parser)
    parser.add_argument("--entity", default="all",
                        help=f"comma-separated: all, {', '.join(ENTITY_GROUPS)} (default all)")
    parser.add_argument("--deep", action="store_true",
                        help="compare every item's content, not only counts (ok/missing/unexpected/mismatched)")
    parser.add_argument("--sample-rate", type=float, default=1.0,
                        help="with --deep: verify this deterministic fraction of source rows (0 < R <= 1)")
    parser.add_argument("--report", dest="report_path", help="with --deep: write everything found as JSON here")
    parser.add_argument("--compress-over", type=int, metavar="BYTES",
                        help="with --deep: the --compress-over the migration ran with (rows are mapped as it did)")
    parser.add_argument("--segments", type=int,
                        help="parallel Scan segments (default: 4 per worker, at least 8)")
    parser.add_argument("--rows-per-range", type=int, default=DEFAULT_ROWS_PER_RANGE)


def default_segments(options) -> int:
    """4 Scan segments per worker the runner will use, at least 8."""
    return max(MIN_SEGMENTS, 4 * common.worker_count(options))


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    options = common.pipeline_options(beam_args)
    try:
        tables = sources_for(args.entity)
        settings = VerifySettings(
            mysql=common.mysql_config(args), dynamo=common.dynamodb_config(args), tables=tables,
            segments=args.segments or default_segments(options), rows_per_range=args.rows_per_range,
            results_path=common.temp_path(options, "verify-counts.jsonl"), now=int(time.time()),
            deep=args.deep, sample_rate=args.sample_rate, report_path=args.report_path,
            compress_over=args.compress_over,
        )
        if settings.report_path and not settings.deep:
            raise ConfigError("--report applies to --deep")
        for warning in common.check_source_tables(settings.mysql, settings.tables, allow_unmapped=True):
            print(f"warning: {warning}", file=sys.stderr)
        check_table_ready(settings.dynamo)
    except (ValueError, ConfigError, common.PreflightError, TableCheckError) as error:
        print(f"verify: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN

    mode = "deep" if settings.deep else "counts"
    print(f"verify {mode}: {settings.mysql.masked()} against {settings.dynamo.describe()}")
    if settings.deep:
        return run_deep(settings, options)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, settings)
    pipeline.run().wait_until_finish()
    counts = {record["tp"]: record for record in read_json_lines(settings.results_path)}
    return report(settings, counts)


def report(settings: VerifySettings, counts: dict[str, dict]) -> int:
    rows, differing = [], 0
    for tp in item_types_for(settings.tables):
        record = counts.get(tp, {"source": 0, "target": 0})
        equal = record["source"] == record["target"]
        differing += not equal
        rows.append([f"{entity_of_item_type(tp)}/{tp}", record["source"], record["target"],
                     "equal" if equal else f"DIFFERS by {record['target'] - record['source']:+d}"])
    print(common.format_table(["entity/item", "source (live rows)", "target (items)", "result"], rows))
    if differing:
        print(f"verify: {differing} item type(s) differ", file=sys.stderr)
        return common.EXIT_DIFFERENCES
    print("verify: all counts equal")
    return common.EXIT_OK
