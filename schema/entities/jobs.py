"""jobs: script-generation jobs (`sgj`), problem-extraction jobs (`pej`), and their progress
history (`jph`, kept 30 days) in the job's own partition.

A progress row points at its job through Django's generic relation (content_type_id,
object_id); the content type's model, read with a LEFT JOIN on django_content_type, picks
the job's key prefix. A progress row of any other model is a dead letter
(`unknown_content_type`).
"""

from __future__ import annotations

import datetime as _dt
from types import MappingProxyType
from typing import Mapping

from schema.codecs import JSON, TEXT
from schema.keys import META, SEPARATOR, id_at_end_of_sk, id_in_pk, join_key, key_timestamp, padded_id, split_key
from schema.spec import ItemSpec, Join, RowRejected, SourceSpec, attributes
from schema.ttl import TtlRule

ENTITY = "jobs"
SCRIPT_JOB_PREFIX = "SGJ"
EXTRACTION_JOB_PREFIX = "PEJ"
PROGRESS_PREFIX = "JPH"
PROGRESS_SK_PREFIX = PROGRESS_PREFIX + SEPARATOR  # begins_with(SK, …): a job's progress history
JOB_PREFIX_BY_MODEL = MappingProxyType({
    "scriptgenerationjob": SCRIPT_JOB_PREFIX,
    "problemextractionjob": EXTRACTION_JOB_PREFIX,
})
_MODEL_BY_JOB_PREFIX = {prefix: model for model, prefix in JOB_PREFIX_BY_MODEL.items()}
JOB_PROGRESS_TTL = TtlRule(days=30)


def job_pk(prefix: str, job_id: int) -> str:
    return join_key(prefix, int(job_id))


def job_progress_sk(created_at: _dt.datetime, row_id: int) -> str:
    return join_key(PROGRESS_PREFIX, key_timestamp(created_at), padded_id(row_id))


def _script_job_keys(row) -> dict:
    return {"PK": job_pk(SCRIPT_JOB_PREFIX, row["id"]), "SK": META}


def _extraction_job_keys(row) -> dict:
    return {"PK": job_pk(EXTRACTION_JOB_PREFIX, row["id"]), "SK": META}


def _job_progress_keys(row) -> dict:
    model = row.get("content_type_model")
    prefix = JOB_PREFIX_BY_MODEL.get(model)  # type: ignore[arg-type]
    if prefix is None:
        raise RowRejected(
            f"job progress {row['id']} belongs to content type {row.get('content_type_id')} "
            f"(model {model!r}), which is not a migrated job type", "unknown_content_type"
        )
    return {"PK": job_pk(prefix, row["object_id"]), "SK": job_progress_sk(row["created_at"], row["id"])}


def _job_from_keys(item: Mapping) -> dict:
    prefix, object_id = split_key(item["PK"], 2)
    return {"object_id": int(object_id), "content_type_model": _MODEL_BY_JOB_PREFIX[prefix]}


SCRIPT_JOB = ItemSpec(
    tp="sgj", source="script_generation_jobs", entity=ENTITY, key_builder=_script_job_keys,
    key_shapes={"PK": "SGJ#<id>", "SK": "META"}, identity_from_key=id_in_pk, updated="updated_at",
    attributes=attributes(
        ("plt", "platform", TEXT), ("pno", "problem_id", TEXT), ("tit", "title", TEXT),
        ("url", "problem_url", TEXT), ("tag", "tags", JSON), ("sol", "solution_code", TEXT),
        ("lng", "language", TEXT), ("con", "constraints", TEXT), ("gen", "generator_code", TEXT),
        ("sts", "status", TEXT), ("tid", "celery_task_id", TEXT), ("err", "error_message", TEXT),
    ),
)

EXTRACTION_JOB = ItemSpec(
    tp="pej", source="problem_extraction_jobs", entity=ENTITY, key_builder=_extraction_job_keys,
    key_shapes={"PK": "PEJ#<id>", "SK": "META"}, identity_from_key=id_in_pk, updated="updated_at",
    attributes=attributes(
        ("plt", "platform", TEXT), ("pno", "problem_id", TEXT), ("url", "problem_url", TEXT),
        ("pidt", "problem_identifier", TEXT), ("sts", "status", TEXT),
        ("tid", "celery_task_id", TEXT), ("err", "error_message", TEXT),
    ),
)

JOB_PROGRESS = ItemSpec(
    tp="jph", source="job_progress_history", entity=ENTITY, key_builder=_job_progress_keys,
    key_shapes={"PK": "SGJ#<object_id> | PEJ#<object_id> (by the content type's model)",
                "SK": "JPH#<ts>#<id:12>"},
    identity_from_key=id_at_end_of_sk, ttl=JOB_PROGRESS_TTL, key_decoder=_job_from_keys,
    key_columns=("content_type_id", "object_id"), required_columns=("object_id",),
    attributes=attributes(("stp", "step", TEXT), ("msg", "message", TEXT), ("sts", "status", TEXT)),
)

ITEMS = (SCRIPT_JOB, EXTRACTION_JOB, JOB_PROGRESS)
# The application's names for its job types (JobRepository's `job_type`): their item type and
# the content type's model their progress rows point at.
JOB_SPEC_BY_TYPE = MappingProxyType({"script_generation": SCRIPT_JOB, "problem_extraction": EXTRACTION_JOB})
JOB_MODEL_BY_TYPE = MappingProxyType({"script_generation": "scriptgenerationjob",
                                      "problem_extraction": "problemextractionjob"})
SOURCES = (
    SourceSpec(
        table="script_generation_jobs", key="id", key_is_integer=True, items=("sgj",),
        columns=("id", "platform", "problem_id", "title", "problem_url", "tags", "solution_code",
                 "language", "constraints", "generator_code", "status", "celery_task_id",
                 "error_message", "created_at", "updated_at"),
    ),
    SourceSpec(
        table="problem_extraction_jobs", key="id", key_is_integer=True, items=("pej",),
        columns=("id", "platform", "problem_id", "problem_url", "problem_identifier", "status",
                 "celery_task_id", "error_message", "created_at", "updated_at"),
    ),
    SourceSpec(
        table="job_progress_history", key="id", key_is_integer=True, items=("jph",),
        columns=("id", "content_type_id", "object_id", "step", "message", "status", "created_at"),
        joins=(Join("django_content_type", "ct", "content_type_id", "id",
                    MappingProxyType({"content_type_model": "model"}), in_child_keys=True),),
    ),
)
