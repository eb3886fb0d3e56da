"""The shape of migrate's pipeline: every table's rows in one read, mapped in one step, written by
one Write fed by that step directly. A Flatten in front of the Write would make the FnApiRunner
hold every table's items until all tables were read (the first write waited for the last row)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.pipeline import PipelineVisitor

from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from connectors.mysql.key_ranges import KeyRange
from pipelines.migrate import MigrateSettings, build_pipeline
from pipelines.migrate_plan import ReadPlan


class Producers(PipelineVisitor):
    """full label of each primitive transform -> the full labels of those producing its main inputs."""

    def __init__(self):
        self.inputs: dict[str, list[str]] = {}

    def visit_transform(self, node):
        self.inputs[node.full_label] = [pc.producer.full_label for pc in node.main_inputs.values() if pc.producer]


def test_every_table_is_read_once_and_written_without_a_flatten(tmp_path):
    tables = ("problems", "usage_logs", "users")
    plan = ReadPlan({t: [KeyRange(t, None, 10), KeyRange(t, 10, None)] for t in tables})
    settings = MigrateSettings(
        mysql=MySQLConfig("mysql+pymysql://root@127.0.0.1:1/none"), dynamo=DynamoDBConfig(table="t"),
        tables=tables, dry_run=False, rows_per_range=10, dead_letter_path=str(tmp_path / "dead.jsonl"),
        stats_path=str(tmp_path / "stats.jsonl"), now=0, plan=plan)
    pipeline = beam.Pipeline()
    build_pipeline(pipeline, settings)
    producers = Producers()
    pipeline.visit(producers)
    labels = set(producers.inputs)
    assert [label for label in labels if label.endswith("/ReadKeyRange")] == ["Read/ReadKeyRange"]
    assert [label for label in labels if label.endswith("(RowToItems)")] == ["Map/RowToItems/ParDo(RowToItems)"]
    # The Write is fed straight by the mapping, no Flatten between.
    assert producers.inputs["Write/BatchWriteItem/ParDo(WriteBatchesFn)"] == ["Map/RowToItems/ParDo(RowToItems)"]
    # Only problems can hold rows that collide on a key: only its duplicates are looked for.
    assert {label.split("/")[0] for label in labels if label.startswith("Duplicates")} == {"Duplicates problems"}
