"""Key builders for the single table (DESIGN.md §3).

Keys are `#`-joined parts. So that a key can always be parsed back, a `#` is allowed only in
the last part of a key (an email, a Google id, a task id): anywhere else it is rejected with
`InvalidKeyPart`, which the migration turns into a dead letter naming the reason.
"""

from __future__ import annotations

import datetime as _dt

from schema.errors import Rejected

SEPARATOR = "#"
ID_DIGITS = 12
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


class InvalidKeyPart(Rejected):
    """A value cannot be placed in a key (empty, contains the separator, too long)."""

    default_code = "invalid_key"


def join_key(*parts: object) -> str:
    """Join key parts with `#`; every part but the last must be free of `#` and non-empty."""
    texts = [str(p) for p in parts]
    for position, text in enumerate(texts):
        if text == "":
            raise InvalidKeyPart(f"empty key part at position {position} of {texts!r}")
        if SEPARATOR in text and position < len(texts) - 1:
            raise InvalidKeyPart(f"key part {text!r} contains {SEPARATOR!r}")
    return SEPARATOR.join(texts)


def split_key(key: str, parts: int) -> list[str]:
    """Inverse of `join_key` for a key known to have `parts` parts."""
    pieces = key.split(SEPARATOR, parts - 1)
    if len(pieces) != parts:
        raise InvalidKeyPart(f"key {key!r} does not have {parts} parts")
    return pieces


def padded_id(value: int) -> str:
    """`<id:12>`: the id left-padded to 12 digits so that keys sort numerically."""
    number = int(value)
    if number < 0 or number >= 10**ID_DIGITS:
        raise InvalidKeyPart(f"id {number} does not fit in {ID_DIGITS} digits")
    return f"{number:0{ID_DIGITS}d}"


def as_utc(moment: _dt.datetime) -> _dt.datetime:
    """MySQL DATETIME values are naive UTC; aware values are converted to naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return moment


def key_timestamp(moment: _dt.datetime) -> str:
    """`<ts>`: `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC; sorts chronologically as text."""
    m = as_utc(moment)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
            f"{m.microsecond:06d}Z")


def parse_key_timestamp(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def key_date(moment: _dt.datetime) -> str:
    """`YYYYMMDD` of the UTC day, as used in usage-log partition keys."""
    m = as_utc(moment)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}"


def check_key_sizes(pk: str, sk: str, index: str = "") -> None:
    """DynamoDB limits, for the table and each index: partition key 2048 bytes, sort key 1024 (UTF-8)."""
    pk_bytes = len(pk.encode("utf-8"))
    sk_bytes = len(sk.encode("utf-8"))
    where = f"{index} " if index else ""
    if pk_bytes > MAX_PARTITION_KEY_BYTES:
        raise InvalidKeyPart(f"{where}partition key is {pk_bytes} bytes (limit {MAX_PARTITION_KEY_BYTES})",
                             "key_too_long")
    if sk_bytes > MAX_SORT_KEY_BYTES:
        raise InvalidKeyPart(f"{where}sort key is {sk_bytes} bytes (limit {MAX_SORT_KEY_BYTES})", "key_too_long")


# --- The keys of DESIGN.md §3, one builder per key shape. Repositories use these too. ---

def plan_pk(plan_id: int) -> str:
    return join_key("PLAN", int(plan_id))


def user_pk(user_id: int) -> str:
    return join_key("USR", int(user_id))


def email_gsi1pk(email: str) -> str:
    return join_key("EMAIL", email.lower())


def google_id_gsi1pk(google_id: str) -> str:
    return join_key("GID", google_id)


def problem_pk(platform: str, problem_number: str) -> str:
    return join_key("PROB", platform, problem_number)


def testcase_sk(testcase_id: int) -> str:
    return join_key("TC", padded_id(testcase_id))


def history_pk(history_id: int) -> str:
    return join_key("HIST", int(history_id))


def history_user_gsi1pk(user_id: int | None, user_identifier: str | None) -> str:
    if user_id is not None:
        return join_key("HIST", "USR", int(user_id))
    if user_identifier is None:
        raise InvalidKeyPart("history row has neither user_id nor user_identifier")
    return join_key("HIST", "UIDT", user_identifier)


HISTORY_PUBLIC_GSI2PK = "HIST#PUBLIC"


def timeline_sk(created_at: _dt.datetime, row_id: int) -> str:
    """`<ts>#<id:12>`: newest-first order by time, ties broken by id."""
    return join_key(key_timestamp(created_at), padded_id(row_id))


def usage_pk(user_id: int, day: _dt.datetime | _dt.date) -> str:
    if isinstance(day, _dt.datetime):
        day_text = key_date(day)
    else:
        day_text = day.strftime("%Y%m%d")
    return join_key("USR", int(user_id), "ULOG", day_text)


def usage_sk_prefix(action: str) -> str:
    """`ULOG#<action>#`: the rate-limit key condition `begins_with(SK, …)`."""
    return f"ULOG{SEPARATOR}{_key_part(action)}{SEPARATOR}"


def usage_sk(action: str, created_at: _dt.datetime, row_id: int) -> str:
    return join_key("ULOG", action, key_timestamp(created_at), padded_id(row_id))


def script_job_pk(job_id: int) -> str:
    return join_key("SGJ", int(job_id))


def extraction_job_pk(job_id: int) -> str:
    return join_key("PEJ", int(job_id))


JOB_PK_PREFIX_BY_MODEL = {
    "scriptgenerationjob": "SGJ",
    "problemextractionjob": "PEJ",
}


def job_progress_sk(created_at: _dt.datetime, row_id: int) -> str:
    return join_key("JPH", key_timestamp(created_at), padded_id(row_id))


def task_result_pk(task_id: str) -> str:
    return join_key("TRES", task_id)


META = "META"
GID = "GID"


def _key_part(text: str) -> str:
    if text == "" or SEPARATOR in text:
        raise InvalidKeyPart(f"key part {text!r} is empty or contains {SEPARATOR!r}")
    return text
