"""Plain reading (no Beam here): segmented Scan pages and partition queries through the signed
transport, and BatchGetItem (boto3) with UnprocessedKeys re-requested, all with the one pager
(pages.py) and the one retry (RetryPolicy.call)."""

from __future__ import annotations

import json
import random
import threading
import time
from queue import Full, Queue
from typing import Iterator

from connectors.dynamodb.pages import pages, query_all
from connectors.dynamodb.transport import DynamoDBError
from connectors.dynamodb.wire import item_of
from connectors.retry import RetryPolicy

MAX_BATCH_GET_KEYS = 100


def signed_call(http, operation: str, policy: RetryPolicy = RetryPolicy(), rng: random.Random | None = None,
                sleep=time.sleep):  # pacing: the policy's backoff between attempts
    """request -> answer through the signed transport (answers parsed by orjson); throttling, 5xx
    answers and dropped connections retried within `policy`'s bounds."""
    rng = rng or random.Random()

    def call(request: dict) -> dict:
        body = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return policy.call(lambda: http.call(operation, body), _retryable, sleep, rng)
    return call


def _retryable(error: BaseException) -> bool:
    return isinstance(error, DynamoDBError) and error.retryable


def scan_pages(http, table: str, segment: int, total_segments: int, policy: RetryPolicy = RetryPolicy(),
               rng: random.Random | None = None, sleep=time.sleep,  # pacing: retry backoff
               **scan_args) -> Iterator[list[dict]]:
    """Every page of one Scan segment (strongly consistent), as lists of items in DynamoDB JSON.

    Sent through the signed transport and parsed by orjson: botocore's response
    parser costs more than the rest of deep verify's work per item.
    """
    request = {"TableName": table, "Segment": segment, "TotalSegments": total_segments, "ConsistentRead": True,
               **scan_args}
    for answer in pages(signed_call(http, "Scan", policy, rng, sleep), request):
        yield answer.get("Items", [])


def query_partition(http, table: str, pk: str, policy: RetryPolicy = RetryPolicy(),
                    rng: random.Random | None = None,
                    sleep=time.sleep) -> Iterator[dict]:  # pacing: the policy's backoff between attempts
    """Every item of one partition (strongly consistent), in DynamoDB JSON."""
    request = {"TableName": table, "KeyConditionExpression": "#pk = :pk", "ExpressionAttributeNames": {"#pk": "PK"},
               "ExpressionAttributeValues": {":pk": {"S": pk}}, "ConsistentRead": True}
    return query_all(signed_call(http, "Query", policy, rng, sleep), request)


def prefetched(pages: Iterator, depth: int = 2) -> Iterator:
    """`pages`, fetched by a thread of its own up to `depth` ahead: the next page travels and is
    parsed while this one is processed. An error in the thread is raised here, in order."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def offer(value) -> bool:
        """Hand `value` to the consumer; False once it has stopped listening (never blocks for good)."""
        while not stop.is_set():
            try:
                queue.put(value, timeout=0.5)
                return True
            except Full:
                continue
        return False

    def fetch():
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(done)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            offer(error)

    thread = threading.Thread(target=fetch, name="scan-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            page = queue.get()
            if page is done:
                return
            if isinstance(page, BaseException):
                raise page
            yield page
    finally:
        stop.set()
        thread.join(timeout=5)


class _UnprocessedKeys(Exception):
    """BatchGetItem left keys unread (throttled or too large an answer): ask again for those."""


def batch_get(client, table: str, keys: list[dict], backoff: RetryPolicy = RetryPolicy(),
              rng: random.Random | None = None) -> list[dict]:
    """The items for up to 100 keys (DynamoDB JSON); UnprocessedKeys re-requested with backoff."""
    if len(keys) > MAX_BATCH_GET_KEYS:
        raise ValueError(f"at most {MAX_BATCH_GET_KEYS} keys per BatchGetItem")
    found: list[dict] = []
    pending = {table: {"Keys": keys, "ConsistentRead": True}}

    def fetch() -> None:
        nonlocal pending
        response = client.batch_get_item(RequestItems=pending)
        found.extend(response.get("Responses", {}).get(table, []))
        pending = response.get("UnprocessedKeys") or {}
        if pending:
            raise _UnprocessedKeys(f"BatchGetItem on {table} still has unprocessed keys")

    backoff.call(fetch, lambda error: isinstance(error, _UnprocessedKeys), rng=rng)
    return found


def items_now(client, table: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """(PK, SK) -> the item as the table holds it now (strongly consistent, as boto3 reads items),
    for each of `keys` that has one."""
    found = {}
    for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
        wire = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in keys[start:start + MAX_BATCH_GET_KEYS]]
        for item in map(item_of, batch_get(client, table, wire)):
            found[(item["PK"], item["SK"])] = item
    return found
