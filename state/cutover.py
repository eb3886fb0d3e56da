"""The cut-over and what verify proved, kept in the table (no Beam here).

- The cut-over record: written once by `cutover` with one conditional write (only where there
  is none, or the last one was rolled back), in one transaction with sync's lease; `rollback`
  turns it to rolled_back the same way. While it says cut_over, sync and migrate refuse to
  write: the application writes to the table now, and reverse sync carries that to MySQL.
- What each clean `verify --deep` proved, per source table: when it ran, its sample rate, and
  the binlog position the table was consistent with (taken before the scan began). cutover
  verifies only what changed since the last clean full verify of every table.
"""

from __future__ import annotations

from dataclasses import dataclass

from boto3.dynamodb.conditions import Key

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.pages import query_all
from schema import state_items as state
from state.lease import Lease, write_while_held

CUT_OVER = "cut_over"
ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Cutover:
    status: str
    at: int
    binlog: dict | None
    stream_arn: str | None
    freeze_seconds: float
    version: int
    rolled_back_at: int | None = None
    rollback_binlog: dict | None = None
    by: str = ""

    @property
    def in_force(self) -> bool:
        return self.status == CUT_OVER

    def item(self) -> dict:
        item = {**state.cutover_key(), "tp": state.CUTOVER_TP, "sts": self.status, "at": self.at,
                "frz": str(round(self.freeze_seconds, 3)), "ver": self.version, "by": self.by}
        if self.binlog:
            item["bin"] = state.boundaries_text(self.binlog)
        if self.stream_arn:
            item["arn"] = self.stream_arn
        if self.rolled_back_at is not None:
            item["rb_at"] = self.rolled_back_at
        if self.rollback_binlog:
            item["rb_bin"] = state.boundaries_text(self.rollback_binlog)
        return item

    @classmethod
    def from_item(cls, item: dict) -> "Cutover":
        return cls(status=item["sts"], at=int(item["at"]),
                   binlog=state.boundaries_from_text(item["bin"]) if "bin" in item else None,
                   stream_arn=item.get("arn"), freeze_seconds=float(item.get("frz", 0)), version=int(item["ver"]),
                   rolled_back_at=int(item["rb_at"]) if "rb_at" in item else None,
                   rollback_binlog=state.boundaries_from_text(item["rb_bin"]) if "rb_bin" in item else None,
                   by=str(item.get("by", "")))


@dataclass(frozen=True)
class Verified:
    table: str
    at: int
    binlog: dict | None
    sample_rate: float
    run: str

    @property
    def full(self) -> bool:
        return self.sample_rate >= 1

    def item(self) -> dict:
        item = {**state.verified_key(self.table), "tp": state.VERIFIED_TP, "at": self.at, "rate": str(self.sample_rate),
                "run": self.run}
        if self.binlog:
            item["bin"] = state.boundaries_text(self.binlog)
        return item

    @classmethod
    def from_item(cls, item: dict) -> "Verified":
        return cls(table=item["SK"].split("#", 1)[1], at=int(item["at"]),
                   binlog=state.boundaries_from_text(item["bin"]) if "bin" in item else None,
                   sample_rate=float(item["rate"]), run=str(item.get("run", "")))


class CutoverStore:
    def __init__(self, config: DynamoDBConfig, table=None):
        self.table = table if table is not None else clients.table_resource(config)

    def current(self) -> Cutover | None:
        item = self.table.get_item(Key=state.cutover_key(), ConsistentRead=True).get("Item")
        return Cutover.from_item(item) if item else None

    def record(self, lease: Lease, owner: str, cutover: Cutover, replacing: Cutover | None) -> None:
        """Write `cutover` if the record is still `replacing` (absent: none yet), while `owner`
        holds `lease`: two cut-overs, or a cut-over and a rollback, can never both succeed."""
        if replacing is None:
            condition = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {"ConditionExpression": "#ver = :ver", "ExpressionAttributeNames": {"#ver": "ver"},
                         "ExpressionAttributeValues": {":ver": replacing.version}}
        write_while_held(self.table, lease, owner, [{"Put": {"TableName": self.table.name, "Item": cutover.item(),
                                                             **condition}}])

    # --- what verify proved ---

    def record_verified(self, proved: list[Verified]) -> None:
        with self.table.batch_writer() as batch:
            for verified in proved:
                batch.put_item(Item=verified.item())

    def verified(self) -> dict[str, Verified]:
        query = {"KeyConditionExpression": Key("PK").eq(state.verified_partition()), "ConsistentRead": True}
        return {v.table: v for v in map(Verified.from_item, query_all(lambda r: self.table.query(**r), query))}
