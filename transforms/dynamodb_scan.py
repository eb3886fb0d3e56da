"""Parallel segmented Scan of the table (plain boto3 function + Beam composite)."""

from __future__ import annotations

from typing import Iterator

import apache_beam as beam

from connections import dynamodb
from connections.config import DynamoDBConfig


def scan_segment(client, table: str, segment: int, total_segments: int, **scan_args) -> Iterator[dict]:
    """Every page's items of one segment, in DynamoDB JSON."""
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table, Segment=segment, TotalSegments=total_segments,
                                   ConsistentRead=True, **scan_args):
        yield from page.get("Items", [])


def is_live(wire_item: dict, now: int) -> bool:
    """The TTL rule on the target side: no ttl, or ttl still in the future."""
    ttl = wire_item.get("ttl")
    return ttl is None or "N" not in ttl or int(float(ttl["N"])) > now


class CountSegmentItems(beam.DoFn):
    """segment number -> (item type, count) for the item types asked for, live items only."""

    def __init__(self, dynamo: DynamoDBConfig, total_segments: int, item_types: tuple[str, ...], now: int):
        self._dynamo = dynamo
        self._total = total_segments
        self._item_types = frozenset(item_types)
        self._now = now

    def setup(self):
        self._client = dynamodb.client(self._dynamo)

    def process(self, segment: int):
        counts = dict.fromkeys(sorted(self._item_types), 0)
        for item in scan_segment(self._client, self._dynamo.table, segment, self._total,
                                 ProjectionExpression="#tp, #ttl",
                                 ExpressionAttributeNames={"#tp": "tp", "#ttl": "ttl"}):
            tp = item.get("tp", {}).get("S")
            if tp in self._item_types and is_live(item, self._now):
                counts[tp] += 1
        yield from counts.items()

    def teardown(self):
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


class CountTableItems(beam.PTransform):
    """(item type, count) pairs from a parallel Scan in `segments` segments."""

    def __init__(self, dynamo: DynamoDBConfig, segments: int, item_types: tuple[str, ...], now: int):
        super().__init__()
        self._dynamo = dynamo
        self._segments = segments
        self._item_types = tuple(item_types)
        self._now = now

    def expand(self, pbegin):
        return (
            pbegin
            | "Segments" >> beam.Create(list(range(self._segments)))
            | "Distribute" >> beam.Reshuffle()
            | "ScanSegment" >> beam.ParDo(CountSegmentItems(self._dynamo, self._segments, self._item_types, self._now))
        )
