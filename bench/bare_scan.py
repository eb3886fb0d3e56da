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
from connectors.dynamodb.reads import scan_segment


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
