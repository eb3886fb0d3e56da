"""Migration runs kept in the target table (no Beam here): what `migrate --resume` continues.

A run records, when it starts, its options that decide what items look like (source tables,
the TTL instant, --compress-over) and the key ranges it reads; the writer records each range
once all of its items are written (schema/state_items.py). A resumed run reads the ranges
not recorded as done, with the same options.
"""

from __future__ import annotations

from dataclasses import dataclass

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.pages import pages, query_all
from schema import state_items as state


class RunStateError(RuntimeError):
    """A run cannot be started or resumed as asked; the message says why."""


@dataclass(frozen=True)
class MigrationRun:
    run_id: str
    tables: tuple[str, ...]
    now: int
    compress_over: int | None
    rows_per_range: int
    started: int
    status: str = state.RUNNING
    finished: int | None = None
    binlog: dict | None = None  # where the source's binlog stood when the run started (sync's checkpoint)
    watermarks: dict | None = None  # table -> {"since", "max_id"} at the start (for sync --changes watermark)

    def item(self) -> dict:
        item = {**state.run_key(self.run_id), "tp": state.RUN_TP, "sts": self.status, "tbl": list(self.tables),
                "now": self.now, "rpr": self.rows_per_range, "crt": self.started}
        if self.binlog:
            item["bin"] = state.boundaries_text(self.binlog)
        if self.watermarks:
            item["wm"] = state.boundaries_text(self.watermarks)
        if self.compress_over is not None:
            item["cmp"] = self.compress_over
        if self.finished is not None:
            item["fin"] = self.finished
        return item

    @classmethod
    def from_item(cls, item: dict) -> "MigrationRun":
        return cls(run_id=item["SK"], tables=tuple(item["tbl"]), now=int(item["now"]),
                   compress_over=int(item["cmp"]) if "cmp" in item else None, rows_per_range=int(item["rpr"]),
                   started=int(item["crt"]), status=item["sts"],
                   finished=int(item["fin"]) if "fin" in item else None,
                   binlog=state.boundaries_from_text(item["bin"]) if "bin" in item else None,
                   watermarks=state.boundaries_from_text(item["wm"]) if "wm" in item else None)


class RunStore:
    """Runs, their key ranges and their finished ranges, read and written with boto3."""

    def __init__(self, config: DynamoDBConfig, table=None):
        self._table = table if table is not None else clients.table_resource(config)

    def start(self, run: MigrationRun, boundaries: dict[str, list]) -> None:
        """Record a new run and the key-range boundaries of each of its tables."""
        for table, edges in boundaries.items():
            text = state.boundaries_text(edges)
            if len(text.encode("utf-8")) > 350_000:
                raise RunStateError(f"{table} has {len(edges) + 1:,} key ranges, too many to record for --resume; "
                                    "pass a larger --rows-per-range")
            self._table.put_item(Item={**state.run_ranges_key(run.run_id, table), "tp": state.RUN_RANGES_TP,
                                       "bnd": text})
        try:
            self._table.put_item(Item=run.item(), ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise RunStateError(f"a run {run.run_id} already exists") from None
            raise

    def get(self, run_id: str) -> MigrationRun | None:
        item = self._table.get_item(Key=state.run_key(run_id), ConsistentRead=True).get("Item")
        return MigrationRun.from_item(item) if item else None

    def latest(self, tables: tuple[str, ...] | None = None) -> MigrationRun | None:
        """The newest run of exactly these source tables (of any, when None), finished or not."""
        query = {"KeyConditionExpression": Key("PK").eq(state.runs_partition()), "ScanIndexForward": False,
                 "ConsistentRead": True}
        for item in query_all(lambda request: self._table.query(**request), query):
            run = MigrationRun.from_item(item)
            if tables is None or run.tables == tuple(tables):
                return run
        return None

    def runs(self) -> list[MigrationRun]:
        """Every run, newest first."""
        query = {"KeyConditionExpression": Key("PK").eq(state.runs_partition()), "ScanIndexForward": False,
                 "ConsistentRead": True}
        return [MigrationRun.from_item(item) for item in query_all(lambda request: self._table.query(**request), query)]

    def progress(self, run: MigrationRun) -> tuple[int, int]:
        """(key ranges done, key ranges in all) of a run: two small reads, no scan."""
        total = sum(len(edges) + 1 for edges in self.boundaries(run).values())
        query = {"KeyConditionExpression": Key("PK").eq(state.run_partition(run.run_id))
                 & Key("SK").begins_with(state.done_prefix()), "Select": "COUNT", "ConsistentRead": True}
        done = sum(page.get("Count", 0) for page in pages(lambda request: self._table.query(**request), query))
        return done, total

    def boundaries(self, run: MigrationRun) -> dict[str, list]:
        found = {}
        for table in run.tables:
            item = self._table.get_item(Key=state.run_ranges_key(run.run_id, table), ConsistentRead=True).get("Item")
            if item is None:
                raise RunStateError(f"run {run.run_id} has no recorded key ranges for {table}")
            found[table] = state.boundaries_from_text(item["bnd"])
        return found

    def done(self, run_id: str) -> dict[str, dict[int, int]]:
        """table -> {range index: rows read} for every range the run finished."""
        found: dict[str, dict[int, int]] = {}
        query = {"KeyConditionExpression": Key("PK").eq(state.run_partition(run_id))
                 & Key("SK").begins_with(state.done_prefix()), "ConsistentRead": True}
        for item in query_all(lambda request: self._table.query(**request), query):
            table, index = state.parse_done_sk(item["SK"])
            found.setdefault(table, {})[index] = int(item["rows"])
        return found

    def finish(self, run: MigrationRun, finished: int) -> None:
        self._table.update_item(Key=state.run_key(run.run_id), UpdateExpression="SET sts = :done, fin = :at",
                                ExpressionAttributeValues={":done": state.FINISHED, ":at": finished})
