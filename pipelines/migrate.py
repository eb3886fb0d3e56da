"""`algoitny-etl migrate`: MySQL tables -> single-table items -> DynamoDB (or nowhere, dry run)."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from connections.config import ConfigError, DynamoDBConfig, MySQLConfig
from pipelines import common
from pipelines.init_table import TableCheckError, check_table_ready
from schema.entities import ENTITY_GROUPS, SOURCE_SPECS, entity_of_item_type, sources_for
from transforms import metrics
from transforms.dynamodb_batch import MAX_BATCH_ITEMS
from transforms.encode_items import EncodeItems
from transforms.json_lines import WriteJsonLines
from transforms.read_mysql import DEFAULT_ROWS_PER_RANGE, ReadMySQLTable
from transforms.to_items import ToItems
from transforms.write_dynamodb import WriteToDynamoDB


@dataclass(frozen=True)
class MigrateSettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    dry_run: bool
    batch_size: int
    rows_per_range: int
    dead_letter_path: str
    now: int

    def __post_init__(self):
        if not 1 <= self.batch_size <= MAX_BATCH_ITEMS:
            raise ConfigError(f"--batch-size must be between 1 and {MAX_BATCH_ITEMS} (BatchWriteItem's limit)")
        if self.rows_per_range < 1:
            raise ConfigError("--rows-per-range must be at least 1")


def build_pipeline(p: beam.Pipeline, settings: MigrateSettings) -> None:
    items, dead_letters = [], []
    for table in settings.tables:
        rows = p | f"Read {table}" >> ReadMySQLTable(settings.mysql, table, settings.rows_per_range)
        mapped = rows | f"Map {table}" >> ToItems(table, settings.now)
        items.append(mapped.items)
        dead_letters.append(mapped.dead_letter)
    encoded = items | "AllItems" >> beam.Flatten() | "Encode" >> EncodeItems()
    dead_letters.append(encoded.dead_letter)
    if not settings.dry_run:
        _ = encoded.encoded | "Write" >> WriteToDynamoDB(settings.dynamo, settings.batch_size)
    _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(
        settings.dead_letter_path)


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


def default_dead_letter_path(now: int) -> str:
    stamp = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("dead-letters", f"migrate-{stamp}-{os.getpid()}.jsonl")


def settings_from(args: argparse.Namespace) -> MigrateSettings:
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
        now=now,
    )


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    try:
        settings = settings_from(args)
        common.check_source_tables(settings.mysql, _tables_read(settings.tables))
        if not settings.dry_run:
            check_table_ready(settings.dynamo)
    except (ConfigError, common.PreflightError, TableCheckError) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN

    mode = "DRY RUN (nothing is written)" if settings.dry_run else f"into {settings.dynamo.describe()}"
    print(f"migrate {', '.join(settings.tables)} from {settings.mysql.masked()} {mode}")
    started = time.monotonic()
    pipeline = beam.Pipeline(options=common.pipeline_options(beam_args))
    build_pipeline(pipeline, settings)
    result = pipeline.run()
    result.wait_until_finish()
    elapsed = time.monotonic() - started
    return report(settings, common.counters(result), elapsed)


def _tables_read(tables: tuple[str, ...]) -> list[str]:
    needed = list(tables)
    for table in tables:
        needed += [join.table for join in SOURCE_SPECS[table].joins]
    return list(dict.fromkeys(needed))


def report(settings: MigrateSettings, counts: dict[str, int], elapsed: float) -> int:
    rows = []
    total_items = total_dead = 0
    for table in settings.tables:
        read = counts.get(metrics.rows_read(table), 0)
        dead = counts.get(metrics.dead_letters(table), 0)
        for index, tp in enumerate(SOURCE_SPECS[table].items):
            mapped = counts.get(metrics.items_mapped(tp), 0)
            dead_encode = counts.get(metrics.dead_letters_encode(tp), 0)
            written = "-" if settings.dry_run else counts.get(metrics.items_written(tp), 0)
            rows.append([
                f"{entity_of_item_type(tp)}/{tp}", table if index == 0 else "",
                read if index == 0 else "", mapped, counts.get(metrics.items_expired(tp), 0),
                (dead if index == 0 else 0) + dead_encode, written,
            ])
            total_items += mapped
            total_dead += dead_encode
        total_dead += dead
    print(common.format_table(
        ["entity/item", "source table", "rows read", "items", "expired (TTL)", "dead letters",
         "written"], rows))
    rate = total_items / elapsed if elapsed > 0 else 0.0
    print(f"{total_items} items {'validated' if settings.dry_run else 'written'} in {elapsed:.1f} s "
          f"({rate:,.0f} items/s)")
    if total_dead:
        print(f"migrate: {total_dead} rows/items could not be migrated; reasons are in "
              f"{settings.dead_letter_path}", file=sys.stderr)
        return common.EXIT_DIFFERENCES
    _remove_empty(settings.dead_letter_path)
    return common.EXIT_OK


def _remove_empty(path: str) -> None:
    try:
        if FileSystems.exists(path):
            with FileSystems.open(path) as handle:
                empty = not handle.read(1)
            if empty:
                FileSystems.delete([path])
    except OSError:
        pass

