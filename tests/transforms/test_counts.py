"""CountSourceItems and CountTableItems in a TestPipeline, against a real MySQL and DynamoDB Local."""

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb import clients
from schema.codecs import epoch_seconds
from tests.transforms.support import pinned_pipeline, NOW, create_tables, insert, new_table, plan_row, put_mapped, usage_row
from transforms.counts import CountSourceItems, CountTableItems

pytestmark = pytest.mark.integration
NOW_EPOCH = int(epoch_seconds(NOW))


def test_source_counts_apply_the_ttl_rule_over_every_key_range(new_database):
    source = create_tables(new_database(), "usage_logs")
    insert(source, "usage_logs", [usage_row(1, 1), usage_row(2, 89.9), usage_row(3, 91), usage_row(4, 0)])
    with pinned_pipeline() as p:
        counts = (p | CountSourceItems(source, "usage_logs", NOW_EPOCH, rows_per_range=1)
                  | beam.CombinePerKey(sum))
        assert_that(counts, equal_to([("ulog", 3)]))  # the 91-day-old log is past its TTL


def test_table_counts_take_live_items_of_the_asked_types_only(new_table_config):
    target = new_table(new_table_config)
    put_mapped(target, "plan", plan_row(1))
    put_mapped(target, "plan", plan_row(2))
    put_mapped(target, "ulog", usage_row(10, 1))
    expired = put_mapped(target, "ulog", usage_row(11, 1))
    expired["ttl"] = {"N": str(NOW_EPOCH - 1)}  # the table still holds it until DynamoDB's sweep
    clients.client(target).put_item(TableName=target.table, Item=expired)
    clients.client(target).put_item(TableName=target.table, Item={
        "PK": {"S": "UNIQUE#EMAIL#a@b.c"}, "SK": {"S": "UNIQUE"}, "tp": {"S": "uniq"}})
    with pinned_pipeline() as p:
        counts = p | CountTableItems(target, segments=3, item_types=("plan", "ulog", "usr"), now=NOW_EPOCH)
        assert_that(counts, equal_to([("plan", 2), ("ulog", 1)]))
