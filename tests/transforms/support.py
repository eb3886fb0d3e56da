"""Small real fixtures for composite tests: a source database with only the tables a test needs
(the AlgoItny DDL, no sample data) and items put straight into a DynamoDB Local table."""

from __future__ import annotations

import datetime as dt
import json

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from connectors.dynamodb import clients
from connectors.dynamodb.wire import encode_item
from pipelines.runners import local_runner
from schema import mysql_ddl
from schema.entities import ITEM_SPECS
from tests.integration.helpers import execute, new_table  # noqa: F401 - new_table: for the composite tests

NOW = dt.datetime(2026, 1, 10, 12, 0, 0)


def pinned_pipeline() -> TestPipeline:
    """A TestPipeline on the runner the commands run locally (never the DirectRunner's Prism attempt)."""
    return TestPipeline(runner=local_runner(PipelineOptions([])))


def create_tables(config, *tables: str):
    statements = dict(zip(mysql_ddl.CREATE_TABLES, mysql_ddl.create_statements()))
    execute(config, "SET FOREIGN_KEY_CHECKS = 0", *(statements[t] for t in tables))
    return config


def insert(config, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    sql = f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) VALUES " + \
        ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")" for i in range(len(rows)))
    execute(config, "SET FOREIGN_KEY_CHECKS = 0", sql,
            **{f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in columns})


def put_mapped(target, tp: str, row: dict) -> dict:
    """Put the item `row` maps to, as the migration would; returns it (DynamoDB JSON)."""
    item = json.loads(encode_item(ITEM_SPECS[tp].to_item(row)).json)
    clients.client(target).put_item(TableName=target.table, Item=item)
    return item


def plan_row(plan_id: int, name: str = "Pro") -> dict:
    return {"id": plan_id, "name": name, "description": "", "max_hints_per_day": 5, "max_executions_per_day": 50,
            "max_problems": -1, "can_view_all_problems": 1, "can_register_problems": 0, "is_active": 1,
            "created_at": NOW, "updated_at": NOW}


def usage_row(row_id: int, days_old: float, user_id: int = 7) -> dict:
    return {"id": row_id, "user_id": user_id, "action": "hint", "problem_id": None, "metadata": "{}",
            "created_at": NOW - dt.timedelta(days=days_old)}
