"""A lease item in the table that makes runs of one kind take turns (no Beam here): sync and
cutover share one, reverse sync and rollback another.

Taken with a conditional put (free, expired, or already ours), renewed while the run works by
a thread of its own (`LeaseKeeper`), released at the end. A crashed run's lease expires. A
write that must happen only while the lease is held puts `condition(owner)` in its transaction:
a run that lost its lease (it stalled past the expiry and another took over) cannot write it.
"""

from __future__ import annotations

import threading
import time

from botocore.exceptions import ClientError

from connectors.errors import RunStopped


class LeaseLost(RunStopped):
    """The run no longer holds the lease; it must not advance any checkpoint."""


class Lease:
    def __init__(self, table, key: dict, tp: str):
        self._table = table  # boto3 Table resource
        self._key = key
        self._tp = tp

    def take(self, owner: str, seconds: int) -> dict | None:
        """None when taken; else the lease item that holds it."""
        now = int(time.time())
        try:
            self._table.put_item(
                Item={**self._key, "tp": self._tp, "own": owner, "exp": now + seconds, "crt": now},
                ConditionExpression="attribute_not_exists(PK) OR #exp < :now OR #own = :me",
                ExpressionAttributeNames={"#exp": "exp", "#own": "own"},
                ExpressionAttributeValues={":now": now, ":me": owner})
            return None
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return self._table.get_item(Key=self._key, ConsistentRead=True).get("Item") or {}

    def holder(self) -> dict | None:
        """The lease item if a run holds it now, else None."""
        item = self._table.get_item(Key=self._key, ConsistentRead=True).get("Item")
        return item if item and int(item.get("exp", 0)) >= time.time() else None

    def renew(self, owner: str, seconds: int) -> bool:
        try:
            self._table.update_item(Key=self._key, UpdateExpression="SET #exp = :exp",
                                    ConditionExpression="#own = :me",
                                    ExpressionAttributeNames={"#exp": "exp", "#own": "own"},
                                    ExpressionAttributeValues={":exp": int(time.time()) + seconds, ":me": owner})
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False

    def release(self, owner: str) -> None:
        try:
            self._table.delete_item(Key=self._key, ConditionExpression="#own = :me",
                                    ExpressionAttributeNames={"#own": "own"}, ExpressionAttributeValues={":me": owner})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def condition(self, owner: str) -> dict:
        """A transaction's ConditionCheck that `owner` still holds the lease."""
        return {"ConditionCheck": {
            "TableName": self._table.name, "Key": self._key,
            "ConditionExpression": "#own = :me AND #exp > :now",
            "ExpressionAttributeNames": {"#own": "own", "#exp": "exp"},
            "ExpressionAttributeValues": {":me": owner, ":now": int(time.time())}}}


class LeaseKeeper:
    """Renews the lease every third of its life on a thread of its own while the run works, and
    releases it at the end; `lost` says whether a renewal failed (another run took it)."""

    def __init__(self, lease: Lease, owner: str, seconds: int):
        self._lease, self._owner, self._seconds = lease, owner, seconds
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self._lease.release(self._owner)

    def _renew(self):
        while not self._stop.wait(self._seconds / 3):
            if not self._lease.renew(self._owner, self._seconds):
                self.lost = True
                return

    def check(self) -> None:
        if self.lost:
            raise LeaseLost("this run lost its lease while it worked; nothing was advanced")


def write_while_held(table, lease: Lease, owner: str, actions: list[dict]) -> None:
    """`actions` (TransactWriteItems parts, each with its own condition) in one transaction with
    the check that `owner` still holds `lease`: all or nothing."""
    try:
        table.meta.client.transact_write_items(TransactItems=[lease.condition(owner), *actions])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise LeaseLost("this run lost its lease (it expired and another run took it); nothing was "
                            "written") from None
        raise LeaseLost("a state item changed while this run worked (another writer); nothing was written") \
            from None
