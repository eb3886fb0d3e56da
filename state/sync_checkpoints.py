"""Sync's state in the target table (no Beam here): a checkpoint per source table, and a lease.

- A checkpoint says up to where a table's changes are in the table: a binlog position (and the
  GTID beside it) and, for `--changes watermark`, the time and highest id read. It is written
  with a condition on the version it replaces, so two writers can never both advance it.
- The lease (state/lease.py) makes sync runs, and cutover, take turns. Advancing checkpoints
  and holding the lease are one transaction: a run that lost its lease (it stalled past the
  expiry and another took over) cannot advance anything.
- The last run's outcome, for status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.pages import query_all
from connectors.errors import RunStopped
from connectors.retry import RetryPolicy
from state.lease import Lease, write_while_held
from schema import state_items as state


@dataclass(frozen=True)
class Checkpoint:
    table: str
    binlog: dict | None = None  # {"file", "pos", "gtid"?}
    watermark: dict | None = None  # {"since": whole epoch seconds, "max_id": int | None}
    version: int = 0
    updated: int = 0
    by: str = ""

    def item(self) -> dict:
        item = {**state.checkpoint_key(self.table), "tp": state.CHECKPOINT_TP, "ver": self.version,
                "upd": self.updated, "by": self.by}
        if self.binlog:
            item["bin"] = dict(self.binlog)
        if self.watermark:
            item["wm"] = {k: v for k, v in self.watermark.items() if v is not None}
        return item

    @classmethod
    def from_item(cls, item: dict) -> "Checkpoint":
        binlog = {k: (int(v) if k == "pos" else str(v)) for k, v in item["bin"].items()} if "bin" in item else None
        watermark = None
        if "wm" in item:
            watermark = {"since": int(item["wm"]["since"]),
                         "max_id": int(item["wm"]["max_id"]) if "max_id" in item["wm"] else None}
        return cls(state.parse_checkpoint_sk(item["SK"]), binlog, watermark, int(item["ver"]), int(item["upd"]),
                   str(item.get("by", "")))


@dataclass
class SyncState:
    """Checkpoints and lease through boto3's Table resource (its client for transactions)."""

    config: DynamoDBConfig
    table: object = field(default=None)

    def __post_init__(self):
        if self.table is None:
            self.table = clients.table_resource(self.config)
        self.lease = Lease(self.table, state.lease_key(), state.LEASE_TP)

    # --- checkpoints ---

    def checkpoints(self) -> dict[str, Checkpoint]:
        query = {"KeyConditionExpression": Key("PK").eq(state.sync_partition())
                 & Key("SK").begins_with(state.checkpoint_prefix()), "ConsistentRead": True}
        checkpoints = map(Checkpoint.from_item, query_all(lambda request: self.table.query(**request), query))
        return {checkpoint.table: checkpoint for checkpoint in checkpoints}

    def record_migrated(self, tables: tuple[str, ...], binlog: dict | None, watermarks: dict[str, dict],
                        by: str, policy: RetryPolicy = RetryPolicy(max_attempts=5)) -> None:
        """A finished migrate's start as the checkpoint of each of its tables (no lease: migrate runs
        alone). Each is written on the version read; a race with another writer reads it again."""
        for table in tables:
            def replace() -> None:
                current = self.checkpoints().get(table)
                updated = Checkpoint(table, binlog, watermarks.get(table), (current.version if current else 0) + 1,
                                     int(time.time()), by)
                self.table.put_item(Item=updated.item(), **_replacing(current))
            try:
                policy.call(replace, _lost_a_race)
            except ClientError as error:
                if not _lost_a_race(error):
                    raise
                raise RunStopped(f"the sync checkpoint of {table} kept changing under migrate; run it again") \
                    from None

    def advance(self, owner: str, updates: list[tuple[Checkpoint | None, Checkpoint]]) -> None:
        """Replace checkpoints (each only if it is still the version read) while holding the lease."""
        write_while_held(self.table, self.lease, owner, [
            {"Put": {"TableName": self.table.name, "Item": updated.item(), **_replacing(current)}}
            for current, updated in updates])

    def reseat(self, owner: str, tables: tuple[str, ...], binlog: dict, by: str) -> None:
        """Every table's checkpoint set to `binlog` (a rollback, a clean full repair: the table
        equals the source there), while holding the lease."""
        found = self.checkpoints()
        now = int(time.time())
        self.advance(owner, [(found.get(t), Checkpoint(t, binlog, (found[t].watermark if t in found else None),
                                                        (found[t].version if t in found else 0) + 1, now, by))
                             for t in tables])

    # --- the last run ---

    def record_run(self, outcome: dict) -> None:
        """The outcome of the run that just ended (status shows it); written whatever the outcome."""
        self.table.put_item(Item={**state.sync_run_key(), "tp": state.SYNC_RUN_TP, **outcome})

    def last_run(self) -> dict | None:
        return self.table.get_item(Key=state.sync_run_key(), ConsistentRead=True).get("Item")


def _lost_a_race(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _replacing(current: Checkpoint | None) -> dict:
    """The condition that the checkpoint is still `current` (or still absent)."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionExpression": "#ver = :ver", "ExpressionAttributeNames": {"#ver": "ver"},
            "ExpressionAttributeValues": {":ver": current.version}}
