"""UsageLogRepository: usage logs, daily counts, and a race-free rate limit.

`check_rate_limit` answers DESIGN.md access pattern 1 (a COUNT Query on today's partition).
`consume` checks and records in one atomic step: a transaction of a conditional increment of
a per-day, per-action counter item and the log item, so fifty concurrent requests against a
limit of five let exactly five through. The counter (`SK = COUNT#<action>`, beside the logs,
never matched by `begins_with(SK, 'ULOG#<action>#')`) is created on first use from the count
of the day's logs already there (migrated ones included); every later log, through `consume`
or `log_usage`, increments it in the same transaction that writes the log.
"""

from __future__ import annotations

import datetime as _dt

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from repositories.base import IdAllocator, condition_failed, count_query, next_utc_midnight, query_all, utc_now
from schema.app_items import USAGE_COUNTER_TP, usage_counter_key
from schema.codecs import epoch_seconds
from schema.entities.usage import USAGE_LOG as LOG
from schema.entities.plans import UNLIMITED
from schema.entities.usage import USAGE_SK_PREFIX, action_of, usage_pk, usage_sk_prefix

COUNTER_TTL_DAYS = 2
RECORD_ATTEMPTS = 3


def _number(value) -> int:
    """A count from a cancellation reason: {'N': '5'} (raw) or 5 (deserialised)."""
    return int(value["N"]) if isinstance(value, dict) else int(value)


class UsageLogRepository:
    def __init__(self, table, ids: IdAllocator | None = None):
        self.table = table
        self._client = table.meta.client
        self._ids = ids or IdAllocator(table)

    # --- reads ---

    def get_daily_usage_count(self, user_id: int, action: str, day: _dt.date | None = None) -> int:
        day = day or utc_now().date()
        return count_query(self.table, ConsistentRead=True,
                           KeyConditionExpression=Key("PK").eq(usage_pk(user_id, day))
                           & Key("SK").begins_with(usage_sk_prefix(action)))

    def check_rate_limit(self, user_id: int, action: str, limit: int,
                         now: _dt.datetime | None = None) -> tuple[bool, int, _dt.datetime]:
        """(allowed, today's count, when the count resets: next midnight UTC). Reads only.

        `now` (naive UTC, default the clock) fixes the day, so a comparison with another
        source at the day boundary asks both about the same day."""
        now = now or utc_now()
        count = self.get_daily_usage_count(user_id, action, now.date())
        return (limit == UNLIMITED or count < limit), count, next_utc_midnight(now)

    def get_usage_summary(self, user_id: int, days: int = 7) -> dict[str, dict[str, int]]:
        """{'YYYY-MM-DD': {'hint': n, 'execution': m}} for the last `days` UTC days, today included."""
        today = utc_now().date()
        summary = {}
        for back in range(days):
            day = today - _dt.timedelta(days=back)
            counts: dict[str, int] = {}
            for item in query_all(self.table, ProjectionExpression="SK",
                                  KeyConditionExpression=Key("PK").eq(usage_pk(user_id, day))
                                  & Key("SK").begins_with(USAGE_SK_PREFIX)):
                action = action_of(item["SK"])
                counts[action] = counts.get(action, 0) + 1
            summary[day.isoformat()] = counts
        return summary

    # --- writes ---

    def log_usage(self, user_id: int, action: str, problem_id: int | None = None,
                  metadata: dict | None = None) -> dict:
        """Record one use without a limit (keeps the day's counter in step)."""
        _, _, _, row = self._record(user_id, action, UNLIMITED, problem_id, metadata)
        return row

    def consume(self, user_id: int, action: str, limit: int, problem_id: int | None = None,
                metadata: dict | None = None) -> tuple[bool, int, _dt.datetime]:
        """Check the limit and record the use in one atomic step: (allowed, count after, reset time)."""
        allowed, count, reset, _ = self._record(user_id, action, limit, problem_id, metadata)
        return allowed, count, reset

    def _record(self, user_id: int, action: str, limit: int, problem_id, metadata):
        now = utc_now()
        counter_key = usage_counter_key(user_id, now, action)
        row = {"id": self._ids.next_id("usage_logs"), "user_id": user_id, "action": action,
               "problem_id": problem_id, "metadata": metadata or {}, "created_at": now}
        increment = {"TableName": self.table.name, "Key": counter_key, "UpdateExpression": "ADD cnt :one",
                     "ConditionExpression": "attribute_exists(cnt)", "ExpressionAttributeValues": {":one": 1},
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if limit != UNLIMITED:
            increment["ConditionExpression"] = "cnt < :limit"
            increment["ExpressionAttributeValues"][":limit"] = limit
        for _ in range(RECORD_ATTEMPTS):
            try:
                self._client.transact_write_items(TransactItems=[
                    {"Update": increment},
                    {"Put": {"TableName": self.table.name, "Item": LOG.to_item(row),
                             "ConditionExpression": "attribute_not_exists(PK)"}}])
            except ClientError as error:
                reasons = error.response.get("CancellationReasons", [])
                if error.response["Error"]["Code"] != "TransactionCanceledException" or \
                        not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                    raise
                counter = reasons[0].get("Item")
                if not counter:  # the day's counter does not exist yet: create it, then try again
                    self._ensure_counter(counter_key, user_id, action, now)
                    continue
                return False, _number(counter["cnt"]), next_utc_midnight(now), None
            count = int(self.table.get_item(Key=counter_key, ConsistentRead=True)["Item"]["cnt"])
            return True, count, next_utc_midnight(now), row
        raise RuntimeError(f"could not record usage for user {user_id} after {RECORD_ATTEMPTS} attempts")

    def _ensure_counter(self, counter_key: dict, user_id: int, action: str, now: _dt.datetime) -> None:
        """Create the day's counter from the logs already there, unless someone just did.

        Safe under concurrency: only the first creation succeeds (attribute_not_exists), and no
        log is written through this repository before the counter exists, so the logs it
        counted are exactly the ones no increment will count.
        """
        existing = self.get_daily_usage_count(user_id, action, now.date())
        expires = int(epoch_seconds(next_utc_midnight(now))) + COUNTER_TTL_DAYS * 86_400
        try:
            self.table.put_item(Item={**counter_key, "tp": USAGE_COUNTER_TP, "cnt": existing, "ttl": expires},
                                ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if not condition_failed(error):
                raise
