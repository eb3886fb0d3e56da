"""Plain boto3 reading (no Beam here): segmented Scan pages and BatchGetItem with retries."""

from __future__ import annotations

import random
import time
from typing import Iterator

from connectors.dynamodb.retry import RetryPolicy

MAX_BATCH_GET_KEYS = 100


def scan_segment(client, table: str, segment: int, total_segments: int, **scan_args) -> Iterator[dict]:
    """Every item of one segment, in DynamoDB JSON, page by page."""
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table, Segment=segment, TotalSegments=total_segments,
                                   ConsistentRead=True, **scan_args):
        yield from page.get("Items", [])


def batch_get(client, table: str, keys: list[dict], backoff: RetryPolicy = RetryPolicy(),
              rng: random.Random | None = None) -> list[dict]:
    """The items for up to 100 keys (DynamoDB JSON); UnprocessedKeys re-requested with backoff."""
    if len(keys) > MAX_BATCH_GET_KEYS:
        raise ValueError(f"at most {MAX_BATCH_GET_KEYS} keys per BatchGetItem")
    rng = rng or random.Random()
    found: list[dict] = []
    pending = {table: {"Keys": keys, "ConsistentRead": True}}
    started, attempt = time.monotonic(), 0
    while pending:
        response = client.batch_get_item(RequestItems=pending)
        found.extend(response.get("Responses", {}).get(table, []))
        pending = response.get("UnprocessedKeys") or {}
        if pending:
            if time.monotonic() - started > backoff.max_elapsed_seconds:
                raise TimeoutError(f"BatchGetItem on {table} still has unprocessed keys after {attempt + 1} tries")
            time.sleep(backoff.delay(attempt, rng))
            attempt += 1
    return found
