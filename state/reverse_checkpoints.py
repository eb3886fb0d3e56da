"""Reverse sync's state in the table (no Beam here): where each stream shard is read to, a lease
that makes reverse-sync runs (and rollback) take turns, and the last run's outcome.

A shard's checkpoint is the sequence number of the last record whose change is in MySQL,
written with a condition on the version it replaces and in one transaction with the lease:
a run that lost its lease cannot move a checkpoint, and neither can a second writer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from boto3.dynamodb.conditions import Key

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.pages import query_all
from schema import state_items as state
from state.lease import Lease, write_while_held


@dataclass(frozen=True)
class ShardCheckpoint:
    shard_id: str
    stream_arn: str
    sequence: str | None  # the last record applied; None: nothing of this shard applied yet
    closed: bool = False  # the shard is closed and read to its end: nothing more will come
    version: int = 0
    updated: int = 0

    def item(self) -> dict:
        item = {**state.reverse_checkpoint_key(self.shard_id), "tp": state.REVERSE_CHECKPOINT_TP,
                "arn": self.stream_arn, "end": self.closed, "ver": self.version, "upd": self.updated}
        if self.sequence:
            item["seq"] = self.sequence
        return item

    @classmethod
    def from_item(cls, item: dict) -> "ShardCheckpoint":
        return cls(item["SK"].split("#", 1)[1], item["arn"], item.get("seq"), bool(item.get("end")),
                   int(item["ver"]), int(item.get("upd", 0)))


class ReverseState:
    def __init__(self, config: DynamoDBConfig, table=None):
        self.table = table if table is not None else clients.table_resource(config)
        self.lease = Lease(self.table, state.reverse_lease_key(), state.REVERSE_LEASE_TP)

    def checkpoints(self, stream_arn: str | None = None) -> dict[str, ShardCheckpoint]:
        """shard id -> checkpoint (of `stream_arn` only, when given)."""
        query = {"KeyConditionExpression": Key("PK").eq(state.reverse_partition())
                 & Key("SK").begins_with(state.reverse_checkpoint_prefix()), "ConsistentRead": True}
        found = map(ShardCheckpoint.from_item, query_all(lambda r: self.table.query(**r), query))
        return {c.shard_id: c for c in found if stream_arn is None or c.stream_arn == stream_arn}

    def advance(self, owner: str, current: ShardCheckpoint | None, sequence: str | None, closed: bool,
                stream_arn: str, shard_id: str) -> ShardCheckpoint:
        updated = ShardCheckpoint(shard_id, stream_arn, sequence, closed, (current.version if current else 0) + 1,
                                  int(time.time()))
        if current is None:
            condition = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {"ConditionExpression": "#ver = :ver", "ExpressionAttributeNames": {"#ver": "ver"},
                         "ExpressionAttributeValues": {":ver": current.version}}
        write_while_held(self.table, self.lease, owner, [{"Put": {"TableName": self.table.name,
                                                                  "Item": updated.item(), **condition}}])
        return updated

    def record_run(self, outcome: dict) -> None:
        self.table.put_item(Item={**state.reverse_run_key(), "tp": state.REVERSE_RUN_TP, **outcome})

    def last_run(self) -> dict | None:
        return self.table.get_item(Key=state.reverse_run_key(), ConsistentRead=True).get("Item")
