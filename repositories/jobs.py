"""JobRepository: script-generation and problem-extraction jobs and their progress."""

from __future__ import annotations

import datetime as _dt

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from repositories.base import Conflict, IdAllocator, NotFound, condition_failed, put_new, query_all, to_row, utc_now
from schema.codecs import epoch_seconds
from schema.entities.jobs import (
    JOB_MODEL_BY_TYPE, JOB_PREFIX_BY_MODEL, JOB_PROGRESS, JOB_SPEC_BY_TYPE, PROGRESS_SK_PREFIX, job_pk,
)
from schema.keys import META
from schema.spec import ItemSpec

JOB_TYPES = {name: (JOB_SPEC_BY_TYPE[name], model) for name, model in JOB_MODEL_BY_TYPE.items()}
PROGRESS = JOB_PROGRESS


def _job(job_type: str) -> tuple[ItemSpec, str]:
    if job_type not in JOB_TYPES:
        raise ValueError(f"job type is one of {', '.join(JOB_TYPES)}")
    return JOB_TYPES[job_type]


class JobRepository:
    def __init__(self, table, ids: IdAllocator | None = None):
        self.table = table
        self._ids = ids or IdAllocator(table)

    def _pk(self, job_type: str, job_id: int) -> str:
        model = _job(job_type)[1]
        return job_pk(JOB_PREFIX_BY_MODEL[model], job_id)

    def get_job(self, job_type: str, job_id: int) -> dict | None:
        return to_row(_job(job_type)[0], self.table.get_item(Key={"PK": self._pk(job_type, job_id), "SK": META},
                                              ConsistentRead=True).get("Item"))

    def update_status(self, job_type: str, job_id: int, status: str, expected_status: str | None = None,
                      error_message: str | None = None, celery_task_id: str | None = None) -> dict:
        """Set the status only if it is still `expected_status` (when given); Conflict otherwise."""
        names = {"#dat": "dat", "#sts": "sts"}
        values = {":sts": status, ":now": epoch_seconds(utc_now())}  # the epoch form the migration writes
        sets = ["#dat.#sts = :sts", "upd = :now"]
        if error_message is not None:
            names["#err"] = "err"
            values[":err"] = error_message
            sets.append("#dat.#err = :err")
        if celery_task_id is not None:
            names["#tid"] = "tid"
            values[":tid"] = celery_task_id
            sets.append("#dat.#tid = :tid")
        condition = "attribute_exists(PK)"
        if expected_status is not None:
            condition += " AND #dat.#sts = :expected"
            values[":expected"] = expected_status
        try:
            answer = self.table.update_item(
                Key={"PK": self._pk(job_type, job_id), "SK": META}, UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition, ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW")
        except ClientError as error:
            if not condition_failed(error):
                raise
            current = self.get_job(job_type, job_id)
            if current is None:
                raise NotFound(f"no {job_type} job {job_id}") from None
            raise Conflict(f"{job_type} job {job_id} is {current['status']}, not {expected_status}") from None
        return to_row(_job(job_type)[0], answer["Attributes"])

    def add_progress(self, job_type: str, job_id: int, step: str, message: str, status: str) -> dict:
        model = _job(job_type)[1]
        row = {"id": self._ids.next_id("job_progress_history"), "content_type_id": None, "object_id": int(job_id),
               "content_type_model": model, "step": step, "message": message, "status": status,
               "created_at": utc_now()}
        put_new(self.table, PROGRESS.to_item(row), f"progress {row['id']}")
        return row

    def get_progress(self, job_type: str, job_id: int, now: _dt.datetime | None = None) -> list[dict]:
        """Oldest first (JPH#<time>#<id> sort keys), live items only.

        An item past its TTL (`ttl <= now`) is left out: DynamoDB deletes expired items within
        days, not at once, and until then a Query still returns them; the migration never
        writes a row already past it, so MySQL's answer with the TTL rule is the same."""
        live = Attr("ttl").gt(int(epoch_seconds(now or utc_now())))
        return [to_row(PROGRESS, item) for item in query_all(
            self.table, FilterExpression=live,
            KeyConditionExpression=Key("PK").eq(self._pk(job_type, job_id)) & Key("SK").begins_with(PROGRESS_SK_PREFIX))]
