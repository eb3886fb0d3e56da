"""The connectors' Beam wrappers with clients handed in through their factories (no service):
what a DoFn does with what its client answers, in a TestPipeline."""

import json

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb.beam_io import ScanTable, WriterSettings, WriteToDynamoDB
from connectors.dynamodb.config import DynamoDBConfig
from connectors.retry import RetryPolicy
from connectors.dynamodb.transport import DynamoDBError
from connectors.dynamodb.wire import encode_item

TARGET = DynamoDBConfig(table="t", endpoint_url="http://127.0.0.1:9")  # never contacted
from tests.transforms.support import pinned_pipeline


class RefusesPoison:
    """A transport that takes every batch, except that a batch holding the key POISON is invalid."""

    def __init__(self, config, max_connections):
        pass

    def call(self, operation, body):
        puts = json.loads(body)["RequestItems"]["t"]
        if any(p["PutRequest"]["Item"]["PK"]["S"] == "POISON" for p in puts):
            raise DynamoDBError("ValidationException", "bad item", 400)
        return {"UnprocessedItems": {}}

    def close(self):
        pass


class PagesPerSegment:
    """A transport whose Scan returns, for segment n, items n0 and n1 of type `x` on a first page, and
    one of type `y` on a second."""

    def __init__(self, config, max_connections):
        pass

    def call(self, operation, body):
        request = json.loads(body)
        segment = request["Segment"]
        if "ExclusiveStartKey" not in request:
            return {"Items": [{"PK": {"S": f"{segment}{i}"}, "tp": {"S": "x"}} for i in range(2)],
                    "LastEvaluatedKey": {"PK": {"S": "next"}}}
        return {"Items": [{"PK": {"S": f"{segment}y"}, "tp": {"S": "y"}}]}

    def close(self):
        pass


def keep_x(item):
    return item["tp"]["S"] == "x"


def test_the_writer_dead_letters_only_what_its_transport_refuses():
    items = [encode_item({"PK": pk, "SK": "META", "tp": "plan"}) for pk in ("A", "B", "POISON", "C")]
    settings = WriterSettings(batch_size=4, concurrency=1, policy=RetryPolicy(max_attempts=2))
    with pinned_pipeline() as p:
        dead = p | beam.Create(items) | WriteToDynamoDB(TARGET, settings, http_factory=RefusesPoison)
        assert_that(dead | beam.Map(lambda d: (d["key"]["PK"], d["code"])), equal_to([("POISON", "write_refused")]))


def test_the_scan_reads_every_segment_and_keeps_what_it_is_told():
    with pinned_pipeline() as p:
        scanned = p | ScanTable(TARGET, 3, keep_x, http_factory=PagesPerSegment)
        assert_that(scanned | beam.Map(lambda item: item["PK"]["S"]), equal_to(["00", "01", "10", "11", "20", "21"]))
