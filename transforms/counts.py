"""Counts per item type on both sides, for verify.

CountSourceItems: how many items each source table should have produced, per item type.
Counted in SQL per key range (fast: no rows leave the server), with predicates derived from
the same specs the mapping uses: an item type that needs a column present counts rows where
it is present; an item type with a TTL counts rows not yet expired at `now` (TtlRule states
the rule once for both sides). Rows that the mapping would dead-letter are counted: verify
must not agree with a migration that lost them.

CountTableItems: how many live items of each type the table holds, from a Scan that
fetches only `tp` and `ttl`.
"""

from __future__ import annotations

import apache_beam as beam

from connectors.dynamodb.beam_io import ScanTable
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.beam_io import EngineDoFn, SplitTable
from connectors.mysql.key_ranges import DEFAULT_ROWS_PER_RANGE
from connectors.mysql.config import MySQLConfig
from connectors.mysql.key_ranges import KeyRange
from connectors.mysql.queries import count_range
from schema import sampling
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.identity import identity_sql
from transforms.live_items import LiveItemsOfTypes


def count_conditions(table: str, now: int, sample_rate: float = 1.0
                     ) -> tuple[dict[str, str | None], dict[str, object]]:
    conditions: dict[str, str | None] = {}
    params: dict[str, object] = {}
    for tp in SOURCE_SPECS[table].items:
        spec = ITEM_SPECS[tp]
        parts = []
        if sample_rate < 1:
            sample, sample_params = sampling.sql_condition(table, identity_sql(spec), sample_rate)
            parts.append(sample)
            params.update(sample_params)
        if spec.only_when_present:
            parts.append(f"t.`{spec.only_when_present}` IS NOT NULL")
        if spec.ttl is not None:
            parts.append(f"t.`{spec.created}` >= :live_since_{tp}")
            params[f"live_since_{tp}"] = spec.ttl.oldest_live_created_at(now)
        conditions[tp] = " AND ".join(parts) or None
    return conditions, params


class CountKeyRange(EngineDoFn):
    def __init__(self, mysql_config: MySQLConfig, now: int, sample_rate: float = 1.0):
        super().__init__(mysql_config)
        self._now = now
        self._sample_rate = sample_rate

    def process(self, key_range: KeyRange):
        conditions, params = count_conditions(key_range.table, self._now, self._sample_rate)
        counts = count_range(self._engine, SOURCE_SPECS[key_range.table], key_range, conditions, params)
        yield from counts.items()


class CountSourceItems(beam.PTransform):
    """(item type, count) pairs for one source table; sum them per item type downstream."""

    def __init__(self, mysql_config: MySQLConfig, table: str, now: int,
                 rows_per_range: int = DEFAULT_ROWS_PER_RANGE, sample_rate: float = 1.0):
        super().__init__()
        self._mysql_config = mysql_config
        self._table = table
        self._now = now
        self._rows_per_range = rows_per_range
        self._sample_rate = sample_rate

    def expand(self, pbegin):
        return (
            pbegin
            | "Split" >> SplitTable(self._mysql_config, self._table, self._rows_per_range)
            | "CountKeyRange" >> beam.ParDo(CountKeyRange(self._mysql_config, self._now, self._sample_rate))
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
