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
from dataclasses import dataclass

import apache_beam as beam

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError, RunStopped
from connectors.files.json_lines import WriteJsonLines, numbered_json_lines, remove_if_empty
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import common, options
from pipelines.runners import new_pipeline
from schema.dead_letters import problem_with
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.state_items import utc_stamp
from transforms.replay_items import ItemsFromDeadLetters

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
               | "Parse" >> beam.Map(json.loads))
    replayed = records | "ItemsFromDeadLetters" >> ItemsFromDeadLetters(settings.mysql, settings.now,
                                                                          settings.compress_over)
    unwritten = replayed["items"] | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer)
    _ = ((replayed["dead_letter"], unwritten) | "AllDeadLetters" >> beam.Flatten()
         | "WriteDeadLetters" >> WriteJsonLines(new_path))


class NotDeadLetters(ValueError):
    """A line of the file is not a dead letter this tool wrote; nothing is replayed."""


def survey(path: str) -> tuple[int, bool]:
    """(records in the file, whether any needs MySQL), reading one line at a time. Every line
    must be a dead letter of ours: one that is not stops the replay before anything is written
    (NotDeadLetters or NotJsonLines, naming the file and the line)."""
    count, rows = 0, False
    for number, record in numbered_json_lines(path):
        problem = problem_with(record, SOURCE_SPECS, ITEM_SPECS)
        if problem:
            raise NotDeadLetters(f"{path}, line {number}: not a dead letter of algoitny-etl: {problem}. Nothing was "
                                 "replayed; give the file migrate, sync or replay wrote, or remove that line")
        count += 1
        rows = rows or record["stage"] == "map"
    return count, rows


def run(argv: list[str] | None = None) -> int:
    now = int(time.time())
    try:
        args, beam_args = options.parse("algoitny-etl replay", DESCRIPTION, argv, FLAGS, POSITIONALS)
        new_path = common.dead_letter_path(
            args.dead_letter or f"{os.path.splitext(args.path)[0]}.replay-{utc_stamp(now)}.jsonl", now, "replay")
        pipeline_options = common.beam_options(args, beam_args)
        dynamo = common.dynamodb_config(args)
        settings = ReplaySettings(common.mysql_config(args), dynamo, now, args.compress_over,
                                  common.writer_settings(args, pipeline_options, dynamo))
        total, needs_mysql = survey(args.path)
        if not total:
            print(f"replay: {args.path} holds no dead letters; nothing to do")
            return common.EXIT_OK
        if needs_mysql:
            check_source_tables(settings.mysql, tuple(SOURCE_SPECS), allow_unmapped=True)
        check_table_ready(settings.dynamo)
    except (OSError, ValueError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    print(f"replay {total} dead letters from {args.path} into {settings.dynamo.describe()}")
    pipeline = new_pipeline(pipeline_options)
    build_pipeline(pipeline, settings, args.path, new_path)
    try:
        common.run_pipeline(pipeline)
    except RunStopped as error:
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


if __name__ == "__main__":
    sys.exit(run())
