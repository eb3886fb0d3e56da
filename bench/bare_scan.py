"""A bare parallel Scan: one thread per segment, boto3 low-level client, items counted.

The floor deep verify is measured against (run as its own process so its memory is its own):
    python -m bench.bare_scan TABLE SEGMENTS
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.support import target
from connectors.dynamodb import clients


def scan_segment(client, table: str, segment: int, total_segments: int, **scan_args):
    """Every item of one segment, in DynamoDB JSON, page by page (boto3's paginator)."""
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table, Segment=segment, TotalSegments=total_segments,
                                   ConsistentRead=True, **scan_args):
        yield from page.get("Items", [])


def scan(table: str, segments: int) -> int:
    config = target(table)

    def one(segment: int) -> int:
        client = clients.client(config)
        return sum(1 for _ in scan_segment(client, table, segment, segments))

    with ThreadPoolExecutor(segments) as pool:
        return sum(pool.map(one, range(segments)))


if __name__ == "__main__":
    started = time.monotonic()
    count = scan(sys.argv[1], int(sys.argv[2]))
    print(f"scanned {count} items in {time.monotonic() - started:.2f} s")
