"""The target table (DESIGN.md §2) as data: the CreateTable request and a schema comparison.

Pure: it builds request dicts and reads DescribeTable/DescribeTimeToLive answers; the calls
themselves live in `pipelines/init_table.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GlobalIndex:
    name: str
    partition_key: str
    sort_key: str
    projection: str  # "ALL" or "KEYS_ONLY"


@dataclass(frozen=True)
class TableSpec:
    name: str = "algoitny_main"
    partition_key: str = "PK"
    sort_key: str = "SK"
    indexes: tuple[GlobalIndex, ...] = (
        GlobalIndex("GSI1", "GSI1PK", "GSI1SK", "ALL"),
        GlobalIndex("GSI2", "GSI2PK", "GSI2SK", "KEYS_ONLY"),
    )
    ttl_attribute: str = "ttl"
    billing_mode: str = "PAY_PER_REQUEST"
    stream_view_type: str = "NEW_AND_OLD_IMAGES"

    def key_attributes(self) -> list[str]:
        names = [self.partition_key, self.sort_key]
        for index in self.indexes:
            names += [index.partition_key, index.sort_key]
        return names

    def create_table_request(self, with_stream: bool = True) -> dict:
        request = {
            "TableName": self.name,
            "BillingMode": self.billing_mode,
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in self.key_attributes()],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": {"ProjectionType": index.projection},
                }
                for index in self.indexes
            ],
        }
        if with_stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return request

    def differences(self, table: dict) -> list[str]:
        """What a DescribeTable `Table` has that this spec does not, one sentence each.

        Only what the migration and the application depend on counts: keys, key types,
        indexes and their projections. Billing mode and streams are `warnings`.
        """
        found: list[str] = []
        types = {d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions", [])}
        want_keys = _key_schema(self.partition_key, self.sort_key)
        if _normal_keys(table.get("KeySchema", [])) != want_keys:
            found.append(f"table keys are {_describe_keys(table.get('KeySchema', []))}, "
                         f"expected {_describe_keys(want_keys)}")
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", []) or []}
        for index in self.indexes:
            have = indexes.pop(index.name, None)
            if have is None:
                found.append(f"global secondary index {index.name} is missing")
                continue
            want = _key_schema(index.partition_key, index.sort_key)
            if _normal_keys(have.get("KeySchema", [])) != want:
                found.append(f"{index.name} keys are {_describe_keys(have.get('KeySchema', []))}, "
                             f"expected {_describe_keys(want)}")
            projection = have.get("Projection", {}).get("ProjectionType")
            if projection != index.projection:
                found.append(f"{index.name} projection is {projection}, expected {index.projection}")
        for extra in sorted(indexes):
            found.append(f"unexpected global secondary index {extra}")
        for name in self.key_attributes():
            if name in types and types[name] != "S":
                found.append(f"attribute {name} is of type {types[name]}, expected S")
        if table.get("LocalSecondaryIndexes"):
            names = ", ".join(i["IndexName"] for i in table["LocalSecondaryIndexes"])
            found.append(f"unexpected local secondary indexes: {names}")
        return found

    def warnings(self, table: dict) -> list[str]:
        notes = []
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode")
        if billing is not None and billing != self.billing_mode:
            notes.append(f"billing mode is {billing}, the design uses {self.billing_mode}")
        stream = table.get("StreamSpecification") or {}
        if stream.get("StreamEnabled") and stream.get("StreamViewType") != self.stream_view_type:
            notes.append(f"stream view type is {stream.get('StreamViewType')}, the design uses {self.stream_view_type}")
        return notes

    def ttl_difference(self, ttl_description: dict) -> str | None:
        """A TTL on another attribute is a difference; TTL simply off is fixed by init."""
        status = ttl_description.get("TimeToLiveStatus")
        attribute = ttl_description.get("AttributeName")
        if status in ("ENABLED", "ENABLING") and attribute != self.ttl_attribute:
            return f"TTL is on attribute {attribute!r}, expected {self.ttl_attribute!r}"
        return None

    def ttl_needs_enabling(self, ttl_description: dict) -> bool:
        return ttl_description.get("TimeToLiveStatus") in (None, "DISABLED")


def _key_schema(partition_key: str, sort_key: str) -> list[dict]:
    return [
        {"AttributeName": partition_key, "KeyType": "HASH"},
        {"AttributeName": sort_key, "KeyType": "RANGE"},
    ]


def _normal_keys(key_schema: list[dict]) -> list[dict]:
    order = {"HASH": 0, "RANGE": 1}
    return sorted(
        ({"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in key_schema),
        key=lambda e: order.get(e["KeyType"], 2),
    )


def _describe_keys(key_schema: list[dict]) -> str:
    return ", ".join(f"{e['AttributeName']} ({e['KeyType']})" for e in _normal_keys(key_schema)) or "none"
