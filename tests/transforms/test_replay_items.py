"""ItemsFromDeadLetters: write-stage records are sent as they were, map-stage rows are read again."""

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb.wire import encode_item
from schema.codecs import epoch_seconds
from schema.dead_letters import dead_letter_for_row, dead_letter_for_write
from schema.entities import ITEM_SPECS
from tests.transforms.support import pinned_pipeline, NOW, create_tables, insert, plan_row, usage_row
from transforms.replay_items import ItemsFromDeadLetters

pytestmark = pytest.mark.integration


def test_records_become_items_again_or_stay_dead_with_a_reason(new_database):
    source = create_tables(new_database(), "usage_logs")
    insert(source, "usage_logs", [usage_row(1, 1)])
    refused = encode_item(ITEM_SPECS["plan"].to_item(plan_row(5)))
    records = [
        json.loads(json.dumps(dead_letter_for_write(("PLAN#5", "META"), "plan", refused.json, "throttled", "x"))),
        json.loads(json.dumps(dead_letter_for_row("usage_logs", 1, "was bad", {**usage_row(1, 1), "action": None}))),
        json.loads(json.dumps(dead_letter_for_row("usage_logs", 2, "was bad", usage_row(2, 1)))),
    ]
    with pinned_pipeline() as p:
        replayed = p | beam.Create(records) | ItemsFromDeadLetters(source, int(epoch_seconds(NOW)))
        assert_that(replayed["items"] | "Keys" >> beam.Map(lambda i: (i.tp, i.pk, i.json == refused.json)),
                    equal_to([("plan", "PLAN#5", True), ("ulog", "USR#7#ULOG#20260109", False)]), label="items")
        assert_that(replayed["dead_letter"] | "Why" >> beam.Map(lambda d: (d["key"], d["code"])),
                    equal_to([(2, "not_in_source")]), label="dead")
