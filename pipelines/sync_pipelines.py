"""sync's Beam half: the pipelines that carry one window to the table, and running one.

pipelines/sync.py imports this only when a window holds something to carry, so that a sync
with nothing to do (most runs of a schedule) answers without importing Beam.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from connectors.dynamodb.beam_io import WriteToDynamoDB
from connectors.files.json_lines import WriteJsonLines, read_json_lines, remove_if_empty
from connectors.mysql.beam_io import ReadBinlogWindow, ReadChangedRows
from connectors.mysql.binlog import BinlogPosition
from connectors.mysql.binlog_positions import BinlogWindow
from pipelines import basics, execution
from pipelines.runners import new_pipeline
from reports import writes
from schema.compression import AS_NEEDED
from schema.entities import SOURCE_SPECS
from state.sync_checkpoints import Checkpoint
from transforms.sync_changes import ApplyChanges
from transforms.to_items import ToItems

if TYPE_CHECKING:
    from pipelines.sync import SyncSettings


def build_binlog_pipeline(p: beam.Pipeline, settings: SyncSettings, window: BinlogWindow,
                          checkpoints: dict[str, Checkpoint]) -> None:
    orders = {t: BinlogPosition.from_record(c.binlog).order() for t, c in checkpoints.items()}
    applied = (p | "ReadBinlog" >> ReadBinlogWindow(settings.mysql, window)
               | "Apply" >> ApplyChanges(settings.mysql, settings.dynamo, settings.now, orders, settings.dry_run,
                                         settings.writer))
    _ = applied["dead_letter"] | "WriteDeadLetters" >> WriteJsonLines(settings.dead_letter_path)
    _ = applied["summary"] | "WriteSummary" >> WriteJsonLines(settings.summary_path)


def _summary_record(element) -> dict:
    (tp, kind), count = element
    counts = [[tp, kind, count]] + ([["", "events", count]] if kind == "puts" else [])
    return {"counts": counts}


def _dead_letter_type(record: dict) -> str:
    return record.get("tp") or SOURCE_SPECS[record["table"]].items[0]


def build_watermark_pipeline(p: beam.Pipeline, settings: SyncSettings, checkpoints: dict[str, Checkpoint]) -> None:
    items, dead, summaries = [], [], []  # summaries: ((item type, kind), 1) pairs
    for table in settings.tables:
        mark = checkpoints[table].watermark
        since = _dt.datetime.fromtimestamp(mark["since"] - settings.lookback_seconds, _dt.timezone.utc).replace(
            tzinfo=None)
        mapped = (p | f"Read {table}" >> ReadChangedRows(settings.mysql, table, since, mark.get("max_id"))
                  | f"Map {table}" >> ToItems(table, settings.now, AS_NEEDED))
        items.append(mapped.items)
        dead.append(mapped.dead_letter)
    encoded = items | "AllItems" >> beam.Flatten()
    summaries.append(encoded | "PutType" >> beam.Map(lambda item: ((item.tp, "puts"), 1)))
    if not settings.dry_run:
        dead.append(encoded | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer))
    dead_letters = dead | "AllDeadLetters" >> beam.Flatten()
    summaries.append(dead_letters | "DeadType" >> beam.Map(lambda d: ((_dead_letter_type(d), "dead_letters"), 1)))
    _ = dead_letters | "WriteDeadLetters" >> WriteJsonLines(settings.dead_letter_path)
    _ = (summaries | "AllCounts" >> beam.Flatten() | "Sum" >> beam.CombinePerKey(sum)
         | "SummaryRecord" >> beam.Map(_summary_record) | "WriteSummary" >> WriteJsonLines(settings.summary_path))


def run_window(settings, pipeline_options, build) -> tuple[list[dict], int, dict | None]:
    """Run the pipeline `build` makes: (its summary records, dead letters written, the writer's
    figures). Options given as basics.NO_BEAM_FLAGS become Beam's defaults here."""
    if isinstance(pipeline_options, basics.NoBeamFlags):
        pipeline_options = PipelineOptions([])
    pipeline = new_pipeline(pipeline_options)
    build(pipeline)
    result = execution.run_pipeline(pipeline)
    records = read_json_lines(settings.summary_path)
    dead = len(read_json_lines(settings.dead_letter_path))
    write_figures = None if settings.dry_run else \
        writes.writes(execution.counters(result), settings.writer.consumed_capacity)
    if not dead:
        remove_if_empty(settings.dead_letter_path)
    return records, dead, write_figures
