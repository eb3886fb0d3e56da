"""ScanTable: a parallel segmented Scan as a PCollection of items (DynamoDB JSON)."""

from __future__ import annotations

import apache_beam as beam

from connections import dynamodb
from connections.config import DynamoDBConfig
from transforms.dynamodb_read import is_live, scan_segment


class LiveItemsOfTypes:
    """Keep items whose `tp` is one of `item_types` and whose TTL has not passed at `now`."""

    def __init__(self, item_types, now: int):
        self.item_types = frozenset(item_types)
        self.now = now

    def __call__(self, item: dict) -> bool:
        return item.get("tp", {}).get("S") in self.item_types and is_live(item, self.now)


class ScanSegmentFn(beam.DoFn):
    def __init__(self, dynamo: DynamoDBConfig, total_segments: int, keep: LiveItemsOfTypes, scan_args: dict):
        self._dynamo = dynamo
        self._total = total_segments
        self._keep = keep
        self._scan_args = scan_args

    def setup(self):
        self._client = dynamodb.client(self._dynamo)

    def process(self, segment: int):
        for item in scan_segment(self._client, self._dynamo.table, segment, self._total, **self._scan_args):
            if self._keep(item):
                yield item

    def teardown(self):
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


class ScanTable(beam.PTransform):
    """The table's items that `keep` accepts, read by `segments` parallel Scan segments."""

    def __init__(self, dynamo: DynamoDBConfig, segments: int, keep: LiveItemsOfTypes, **scan_args):
        super().__init__()
        self._dynamo = dynamo
        self._segments = segments
        self._keep = keep
        self._scan_args = scan_args

    def expand(self, pbegin):
        return (
            pbegin
            | "Segments" >> beam.Create(list(range(self._segments)))
            | "Distribute" >> beam.Reshuffle()
            | "ScanSegment" >> beam.ParDo(ScanSegmentFn(self._dynamo, self._segments, self._keep, self._scan_args))
        )


def _type_of(item: dict) -> str:
    return item["tp"]["S"]


class CountTableItems(beam.PTransform):
    """(item type, count) for live items of `item_types`, from a Scan fetching only tp and ttl."""

    def __init__(self, dynamo: DynamoDBConfig, segments: int, item_types: tuple[str, ...], now: int):
        super().__init__()
        self._dynamo = dynamo
        self._segments = segments
        self._item_types = tuple(item_types)
        self._now = now

    def expand(self, pbegin):
        return (
            pbegin
            | "Scan" >> ScanTable(self._dynamo, self._segments, LiveItemsOfTypes(self._item_types, self._now),
                                  ProjectionExpression="#tp, #ttl",
                                  ExpressionAttributeNames={"#tp": "tp", "#ttl": "ttl"})
            | "TypeOf" >> beam.Map(_type_of)
            | "CountPerType" >> beam.combiners.Count.PerElement()
        )
