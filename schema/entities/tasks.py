"""tasks: a `tres` item per Celery task result, keyed by its string task id, kept 30 days."""

from __future__ import annotations

from schema.codecs import JSON, TEXT
from schema.keys import META, join_key, split_key
from schema.spec import ItemSpec, SourceSpec, attributes
from schema.ttl import TtlRule

ENTITY = "tasks"
TASK_RESULT_PREFIX = "TRES"
TASK_RESULT_TTL = TtlRule(days=30)


def task_result_pk(task_id: str) -> str:
    return join_key(TASK_RESULT_PREFIX, task_id)


def _task_result_keys(row) -> dict:
    return {"PK": task_result_pk(str(row["task_id"])), "SK": META}


def _task_identity(pk: str, sk: str) -> tuple:
    return (split_key(pk, 2)[1],)


TASK_RESULT = ItemSpec(
    tp="tres", source="task_results", entity=ENTITY, key_builder=_task_result_keys,
    key_shapes={"PK": "TRES#<task_id>", "SK": "META"}, id_column="task_id",
    identity_columns=("task_id",), identity_from_key=_task_identity,
    updated="updated_at", ttl=TASK_RESULT_TTL,
    attributes=attributes(("sts", "status", TEXT), ("res", "result", JSON), ("trc", "traceback", TEXT)),
)

ITEMS = (TASK_RESULT,)
SOURCES = (
    SourceSpec(
        table="task_results", key="task_id", key_is_integer=False, items=("tres",),
        columns=("task_id", "status", "result", "traceback", "created_at", "updated_at"),
    ),
)
