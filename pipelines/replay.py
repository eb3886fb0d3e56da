"""`algoitny-etl replay PATH`: re-send what a run dead-lettered, once the cause is fixed.

Write-stage records are re-sent as they were; map-stage records are read again from MySQL
and mapped with this version's specs and options (transforms/replay_items.py). What still
fails goes to a new dead-letter file; exit 0 only when everything was written.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass

import apache_beam as beam

from connectors.dynamodb import clients
from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError, RunStopped
from connectors.dynamodb.reads import items_now
from connectors.files.json_lines import WriteJsonLines, iter_json_lines, numbered_json_lines, remove_if_empty
from connectors.files.local import append_json_lines
from connectors.mysql import engines
from connectors.mysql.joins import JoinedValues
from connectors.mysql.row_writer import RowWriter
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, execution, options
from pipelines.runners import new_pipeline
from schema.dead_letters import problem_with
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.portable import from_portable
from schema.state_items import utc_stamp
from transforms.replay_items import ItemsFromDeadLetters
from transforms.reverse_changes import ReverseChanges

DESCRIPTION = "re-send what a run dead-lettered, once the cause is fixed"
FLAGS = (options.SOURCE, options.TARGET, options.MAPPING, options.WRITE,
                  options.DEAD_LETTER, options.RUNNER)
POSITIONALS = (options.Positional("path", "a dead-letter file written by migrate, sync, verify --deep --repair or an "
                                           "earlier replay (any Beam filesystem path)"),)


@dataclass(frozen=True)
class ReplaySettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    now: int
    compress_over: int | None
    writer: WriterSettings


def build_pipeline(p: beam.Pipeline, settings: ReplaySettings, path: str, new_path: str) -> None:
    records = (p | "ReadDeadLetters" >> beam.io.ReadFromText(path)
               | "Parse" >> beam.Map(json.loads)
               | "ForTheTable" >> beam.Filter(lambda record: record["stage"] != "reverse"))
    replayed = records | "ItemsFromDeadLetters" >> ItemsFromDeadLetters(settings.mysql, settings.now,
                                                                          settings.compress_over)
    unwritten = replayed["items"] | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer)
    _ = ((replayed["dead_letter"], unwritten) | "AllDeadLetters" >> beam.Flatten()
         | "WriteDeadLetters" >> WriteJsonLines(new_path))


class NotDeadLetters(ValueError):
    """A line of the file is not a dead letter this tool wrote; nothing is replayed."""


def survey(path: str) -> Counter:
    """Records in the file by stage, reading one line at a time. Every line must be a dead letter
    of ours: one that is not stops the replay before anything is written (NotDeadLetters or
    NotJsonLines, naming the file and the line)."""
    stages: Counter = Counter()
    for number, record in numbered_json_lines(path):
        problem = problem_with(record, SOURCE_SPECS, ITEM_SPECS)
        if problem:
            raise NotDeadLetters(f"{path}, line {number}: not a dead letter of algoitny-etl: {problem}. Nothing was "
                                 "replayed; give the file migrate, sync, reverse-sync or replay wrote, or remove that "
                                 "line")
        stages[record["stage"]] += 1
    return stages


def replay_to_mysql(settings: ReplaySettings, path: str, new_path: str) -> None:
    """Rows reverse sync could not write: each written now from its item as the table holds it (or
    deleted, the item gone), parents first; what MySQL still refuses goes to `new_path`."""
    records = [r for r in iter_json_lines(path) if r["stage"] == "reverse"]
    engine = engines.engine(settings.mysql)
    try:
        items = items_now(clients.client(settings.dynamo), settings.dynamo.table,
                          [(r["item_key"]["PK"], r["item_key"]["SK"]) for r in records])
        changes = ReverseChanges(RowWriter(engine, JoinedValues(engine, SOURCE_SPECS)))
        for record in records:
            item = items.get((record["item_key"]["PK"], record["item_key"]["SK"]))
            if item is not None:
                changes.upsert_item(item)
            else:
                changes.delete_row(record["table"], from_portable(record["key"]), record["tp"], record["item_key"])
        still = changes.apply().dead_letters
    finally:
        engine.dispose()
    if still:
        basics.ensure_parent(new_path)
        append_json_lines(new_path, still)


def run(argv: list[str] | None = None) -> int:
    now = int(time.time())
    try:
        args, beam_args = options.parse("algoitny-etl replay", DESCRIPTION, argv, FLAGS, POSITIONALS)
        new_path = basics.dead_letter_path(
            args.dead_letter or f"{os.path.splitext(args.path)[0]}.replay-{utc_stamp(now)}.jsonl", now, "replay")
        pipeline_options = execution.beam_options(args, beam_args)
        dynamo = basics.dynamodb_config(args)
        settings = ReplaySettings(basics.mysql_config(args), dynamo, now, args.compress_over,
                                  basics.writer_settings(args, pipeline_options, dynamo))
        stages = survey(args.path)
        total = sum(stages.values())
        if not total:
            print(f"replay: {args.path} holds no dead letters; nothing to do")
            return basics.EXIT_OK
        if stages["map"] or stages["reverse"]:
            check_source_tables(settings.mysql, tuple(SOURCE_SPECS), allow_unmapped=True)
        check_table_ready(settings.dynamo)
    except (OSError, ValueError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    where = settings.dynamo.describe() if not stages["reverse"] else f"{settings.mysql.masked()} (rows reverse sync " \
        "could not write)" + (f" and {settings.dynamo.describe()}" if stages["map"] or stages["write"] else "")
    print(f"replay {total} dead letters from {args.path} into {where}")
    try:
        if stages["map"] or stages["write"]:  # the pipeline writes the new file; rows for MySQL join it after
            pipeline = new_pipeline(pipeline_options)
            build_pipeline(pipeline, settings, args.path, new_path)
            execution.run_pipeline(pipeline)
        if stages["reverse"]:
            replay_to_mysql(settings, args.path, new_path)
    except RunStopped as error:
        print(f"replay: stopped: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    still = sum(survey(new_path).values()) if os.path.exists(new_path) else 0
    if still:
        print(f"replay: {total - still} of {total} resolved; {still} still fail, with "
              f"their reasons, in {new_path}", file=sys.stderr)
        return basics.EXIT_DIFFERENCES
    remove_if_empty(new_path)
    print(f"replay: all {total} resolved (written, or expired by TTL meanwhile)")
    return basics.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
