"""Reading the table's stream (no Beam here): shards in lineage order, each from a position on.

DynamoDB Streams keeps each item's changes in order within one shard; a shard that splits has
children whose records come after their parent's, so shards are read parent before child.
`read_shard` goes from the record after a sequence number (or from the shard's oldest) until
the shard is closed and read to its end, or it has no more records now (caught up: the next
run goes on from there). Positions the stream no longer holds (24 hours on AWS) raise
StreamTrimmed: the changes in between are lost to reverse sync and must be mended otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from botocore.exceptions import ClientError

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import RunStopped

MAX_RECORDS_PER_CALL = 1000


class StreamTrimmed(RunStopped):
    """The stream no longer holds a position reverse sync needs."""


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent: str | None
    closed: bool  # it has an ending sequence number: no record will be added to it


@dataclass(frozen=True)
class ShardBatch:
    records: list[dict]
    closed: bool  # the shard is closed and this is its last batch


class StreamReader:
    def __init__(self, config: DynamoDBConfig, client=None):
        self._client = client if client is not None else clients.streams_client(config)

    def shards(self, stream_arn: str) -> list[Shard]:
        """Every shard the stream has now, parents before their children."""
        found: list[Shard] = []
        request = {"StreamArn": stream_arn}
        while True:
            description = self._client.describe_stream(**request)["StreamDescription"]
            for shard in description.get("Shards", []):
                found.append(Shard(shard["ShardId"], shard.get("ParentShardId"),
                                   "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return lineage_order(found)
            request["ExclusiveStartShardId"] = last

    def read_shard(self, stream_arn: str, shard: Shard, after: str | None) -> Iterator[ShardBatch]:
        """Batches of the shard's records after sequence number `after` (all when None)."""
        iterator = self._iterator(stream_arn, shard.shard_id, after)
        while iterator:
            try:
                answer = self._client.get_records(ShardIterator=iterator, Limit=MAX_RECORDS_PER_CALL)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code == "ExpiredIteratorException":  # 15 minutes old: ask again from the last record
                    iterator = self._iterator(stream_arn, shard.shard_id, after)
                    continue
                if code == "TrimmedDataAccessException":
                    raise _trimmed(shard, after) from None
                raise
            records = answer.get("Records", [])
            iterator = answer.get("NextShardIterator")
            if records:
                after = records[-1]["dynamodb"]["SequenceNumber"]
            closed = iterator is None
            if records or closed:
                yield ShardBatch(records, closed)
            if not records:
                return  # caught up (or closed and read to its end)

    def _iterator(self, stream_arn: str, shard_id: str, after: str | None) -> str | None:
        request = {"StreamArn": stream_arn, "ShardId": shard_id}
        request.update({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after else
                       {"ShardIteratorType": "TRIM_HORIZON"})
        try:
            return self._client.get_shard_iterator(**request).get("ShardIterator")
        except ClientError as error:
            code = error.response["Error"]["Code"]
            # A trimmed position (AWS), a shard gone, or a sequence number the shard no longer has (an
            # old checkpoint on DynamoDB Local, which answers ValidationException for it).
            if code in ("TrimmedDataAccessException", "ResourceNotFoundException") or (
                    code == "ValidationException" and "SequenceNumber" in str(error)):
                raise _trimmed(Shard(shard_id, None, True), after) from None
            raise


def _trimmed(shard: Shard, after: str | None) -> StreamTrimmed:
    return StreamTrimmed(
        f"the stream no longer holds shard {shard.shard_id} after sequence number {after} (streams keep 24 hours): "
        "the table's changes in between cannot be carried to MySQL. Run `algoitny-etl verify --deep --repair --to "
        "mysql` (with the application frozen) to mend MySQL from the table; reverse sync then goes on from the "
        "stream's present")


def lineage_order(shards: list[Shard]) -> list[Shard]:
    """Parents before children; a shard whose parent the stream no longer lists goes first."""
    by_id = {shard.shard_id: shard for shard in shards}
    ordered, placed = [], set()

    def place(shard: Shard) -> None:
        if shard.shard_id in placed:
            return
        if shard.parent in by_id:
            place(by_id[shard.parent])
        placed.add(shard.shard_id)
        ordered.append(shard)

    for shard in shards:
        place(shard)
    return ordered


def is_ttl_delete(record: dict) -> bool:
    """A deletion DynamoDB's TTL made (not the application's)."""
    identity = record.get("userIdentity") or {}
    return identity.get("type") == "Service" and identity.get("principalId") == "dynamodb.amazonaws.com"
