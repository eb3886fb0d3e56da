"""What every repository shares: items <-> application dicts, cursors, errors, id allocation.

Items are built and read with the migration's own entity specs (ItemSpec.to_item and
from_item), so what the application writes has exactly the shape the migration writes and
deep verify checks, and what it reads back uses the same codecs.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import threading
from typing import Iterator

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from schema.app_items import SEQUENCE_TP, sequence_key
from schema.keys import padded_id
from schema.spec import ItemSpec


class RepositoryError(Exception):
    """Base of the errors the repositories raise."""


class NotFound(RepositoryError):
    pass


class AlreadyExists(RepositoryError):
    pass


class DuplicateEmail(AlreadyExists):
    pass


class DuplicateGoogleId(AlreadyExists):
    pass


class Conflict(RepositoryError):
    """The item changed under us (a conditional write found another state)."""


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def to_row(spec: ItemSpec, item: dict | None) -> dict | None:
    return None if item is None else spec.from_item(item)


def encode_cursor(last_key: dict | None) -> str | None:
    """An opaque, URL-safe cursor for the page after this one (None: there is none)."""
    if not last_key:
        return None
    text = json.dumps(last_key, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        raise ValueError("not a cursor this API returned") from None
    if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
        raise ValueError("not a cursor this API returned")
    return key


def page(table, limit: int, cursor: str | None, method: str = "query", **kwargs) -> tuple[list[dict], str | None]:
    """Up to `limit` items and the cursor after them; None when nothing follows.

    Each request asks for one item more than the page holds: the extra item says whether a
    next page exists, so a page that ends exactly at the last item comes without a cursor
    (DynamoDB stops at Limit with a LastEvaluatedKey even when nothing follows, and the
    cursor would lead to an empty page, where Django's Paginator says there is no next one).
    Filters may leave DynamoDB pages short, so requests go on until the page and the extra
    item are found or the items run out; the cursor is then the page's last item's key."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    start = decode_cursor(cursor)
    items: list[dict] = []
    while True:
        request = dict(kwargs, Limit=limit + 1)
        if start:
            request["ExclusiveStartKey"] = start
        answer = getattr(table, method)(**request)
        for item in answer.get("Items", []):
            if len(items) == limit:
                return items, encode_cursor({k: items[-1][k] for k in _key_names(kwargs.get("IndexName"))})
            items.append(item)
        start = answer.get("LastEvaluatedKey")
        if not start:
            return items, None


def _key_names(index: str | None) -> tuple[str, ...]:
    table_keys = ("PK", "SK")
    return table_keys if index is None else table_keys + (f"{index}PK", f"{index}SK")


def check_fields(given, allowed, what: str) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"unknown {what} fields: {', '.join(sorted(unknown))}")


def condition_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _conditional_put(table, item: dict, condition: str, refusal: RepositoryError) -> None:
    try:
        table.put_item(Item=item, ConditionExpression=condition)
    except ClientError as error:
        if condition_failed(error):
            raise refusal from None
        raise


def put_new(table, item: dict, what: str) -> None:
    """Put an item that must not exist yet; AlreadyExists naming `what` if it does."""
    _conditional_put(table, item, "attribute_not_exists(PK)", AlreadyExists(f"{what} already exists"))


def replace_existing(table, item: dict, what: str) -> None:
    """Put over an item that must still exist; NotFound naming `what` if it was deleted meanwhile."""
    _conditional_put(table, item, "attribute_exists(PK)", NotFound(f"no {what}"))


def count_query(table, **kwargs) -> int:
    """Items a Query matches, over every page (Select=COUNT: nothing is transferred)."""
    return sum(answer["Count"] for answer in _pages(table, Select="COUNT", **kwargs))


def _pages(table, **kwargs) -> Iterator[dict]:
    start = None
    while True:
        answer = table.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        yield answer
        start = answer.get("LastEvaluatedKey")
        if not start:
            return


def query_all(table, **kwargs) -> Iterator[dict]:
    for answer in _pages(table, **kwargs):
        yield from answer.get("Items", [])


def type_is(spec: ItemSpec):
    return Attr("tp").eq(spec.tp)


class IdAllocator:
    """New row ids for tables whose keys carry an id (what AUTO_INCREMENT did in MySQL).

    A counter item per table (`SEQ#<table>`), advanced atomically by a block of ids at a
    time and handed out from memory (gaps, as AUTO_INCREMENT leaves, are harmless). It
    starts above `floor` so new ids never meet the migrated ones (AlgoItny's AUTO_INCREMENT
    ids are far below 10^9; keys pad ids to 12 digits, so ids stay below 10^12). Thread-safe.
    """

    DEFAULT_FLOOR = 1_000_000_000

    def __init__(self, table, floor: int = DEFAULT_FLOOR, block: int = 100):
        self._table = table
        self._floor = floor
        self._block = block
        self._ranges: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def next_id(self, source_table: str) -> int:
        with self._lock:
            start, end = self._ranges.get(source_table, (0, 0))
            if start >= end:
                answer = self._table.update_item(
                    Key=sequence_key(source_table),
                    UpdateExpression="SET #n = if_not_exists(#n, :floor) + :block, tp = :tp",
                    ExpressionAttributeNames={"#n": "nxt"},
                    ExpressionAttributeValues={":floor": self._floor, ":block": self._block, ":tp": SEQUENCE_TP},
                    ReturnValues="UPDATED_NEW")
                end = int(answer["Attributes"]["nxt"]) + 1
                start = end - self._block
            self._ranges[source_table] = (start + 1, end)
        padded_id(start)  # raises when ids no longer fit the 12-digit keys
        return start


def next_utc_midnight(now: _dt.datetime | None = None) -> _dt.datetime:
    now = now or utc_now()
    return _dt.datetime.combine(now.date() + _dt.timedelta(days=1), _dt.time())


def transaction_reasons(error) -> list[str]:
    """The per-action cancellation codes of a TransactionCanceledException, in request order."""
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
