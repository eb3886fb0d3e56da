"""`algoitny-etl replay PATH`: re-send what a run dead-lettered, once the cause is fixed.

- `write` records (DynamoDB refused the item, or retries ran out) are re-sent as they were;
- `map` records are read again from MySQL by the row's identity (the fix usually happens at
  the source) and mapped with this version's specs and options (e.g. --compress-over).
What still fails goes to a new dead-letter file; exit 0 only when everything was written.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from dataclasses import dataclass

import apache_beam as beam

from connections.config import ConfigError, DynamoDBConfig, MySQLConfig
from pipelines import common
from pipelines.init_table import TableCheckError, check_table_ready
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.item_size import write_units
from schema.portable import from_portable
from transforms.dead_letters import dead_letter_for_row
from transforms.dynamodb_batch import MAX_BATCH_ITEMS, RetryPolicy, WriteAborted
from transforms.dynamodb_wire import EncodedItem
from transforms.json_lines import WriteJsonLines, iter_json_lines, remove_if_empty
from transforms.mysql_source import select_by_identity
from transforms.read_mysql import EngineDoFn
from transforms.to_items import ToItems
from transforms.write_dynamodb import DEFAULT_CONCURRENCY, WriteToDynamoDB

STAGES = ("write", "map")


def _stage(record: dict, _count: int) -> int:
    return STAGES.index(record.get("stage", "map"))


def encoded_from_write_record(record: dict) -> EncodedItem:
    """The DynamoDB JSON as sent; its length bounds the item's size from above (for the rate limit)."""
    item = record["item"]
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return EncodedItem(item["PK"]["S"], item["SK"]["S"], record.get("tp") or item.get("tp", {}).get("S", "?"), data,
                       write_units(len(data)))


class RereadRows(EngineDoFn):
    """Map-stage dead letters of one table -> the rows as MySQL has them now."""

    def __init__(self, mysql_config, table: str):
        super().__init__(mysql_config)
        self._table = table

    def process(self, record: dict):
        source = SOURCE_SPECS[self._table]
        spec = ITEM_SPECS[source.items[0]]
        row = from_portable(record["row"])
        identity = spec.identity_of_row(row)
        found = select_by_identity(self._engine, source, spec.identity_columns, [identity])
        if len(found) == 1:
            yield found[0]
            return
        reason = "the row is no longer in the source" if not found else \
            f"{len(found)} rows still share this row's key"
        yield beam.pvalue.TaggedOutput("gone", dead_letter_for_row(
            self._table, record["key"], reason, row, "not_in_source" if not found else "duplicate_key"))


def build_pipeline(p: beam.Pipeline, settings, path: str, new_path: str) -> None:
    records = (p | "ReadDeadLetters" >> beam.io.ReadFromText(path)
               | "Parse" >> beam.Map(json.loads))
    writes, maps = records | "ByStage" >> beam.Partition(_stage, len(STAGES))
    items, dead = [], []
    for table in SOURCE_SPECS:
        reread = (maps
                  | f"Only {table}" >> beam.Filter(lambda r, t=table: r.get("table") == t)
                  | f"Reread {table}" >> beam.ParDo(RereadRows(settings.mysql, table)).with_outputs("gone", main="rows"))
        mapped = reread.rows | f"Map {table}" >> ToItems(table, settings.now, settings.compress_over)
        items.append(mapped.items)
        dead += [reread.gone, mapped.dead_letter]
    to_send = (*items, writes | "AsSent" >> beam.Map(encoded_from_write_record)) | "AllToSend" >> beam.Flatten()
    dead.append(to_send | "Write" >> WriteToDynamoDB(settings.dynamo, settings.batch_size, settings.concurrency,
                                                     policy=settings.policy))
    _ = dead | "AllDeadLetters" >> beam.Flatten() | "WriteDeadLetters" >> WriteJsonLines(new_path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a dead-letter file written by migrate (any Beam filesystem path)")
    common.add_mysql_flags(parser)
    common.add_dynamodb_flags(parser)
    parser.add_argument("--dead-letter", dest="dead_letter",
                        help="where what still fails goes (default: PATH with .replay-<time> added)")
    parser.add_argument("--compress-over", type=int, metavar="BYTES", help="as for migrate")
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH_ITEMS)
    parser.add_argument("--write-concurrency", type=int, default=DEFAULT_CONCURRENCY)


@dataclass(frozen=True)
class ReplaySettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    now: int
    compress_over: int | None
    batch_size: int
    concurrency: int
    policy: RetryPolicy = RetryPolicy()

    def __post_init__(self):
        if not 1 <= self.batch_size <= MAX_BATCH_ITEMS:
            raise ConfigError(f"--batch-size must be between 1 and {MAX_BATCH_ITEMS}")


def survey(path: str) -> tuple[int, bool]:
    """(records in the file, whether any needs MySQL), reading one line at a time."""
    count, rows = 0, False
    for record in iter_json_lines(path):
        count += 1
        rows = rows or record.get("stage", "map") == "map"
    return count, rows


def run(args: argparse.Namespace, beam_args: list[str]) -> int:
    now = int(time.time())
    stamp = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    new_path = args.dead_letter or f"{os.path.splitext(args.path)[0]}.replay-{stamp}.jsonl"
    try:
        settings = ReplaySettings(common.mysql_config(args), common.dynamodb_config(args), now, args.compress_over,
                                  args.batch_size, args.write_concurrency)
        total, needs_mysql = survey(args.path)
        if not total:
            print(f"replay: {args.path} holds no dead letters; nothing to do")
            return common.EXIT_OK
        if needs_mysql:
            common.check_source_tables(settings.mysql, tuple(SOURCE_SPECS), allow_unmapped=True)
        check_table_ready(settings.dynamo)
    except (OSError, ValueError, ConfigError, common.PreflightError, TableCheckError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    print(f"replay {total} dead letters from {args.path} into {settings.dynamo.describe()}")
    pipeline = beam.Pipeline(options=common.pipeline_options(beam_args))
    build_pipeline(pipeline, settings, args.path, new_path)
    try:
        result = pipeline.run()
        result.wait_until_finish()
    except WriteAborted as error:
        print(f"replay: stopped: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    still, _ = survey(new_path)
    if still:
        print(f"replay: {total - still} of {total} resolved; {still} still fail, with "
              f"their reasons, in {new_path}", file=sys.stderr)
        return common.EXIT_DIFFERENCES
    remove_if_empty(new_path)
    print(f"replay: all {total} resolved (written, or expired by TTL meanwhile)")
    return common.EXIT_OK
