"""Entity specs: how each AlgoItny row becomes a single-table item (DESIGN.md §3).

One `ItemSpec` per item type (11), one `SourceSpec` per source table read (10). Every column
of a source table is mapped to a `dat` short name, carried by a key, stored as `crt`/`upd`,
or listed as excluded with a reason; `tests/unit/test_entities.py` holds the specs to that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from schema import compression, item_size
from schema import keys as k
from schema.errors import Rejected
from schema.codecs import BOOLEAN, DATETIME, INTEGER, JSON, TEXT, ValueRejected, epoch_seconds, from_epoch_seconds
from schema.ttl import TtlRule

Row = Mapping[str, object]
_ABSENT = object()


def _plain_id(value: object) -> object:
    """dat.id as the row had it: an int for numeric keys (DynamoDB gives Decimal back)."""
    if value is not None and not isinstance(value, (str, bool)) and int(value) == value:
        return int(value)
    return value


def _compressed_if_large(row_value: object, encoded: object, codec: object, threshold: int) -> object:
    if item_size.value_size(encoded) <= threshold:
        return encoded
    if isinstance(encoded, str) and codec is TEXT:
        return compression.compress(encoded, compression.TEXT)
    text = row_value.decode("utf-8") if isinstance(row_value, (bytes, bytearray)) else row_value
    if codec is JSON and isinstance(text, str):
        return compression.compress(text, compression.JSON_TEXT)
    return encoded


class RowRejected(Rejected):
    """A row cannot become an item; the reason goes to the dead-letter file.

    Codes: null_required, invalid_key, key_too_long, missing_parent, unknown_content_type,
    invalid_json, not_a_number, invalid_date, not_a_boolean, not_an_integer, invalid_text,
    invalid_value, item_too_large, duplicate_key, not_encodable.
    """


@dataclass(frozen=True)
class Attribute:
    short: str
    column: str
    codec: object


@dataclass(frozen=True)
class ItemSpec:
    tp: str
    source: str
    key_builder: Callable[[Row], dict]
    attributes: tuple[Attribute, ...]
    key_columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    id_column: str = "id"
    created: str = "created_at"
    updated: str | None = None
    ttl: TtlRule | None = None
    only_when_present: str | None = None
    # The source row an item comes from, read back from the item's keys (deep verify looks
    # the row up by it): identity_columns of the source table, and the key parser.
    identity_columns: tuple[str, ...] = ("id",)
    identity_from_key: Callable[[str, str], tuple] | None = None
    # Columns carried only by the keys, read back from an item (for from_item).
    key_decoder: Callable[[Mapping], dict] | None = None

    def identity_of_row(self, row: Row) -> tuple:
        return tuple(row[column] for column in self.identity_columns)

    def identity_of_item(self, pk: str, sk: str) -> tuple | None:
        """The identity a key names, or None when the key is not of this item type's shape."""
        try:
            return self.identity_from_key(pk, sk)
        except (ValueError, IndexError):
            return None

    def produces_item_for(self, row: Row) -> bool:
        return self.only_when_present is None or row.get(self.only_when_present) is not None

    def columns(self) -> set[str]:
        """Source columns this item type accounts for."""
        cols = {self.id_column, self.created, *self.key_columns}
        cols.update(a.column for a in self.attributes)
        if self.updated:
            cols.add(self.updated)
        return cols

    def to_item(self, row: Row, compress_over: int | None = None, info: dict | None = None) -> dict:
        """The item for `row`, or RowRejected saying why there cannot be one.

        `compress_over`: compress COMPRESSIBLE attributes larger than this many bytes.
        `info`: receives "size" (bytes) and "kept_as_text" (columns stored as exact text).
        """
        kept_as_text = []
        for column in (self.id_column, self.created, *self.required_columns):
            if row.get(column) is None:
                raise RowRejected(f"{self.source}.{column} is NULL but the {self.tp} item needs it", "null_required")
        try:
            item = self.key_builder(row)
            k.check_key_sizes(item["PK"], item["SK"])
            for index in ("GSI1", "GSI2"):
                if f"{index}PK" in item:
                    k.check_key_sizes(item[f"{index}PK"], item[f"{index}SK"], index)
        except k.InvalidKeyPart as error:
            raise RowRejected(f"{self.tp} key: {error}", error.code) from None
        dat: dict = {"id": row[self.id_column]}
        for attribute in self.attributes:
            value = row.get(attribute.column)
            if value is None:
                continue
            try:
                encoded = attribute.codec.encode(value)
            except ValueRejected as error:
                raise RowRejected(f"{self.source}.{attribute.column}: {error}", error.code) from None
            except (ValueError, TypeError, ArithmeticError) as error:
                raise RowRejected(f"{self.source}.{attribute.column}: {error!r}", "invalid_value") from None
            if attribute.codec.fallback(encoded):
                kept_as_text.append(attribute.column)
            if compress_over is not None and attribute.short in compression.COMPRESSIBLE:
                encoded = _compressed_if_large(value, encoded, attribute.codec, compress_over)
            dat[attribute.short] = encoded
        item["tp"] = self.tp
        item["dat"] = dat
        try:
            item["crt"] = epoch_seconds(row[self.created])
            if self.updated and row.get(self.updated) is not None:
                item["upd"] = epoch_seconds(row[self.updated])
        except (ValueError, TypeError, AttributeError):
            raise RowRejected(f"{self.source}.{self.created}/{self.updated}: not a valid datetime", "invalid_date") from None
        if self.ttl is not None:
            item["ttl"] = self.ttl.ttl_for(item["crt"])
        size = item_size.item_size(item)
        if size > item_size.MAX_ITEM_BYTES:
            largest = ", ".join(f"{name} {n:,} B" for name, n in item_size.largest_attributes(item))
            hint = "" if compress_over is not None else "; --compress-over BYTES would gzip large text attributes"
            raise RowRejected(f"item is {size:,} bytes, over DynamoDB's {item_size.MAX_ITEM_BYTES:,}; "
                              f"largest: {largest}{hint}", "item_too_large")
        if info is not None:
            info["size"] = size
            info["kept_as_text"] = kept_as_text
        return item

    def from_item(self, item: Mapping) -> dict:
        """The row values an item carries (full column names), decoded; absent -> None."""
        dat = item.get("dat") or {}
        row: dict = {self.id_column: _plain_id(dat.get("id"))}
        for attribute in self.attributes:
            value = dat.get(attribute.short, _ABSENT)
            if value is _ABSENT:
                row[attribute.column] = None
                continue
            if compression.is_compressed(value) or compression.is_compressed(getattr(value, "value", None)):
                kind, text = compression.decompress(getattr(value, "value", value))
                value = attribute.codec.encode(text) if kind == compression.JSON_TEXT else text
            row[attribute.column] = attribute.codec.decode(value)
        row[self.created] = from_epoch_seconds(item["crt"])
        if self.updated:
            row[self.updated] = from_epoch_seconds(item["upd"]) if "upd" in item else None
        if self.key_decoder is not None:
            row.update(self.key_decoder(item))
        return row

    def decoded_columns(self) -> set[str]:
        """The columns `from_item` gives back (keys that only a join could resolve are absent)."""
        columns = {self.id_column, self.created, *(a.column for a in self.attributes)}
        if self.updated:
            columns.add(self.updated)
        return columns | set(self.decoded_key_columns)

    @property
    def decoded_key_columns(self) -> tuple[str, ...]:
        return _DECODED_KEY_COLUMNS.get(self.tp, ())

    def is_expired(self, item: Mapping, now: int) -> bool:
        return self.ttl is not None and self.ttl.is_expired(item["ttl"], now)


@dataclass(frozen=True)
class Join:
    """LEFT JOIN done inside the range query; `columns` maps result alias -> joined column.

    A LEFT JOIN, so a row whose parent is missing is still read and dead-lettered with a
    reason instead of silently vanishing from an inner join.
    """

    table: str
    alias: str
    local_column: str
    remote_column: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class SourceSpec:
    table: str
    key: str
    key_is_integer: bool
    columns: tuple[str, ...]
    items: tuple[str, ...]
    joins: tuple[Join, ...] = ()
    excluded: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def selected_names(self) -> tuple[str, ...]:
        names = list(self.columns)
        for join in self.joins:
            names.extend(join.columns)
        return tuple(names)


# --- key builders, one per item type ---

def _plan_keys(row: Row) -> dict:
    return {"PK": k.plan_pk(row["id"]), "SK": k.META}


def _user_keys(row: Row) -> dict:
    user_pk = k.user_pk(row["id"])
    return {"PK": user_pk, "SK": k.META, "GSI1PK": k.email_gsi1pk(str(row["email"])), "GSI1SK": user_pk}


def _user_google_id_keys(row: Row) -> dict:
    user_pk = k.user_pk(row["id"])
    return {"PK": user_pk, "SK": k.GID, "GSI1PK": k.google_id_gsi1pk(str(row["google_id"])), "GSI1SK": user_pk}


def _problem_keys(row: Row) -> dict:
    return {"PK": k.problem_pk(str(row["platform"]), str(row["problem_id"])), "SK": k.META}


def _testcase_keys(row: Row) -> dict:
    if row.get("problem_platform") is None or row.get("problem_number") is None:
        raise RowRejected(f"test case {row['id']} references problem {row.get('problem_id')}, which does not exist",
                          "missing_parent")
    return {
        "PK": k.problem_pk(str(row["problem_platform"]), str(row["problem_number"])),
        "SK": k.testcase_sk(row["id"]),
    }


def _history_keys(row: Row) -> dict:
    user_id = row.get("user_id")
    timeline = k.timeline_sk(row["created_at"], row["id"])
    item = {
        "PK": k.history_pk(row["id"]),
        "SK": k.META,
        "GSI1PK": k.history_user_gsi1pk(user_id, row.get("user_identifier")),
        "GSI1SK": timeline,
    }
    if BOOLEAN.encode(row["is_code_public"]):
        item["GSI2PK"] = k.HISTORY_PUBLIC_GSI2PK
        item["GSI2SK"] = timeline
    return item


def _usage_keys(row: Row) -> dict:
    return {
        "PK": k.usage_pk(row["user_id"], row["created_at"]),
        "SK": k.usage_sk(str(row["action"]), row["created_at"], row["id"]),
    }


def _script_job_keys(row: Row) -> dict:
    return {"PK": k.script_job_pk(row["id"]), "SK": k.META}


def _extraction_job_keys(row: Row) -> dict:
    return {"PK": k.extraction_job_pk(row["id"]), "SK": k.META}


def _job_progress_keys(row: Row) -> dict:
    model = row.get("content_type_model")
    prefix = k.JOB_PK_PREFIX_BY_MODEL.get(model)  # type: ignore[arg-type]
    if prefix is None:
        raise RowRejected(
            f"job progress {row['id']} belongs to content type {row.get('content_type_id')} "
            f"(model {model!r}), which is not a migrated job type", "unknown_content_type"
        )
    return {"PK": k.join_key(prefix, int(row["object_id"])), "SK": k.job_progress_sk(row["created_at"], row["id"])}


def _task_result_keys(row: Row) -> dict:
    return {"PK": k.task_result_pk(str(row["task_id"])), "SK": k.META}


# --- source identity from keys (the inverse of the key builders, for deep verify) ---

def _int_after_prefix(key: str) -> tuple:
    return (int(k.split_key(key, 2)[1]),)


def _pk_id(pk: str, sk: str) -> tuple:
    return _int_after_prefix(pk)


def _sk_tail_id(pk: str, sk: str) -> tuple:
    return (int(sk.rsplit(k.SEPARATOR, 1)[1]),)


def _problem_of(pk: str) -> tuple[str, str]:
    """(platform, number) from a problem partition key `PROB#<platform>#<number>`."""
    _, platform, number = k.split_key(pk, 3)
    return platform, number


def _problem_identity(pk: str, sk: str) -> tuple:
    return _problem_of(pk)


def _testcase_identity(pk: str, sk: str) -> tuple:
    return _int_after_prefix(sk)


def _task_identity(pk: str, sk: str) -> tuple:
    return (k.split_key(pk, 2)[1],)


# --- columns that live only in keys, read back (ItemSpec.from_item) ---

_MODEL_BY_JOB_PREFIX = {prefix: model for model, prefix in k.JOB_PK_PREFIX_BY_MODEL.items()}


def _google_id_from_keys(item: Mapping) -> dict:
    return {"google_id": k.split_key(item["GSI1PK"], 2)[1]}


def _problem_from_keys(item: Mapping) -> dict:
    return dict(zip(("platform", "problem_id"), _problem_of(item["PK"])))


def _testcase_problem_from_keys(item: Mapping) -> dict:
    return dict(zip(("problem_platform", "problem_number"), _problem_of(item["PK"])))


def _usage_user_from_keys(item: Mapping) -> dict:
    return {"user_id": int(k.split_key(item["PK"], 4)[1])}


def _job_from_keys(item: Mapping) -> dict:
    prefix, object_id = k.split_key(item["PK"], 2)
    return {"object_id": int(object_id), "content_type_model": _MODEL_BY_JOB_PREFIX[prefix]}


_DECODED_KEY_COLUMNS = {
    "usr_gid": ("google_id",),
    "prob": ("platform", "problem_id"),
    "tc": ("problem_platform", "problem_number"),
    "ulog": ("user_id",),
    "jph": ("object_id", "content_type_model"),
}


def _attrs(*triples: tuple[str, str, object]) -> tuple[Attribute, ...]:
    return tuple(Attribute(short, column, codec) for short, column, codec in triples)


USAGE_TTL = TtlRule(days=90)
JOB_PROGRESS_TTL = TtlRule(days=30)
TASK_RESULT_TTL = TtlRule(days=30)

ITEM_SPECS: dict[str, ItemSpec] = {
    spec.tp: spec
    for spec in (
        ItemSpec(
            tp="plan", source="subscription_plans", key_builder=_plan_keys, identity_from_key=_pk_id, updated="updated_at",
            attributes=_attrs(
                ("nm", "name", TEXT), ("dsc", "description", TEXT),
                ("mh", "max_hints_per_day", INTEGER), ("me", "max_executions_per_day", INTEGER),
                ("mp", "max_problems", INTEGER), ("cva", "can_view_all_problems", BOOLEAN),
                ("crp", "can_register_problems", BOOLEAN), ("act", "is_active", BOOLEAN),
            ),
        ),
        ItemSpec(
            tp="usr", source="users", key_builder=_user_keys, identity_from_key=_pk_id, updated="updated_at",
            required_columns=("email",),
            attributes=_attrs(
                ("em", "email", TEXT), ("nm", "name", TEXT), ("pic", "picture", TEXT),
                ("gid", "google_id", TEXT), ("plan", "subscription_plan_id", INTEGER),
                ("pdd", "subscription_plan_id_dynamodb", INTEGER), ("act", "is_active", BOOLEAN),
                ("stf", "is_staff", BOOLEAN), ("su", "is_superuser", BOOLEAN),
                ("pwd", "password", TEXT), ("lli", "last_login", DATETIME),
            ),
        ),
        ItemSpec(
            tp="usr_gid", source="users", key_builder=_user_google_id_keys, identity_from_key=_pk_id, updated="updated_at",
            key_columns=("google_id",), only_when_present="google_id", attributes=(),
            key_decoder=_google_id_from_keys,
        ),
        ItemSpec(
            tp="prob", source="problems", key_builder=_problem_keys,
            identity_columns=("platform", "problem_id"), identity_from_key=_problem_identity,
            key_decoder=_problem_from_keys,
            key_columns=("platform", "problem_id"), required_columns=("platform", "problem_id"),
            attributes=_attrs(
                ("tit", "title", TEXT), ("url", "problem_url", TEXT), ("tag", "tags", JSON),
                ("sol", "solution_code", TEXT), ("lng", "language", TEXT), ("con", "constraints", TEXT),
                ("cmp", "is_completed", BOOLEAN), ("del", "is_deleted", BOOLEAN),
                ("ddt", "deleted_at", DATETIME), ("drs", "deleted_reason", TEXT),
                ("met", "metadata", JSON), ("nrv", "needs_review", BOOLEAN),
                ("rvn", "review_notes", TEXT), ("vrf", "verified_by_admin", BOOLEAN),
                ("rvt", "reviewed_at", DATETIME),
            ),
        ),
        ItemSpec(
            tp="tc", source="test_cases", key_builder=_testcase_keys, identity_from_key=_testcase_identity,
            key_decoder=_testcase_problem_from_keys, key_columns=("problem_id",),
            attributes=_attrs(("inp", "input", TEXT), ("out", "output", TEXT)),
        ),
        ItemSpec(
            tp="hist", source="search_history", key_builder=_history_keys, identity_from_key=_pk_id,
            required_columns=("is_code_public",),
            attributes=_attrs(
                ("uid", "user_id", INTEGER), ("uidt", "user_identifier", TEXT),
                ("pid", "problem_id", INTEGER), ("plt", "platform", TEXT),
                ("pno", "problem_number", TEXT), ("ptt", "problem_title", TEXT),
                ("lng", "language", TEXT), ("cod", "code", TEXT), ("res", "result_summary", JSON),
                ("psc", "passed_count", INTEGER), ("fsc", "failed_count", INTEGER),
                ("toc", "total_count", INTEGER), ("pub", "is_code_public", BOOLEAN),
                ("trs", "test_results", JSON), ("hnt", "hints", JSON), ("met", "metadata", JSON),
            ),
        ),
        ItemSpec(
            tp="ulog", source="usage_logs", key_builder=_usage_keys, identity_from_key=_sk_tail_id,
            key_decoder=_usage_user_from_keys, ttl=USAGE_TTL,
            key_columns=("user_id",), required_columns=("user_id", "action"),
            attributes=_attrs(("act", "action", TEXT), ("pid", "problem_id", INTEGER), ("met", "metadata", JSON)),
        ),
        ItemSpec(
            tp="sgj", source="script_generation_jobs", key_builder=_script_job_keys,
            identity_from_key=_pk_id, updated="updated_at",
            attributes=_attrs(
                ("plt", "platform", TEXT), ("pno", "problem_id", TEXT), ("tit", "title", TEXT),
                ("url", "problem_url", TEXT), ("tag", "tags", JSON), ("sol", "solution_code", TEXT),
                ("lng", "language", TEXT), ("con", "constraints", TEXT), ("gen", "generator_code", TEXT),
                ("sts", "status", TEXT), ("tid", "celery_task_id", TEXT), ("err", "error_message", TEXT),
            ),
        ),
        ItemSpec(
            tp="pej", source="problem_extraction_jobs", key_builder=_extraction_job_keys,
            identity_from_key=_pk_id, updated="updated_at",
            attributes=_attrs(
                ("plt", "platform", TEXT), ("pno", "problem_id", TEXT), ("url", "problem_url", TEXT),
                ("pidt", "problem_identifier", TEXT), ("sts", "status", TEXT),
                ("tid", "celery_task_id", TEXT), ("err", "error_message", TEXT),
            ),
        ),
        ItemSpec(
            tp="jph", source="job_progress_history", key_builder=_job_progress_keys,
            identity_from_key=_sk_tail_id, ttl=JOB_PROGRESS_TTL, key_decoder=_job_from_keys,
            key_columns=("content_type_id", "object_id"), required_columns=("object_id",),
            attributes=_attrs(("stp", "step", TEXT), ("msg", "message", TEXT), ("sts", "status", TEXT)),
        ),
        ItemSpec(
            tp="tres", source="task_results", key_builder=_task_result_keys, id_column="task_id",
            identity_columns=("task_id",), identity_from_key=_task_identity,
            updated="updated_at", ttl=TASK_RESULT_TTL,
            attributes=_attrs(("sts", "status", TEXT), ("res", "result", JSON), ("trc", "traceback", TEXT)),
        ),
    )
}

SOURCE_SPECS: dict[str, SourceSpec] = {
    spec.table: spec
    for spec in (
        SourceSpec(
            table="subscription_plans", key="id", key_is_integer=True, items=("plan",),
            columns=("id", "name", "description", "max_hints_per_day", "max_executions_per_day",
                     "max_problems", "can_view_all_problems", "can_register_problems", "is_active",
                     "created_at", "updated_at"),
        ),
        SourceSpec(
            table="users", key="id", key_is_integer=True, items=("usr", "usr_gid"),
            columns=("id", "password", "last_login", "is_superuser", "email", "name", "picture",
                     "google_id", "is_active", "is_staff", "created_at", "updated_at",
                     "subscription_plan_id", "subscription_plan_id_dynamodb"),
        ),
        SourceSpec(
            table="problems", key="id", key_is_integer=True, items=("prob",),
            columns=("id", "platform", "problem_id", "title", "problem_url", "tags", "solution_code",
                     "language", "constraints", "is_completed", "is_deleted", "deleted_at",
                     "deleted_reason", "metadata", "needs_review", "review_notes",
                     "verified_by_admin", "reviewed_at", "created_at"),
        ),
        SourceSpec(
            table="test_cases", key="id", key_is_integer=True, items=("tc",),
            columns=("id", "problem_id", "input", "output", "created_at"),
            joins=(Join("problems", "p", "problem_id", "id",
                        MappingProxyType({"problem_platform": "platform", "problem_number": "problem_id"})),),
        ),
        SourceSpec(
            table="search_history", key="id", key_is_integer=True, items=("hist",),
            columns=("id", "user_id", "user_identifier", "problem_id", "platform", "problem_number",
                     "problem_title", "language", "code", "result_summary", "passed_count",
                     "failed_count", "total_count", "is_code_public", "test_results", "hints",
                     "metadata", "created_at"),
        ),
        SourceSpec(
            table="usage_logs", key="id", key_is_integer=True, items=("ulog",),
            columns=("id", "user_id", "action", "problem_id", "metadata", "created_at"),
        ),
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
                        MappingProxyType({"content_type_model": "model"})),),
        ),
        SourceSpec(
            table="task_results", key="task_id", key_is_integer=False, items=("tres",),
            columns=("task_id", "status", "result", "traceback", "created_at", "updated_at"),
        ),
    )
}

# The `--entity` names of the CLI and the original migration guide -> source tables.
ENTITY_GROUPS: dict[str, tuple[str, ...]] = {
    "plans": ("subscription_plans",),
    "users": ("users",),
    "problems": ("problems", "test_cases"),
    "history": ("search_history",),
    "usage": ("usage_logs",),
    "jobs": ("script_generation_jobs", "problem_extraction_jobs", "job_progress_history"),
    "tasks": ("task_results",),
}


def sources_for(entities: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Source tables for a comma-separated entity list ('all' = every entity), in a stable order."""
    names = entities.split(",") if isinstance(entities, str) else list(entities)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ValueError("no entity given")
    if "all" in names:
        names = list(ENTITY_GROUPS)
    unknown = [name for name in names if name not in ENTITY_GROUPS]
    if unknown:
        raise ValueError(f"unknown entity {', '.join(unknown)}; choose from all, {', '.join(ENTITY_GROUPS)}")
    tables: list[str] = []
    for name in ENTITY_GROUPS:
        if name in names:
            tables.extend(ENTITY_GROUPS[name])
    return tuple(tables)


def item_types_for(tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(tp for table in tables for tp in SOURCE_SPECS[table].items)


def identity_text(values: tuple) -> str:
    """A row identity as text, the same text `identity_sql` builds in MySQL."""
    return k.SEPARATOR.join(str(v) for v in values)


def identity_sql(spec: ItemSpec, alias: str = "t") -> str:
    parts = [f"{alias}.`{column}`" for column in spec.identity_columns]
    return "CONCAT(" + ", '#', ".join(parts) + ")"


def entity_of_item_type(tp: str) -> str:
    source = ITEM_SPECS[tp].source
    return next(name for name, tables in ENTITY_GROUPS.items() if source in tables)


def schema_drift(table: str, live_columns: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(unmapped, missing) for one source table against the live schema.

    `live_columns` maps table -> its column names now (the table and the tables it joins).
    Unmapped: live columns the specs neither map nor exclude. Missing: columns the specs
    read that the live table no longer has.
    """
    source = SOURCE_SPECS[table]
    live = {c.lower() for c in live_columns.get(table, [])}
    known = {c.lower() for c in source.columns} | {c.lower() for c in source.excluded}
    unmapped = [f"{table}.{c}" for c in live_columns.get(table, []) if c.lower() not in known]
    missing = [f"{table}.{c}" for c in source.columns if c.lower() not in live]
    for join in source.joins:
        joined = {c.lower() for c in live_columns.get(join.table, [])}
        for column in (join.remote_column, *join.columns.values()):
            if column.lower() not in joined:
                missing.append(f"{join.table}.{column}")
    return unmapped, missing
