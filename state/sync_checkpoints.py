"""Sync's state in the target table (no Beam here): a checkpoint per source table, and a lease.

- A checkpoint says up to where a table's changes are in the table: a binlog position (and the
  GTID beside it) and, for `--changes watermark`, the time and highest id read. It is written
  with a condition on the version it replaces, so two writers can never both advance it.
- The lease makes sync runs take turns: taken with a conditional put (free, expired, or ours),
  renewed while the run works, released at the end. A run that finds it held does nothing.
  Advancing checkpoints and holding the lease are one transaction: a run that lost its lease
  (it stalled past the expiry and another took over) cannot advance anything.
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
from schema import state_items as state


class LeaseLost(RunStopped):
    """The run no longer holds the lease; it must not advance any checkpoint."""


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
        client = self.table.meta.client
        actions = [{"ConditionCheck": {
            "TableName": self.table.name, "Key": state.lease_key(),
            "ConditionExpression": "#own = :me AND #exp > :now",
            "ExpressionAttributeNames": {"#own": "own", "#exp": "exp"},
            "ExpressionAttributeValues": {":me": owner, ":now": int(time.time())}}}]
        for current, updated in updates:
            actions.append({"Put": {"TableName": self.table.name, "Item": updated.item(), **_replacing(current)}})
        try:
            client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise LeaseLost("this run lost its lease (it expired and another run took it); nothing was "
                                "advanced") from None
            raise LeaseLost("a checkpoint changed while this run worked (another writer); nothing was advanced") \
                from None

    # --- the lease ---

    def take_lease(self, owner: str, seconds: int) -> dict | None:
        """None when taken; else the lease item that holds it."""
        now = int(time.time())
        try:
            self.table.put_item(
                Item={**state.lease_key(), "tp": state.LEASE_TP, "own": owner, "exp": now + seconds, "crt": now},
                ConditionExpression="attribute_not_exists(PK) OR #exp < :now OR #own = :me",
                ExpressionAttributeNames={"#exp": "exp", "#own": "own"},
                ExpressionAttributeValues={":now": now, ":me": owner})
            return None
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return self.table.get_item(Key=state.lease_key(), ConsistentRead=True).get("Item") or {}

    def renew_lease(self, owner: str, seconds: int) -> bool:
        try:
            self.table.update_item(Key=state.lease_key(), UpdateExpression="SET #exp = :exp",
                                   ConditionExpression="#own = :me",
                                   ExpressionAttributeNames={"#exp": "exp", "#own": "own"},
                                   ExpressionAttributeValues={":exp": int(time.time()) + seconds, ":me": owner})
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False

    def release_lease(self, owner: str) -> None:
        try:
            self.table.delete_item(Key=state.lease_key(), ConditionExpression="#own = :me",
                                   ExpressionAttributeNames={"#own": "own"}, ExpressionAttributeValues={":me": owner})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def _lost_a_race(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _replacing(current: Checkpoint | None) -> dict:
    """The condition that the checkpoint is still `current` (or still absent)."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionExpression": "#ver = :ver", "ExpressionAttributeNames": {"#ver": "ver"},
            "ExpressionAttributeValues": {":ver": current.version}}
