"""The tool's own state, kept in the target table so that a scheduled or distributed run needs
no other store: migration runs (what `migrate --resume` continues); sync's checkpoint per
source table, its lease and its last run; what each clean deep verify proved; the cut-over;
reverse sync's checkpoint per stream shard, its lease and its last run. Verify, repair and
reverse sync never count or touch these items; `tp` says they are the tool's.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets

from schema.keys import join_key
from schema.spec import ExtraItemType

RUN_TP = "mig_run"
RUN_RANGES_TP = "mig_ranges"
RANGE_DONE_TP = "mig_done"
CHECKPOINT_TP = "sync_ckpt"
LEASE_TP = "sync_lease"
SYNC_RUN_TP = "sync_run"
VERIFIED_TP = "verified"
CUTOVER_TP = "cutover"
REVERSE_CHECKPOINT_TP = "rev_ckpt"
REVERSE_LEASE_TP = "rev_lease"
REVERSE_RUN_TP = "rev_run"
STATE_TYPES = frozenset({RUN_TP, RUN_RANGES_TP, RANGE_DONE_TP, CHECKPOINT_TP, LEASE_TP, SYNC_RUN_TP, VERIFIED_TP,
                         CUTOVER_TP, REVERSE_CHECKPOINT_TP, REVERSE_LEASE_TP, REVERSE_RUN_TP})

_RUNS = "MIGRATE"
_RUN = "RUN"
_RANGES = "RANGES"
_DONE = "DONE"
_SYNC = "SYNC"
_CHECKPOINT = "CHECKPOINT"
_LEASE = "LEASE"
_LAST_RUN = "LAST_RUN"
_VERIFY = "VERIFY"
_TABLE = "TABLE"
_CUTOVER = "CUTOVER"
_STATE = "STATE"
_REVERSE = "REVERSE"
_SHARD = "SHARD"

RUNNING = "running"
FINISHED = "finished"


def utc_stamp(epoch_seconds: float) -> str:
    """`20261126T130559Z`: the time in run ids and file names, sortable, without separators."""
    return _dt.datetime.fromtimestamp(epoch_seconds, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def new_run_id(now: int, prefix: str = "") -> str:
    """Sortable by start time, unique: `20261126T130559Z-3f9a1c` (`sync-20261126T130559Z-3f9a1c`)."""
    return f"{prefix}{utc_stamp(now)}-{secrets.token_hex(3)}"


def run_key(run_id: str) -> dict:
    """Every run's record lives in one partition, newest last: the latest run is one Query."""
    return {"PK": _RUNS, "SK": run_id}


def runs_partition() -> str:
    return _RUNS


def run_ranges_key(run_id: str, table: str) -> dict:
    return {"PK": run_partition(run_id), "SK": join_key(_RANGES, table)}


def range_done_key(run_id: str, table: str, index: int) -> dict:
    return {"PK": run_partition(run_id), "SK": join_key(_DONE, table, f"{index:06d}")}


def run_partition(run_id: str) -> str:
    return join_key(_RUNS, _RUN, run_id)


def done_prefix() -> str:
    return _DONE + "#"


def parse_done_sk(sk: str) -> tuple[str, int]:
    """(table, range index) of a range-done item's sort key."""
    _, table, index = sk.split("#", 2)
    return table, int(index)


def sync_partition() -> str:
    return _SYNC


def checkpoint_key(table: str) -> dict:
    return {"PK": _SYNC, "SK": join_key(_CHECKPOINT, table)}


def checkpoint_prefix() -> str:
    return _CHECKPOINT + "#"


def parse_checkpoint_sk(sk: str) -> str:
    return sk.split("#", 1)[1]


def lease_key() -> dict:
    return {"PK": _SYNC, "SK": _LEASE}


def sync_run_key() -> dict:
    """The last sync run's outcome (status shows it)."""
    return {"PK": _SYNC, "SK": _LAST_RUN}


def verified_partition() -> str:
    return _VERIFY


def verified_key(table: str) -> dict:
    """What the last clean deep verify of a table proved, and from which binlog position."""
    return {"PK": _VERIFY, "SK": join_key(_TABLE, table)}


def cutover_key() -> dict:
    return {"PK": _CUTOVER, "SK": _STATE}


def reverse_partition() -> str:
    return _REVERSE


def reverse_checkpoint_key(shard_id: str) -> dict:
    return {"PK": _REVERSE, "SK": join_key(_SHARD, shard_id)}


def reverse_checkpoint_prefix() -> str:
    return _SHARD + "#"


def reverse_lease_key() -> dict:
    return {"PK": _REVERSE, "SK": _LEASE}


def reverse_run_key() -> dict:
    return {"PK": _REVERSE, "SK": _LAST_RUN}


def boundaries_text(boundaries: list | dict) -> str:
    """Key-range boundaries (ints or strings), or another small record, as exact JSON text."""
    return json.dumps(boundaries, ensure_ascii=False, separators=(",", ":"))


def boundaries_from_text(text: str) -> list:
    return json.loads(text)


def range_done_item(run_id: str, table: str, index: int, rows: int, items: int) -> dict:
    return {**range_done_key(run_id, table, index), "tp": RANGE_DONE_TP, "rows": rows, "items": items}


STATE_ITEM_TYPES = (
    ExtraItemType(RUN_TP, {"PK": "MIGRATE", "SK": "<run id>"},
                  {"sts": "running or finished", "tbl": "its source tables", "now": "the TTL instant it maps with",
                   "cmp": "its --compress-over", "rpr": "rows per range", "crt/fin": "start and finish",
                   "bin/wm": "the source's binlog position and watermarks at its start (JSON): sync's checkpoint"},
                  "migrate, when a run starts and when it finishes"),
    ExtraItemType(RUN_RANGES_TP, {"PK": "MIGRATE#RUN#<run id>", "SK": "RANGES#<table>"},
                  {"bnd": "the key-range boundaries the run reads (JSON), so a resumed run reads the same ranges"},
                  "migrate, when a run starts"),
    ExtraItemType(RANGE_DONE_TP, {"PK": "MIGRATE#RUN#<run id>", "SK": "DONE#<table>#<range:6>"},
                  {"rows": "rows read", "items": "items written"},
                  "the writer, once every item of a range is written and none was dead-lettered"),
    ExtraItemType(CHECKPOINT_TP, {"PK": "SYNC", "SK": "CHECKPOINT#<table>"},
                  {"bin": "binlog position (file, pos, gtid) the table's items are in step with",
                   "wm": "for --changes watermark: the time and highest id read", "ver": "version (each write is "
                   "conditional on the one it replaces)", "upd/by": "when and by which run"},
                  "migrate, when a run finishes (its start position); sync, when a window is written"),
    ExtraItemType(LEASE_TP, {"PK": "SYNC", "SK": "LEASE"},
                  {"own": "the run holding it", "exp": "when it expires (epoch seconds)"},
                  "sync and cutover: taken with a conditional put, renewed while it works, released at the end"),
    ExtraItemType(SYNC_RUN_TP, {"PK": "SYNC", "SK": "LAST_RUN"},
                  {"run": "its run id", "ok": "whether it wrote every change of its window",
                   "exit": "its exit code", "crt/fin": "start and end", "win": "the window's end position (JSON)",
                   "evt": "row changes applied", "dl": "dead letters", "lag": "seconds behind at its end"},
                  "sync, at the end of every run (status reads it)"),
    ExtraItemType(VERIFIED_TP, {"PK": "VERIFY", "SK": "TABLE#<table>"},
                  {"at": "when the verify started", "bin": "the binlog position it was consistent with (JSON)",
                   "rate": "its sample rate (1 = every row)", "run": "the run that proved it"},
                  "verify --deep, when every item of the table was ok (cutover starts from it)"),
    ExtraItemType(CUTOVER_TP, {"PK": "CUTOVER", "SK": "STATE"},
                  {"sts": "cut_over or rolled_back", "at": "when", "bin": "MySQL's binlog position then (JSON)",
                   "arn": "the table's stream", "frz": "seconds the freeze took inside the command",
                   "ver": "version (each write conditional on the one it replaces)"},
                  "cutover (one conditional write) and rollback"),
    ExtraItemType(REVERSE_CHECKPOINT_TP, {"PK": "REVERSE", "SK": "SHARD#<shard id>"},
                  {"arn": "the stream", "seq": "the last sequence number applied to MySQL",
                   "end": "whether the shard is closed and read to its end", "ver": "version"},
                  "reverse-sync, when a shard's records are in MySQL"),
    ExtraItemType(REVERSE_LEASE_TP, {"PK": "REVERSE", "SK": "LEASE"},
                  {"own": "the run holding it", "exp": "when it expires (epoch seconds)"},
                  "reverse-sync and rollback, as sync's lease"),
    ExtraItemType(REVERSE_RUN_TP, {"PK": "REVERSE", "SK": "LAST_RUN"},
                  {"run": "its run id", "ok": "whether every record was applied", "exit": "its exit code",
                   "crt/fin": "start and end", "rec": "records applied", "dl": "dead letters",
                   "last": "creation time of the last record applied"},
                  "reverse-sync, at the end of every run (status reads it)"),
)
