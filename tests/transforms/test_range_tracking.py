"""Key ranges recorded as done only when provably whole: ToItems' markers and the writer's check."""

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.dynamodb.wire import AfterWritten, EncodedItem, encode_item
from connectors.mysql.key_ranges import RangeEnd
from connectors.retry import RetryPolicy
from schema.codecs import epoch_seconds
from schema.state_items import range_done_item
from tests.integration.helpers import scan_everything
from tests.transforms.support import pinned_pipeline, NOW, new_table, usage_row
from transforms.to_items import ToItems

NOW_EPOCH = int(epoch_seconds(NOW))


def describe(element):
    if isinstance(element, AfterWritten):
        return ("marker", element.origin, element.expected_items, json.loads(element.item.json)["SK"]["S"])
    return ("item", element.origin, element.pk)


def test_to_items_marks_a_range_only_when_all_its_rows_arrived_and_none_was_dead_lettered():
    bad = {**usage_row(5, 1), "action": None}
    elements = [("usage_logs#0", usage_row(1, 1)), ("usage_logs#0", usage_row(2, 1)), RangeEnd("usage_logs", 0, 2),
                ("usage_logs#1", usage_row(3, 1)), ("usage_logs#1", bad), RangeEnd("usage_logs", 1, 2),
                ("usage_logs#2", usage_row(6, 1)), RangeEnd("usage_logs", 2, 3)]  # a row of #2 went elsewhere
    with pinned_pipeline() as p:
        mapped = p | beam.Create(elements, reshuffle=False) | ToItems("usage_logs", NOW_EPOCH, run_id="R")
        assert_that(mapped.items | beam.Map(describe), equal_to([
            ("item", "usage_logs#0", "USR#7#ULOG#20260109"), ("item", "usage_logs#0", "USR#7#ULOG#20260109"),
            ("marker", "usage_logs#0", 2, "DONE#usage_logs#000000"),
            ("item", "usage_logs#1", "USR#7#ULOG#20260109"), ("item", "usage_logs#2", "USR#7#ULOG#20260109")]))


def marked(origin: str, count: int, index: int) -> AfterWritten:
    return AfterWritten(origin, count, encode_item(range_done_item("R", "t", index, count, count)))


def items(origin: str, *pks: str) -> list[EncodedItem]:
    return [encode_item({"PK": pk, "SK": "META", "tp": "plan"}, origin=origin) for pk in pks]


@pytest.mark.integration
def test_the_writer_records_a_range_only_once_every_item_of_it_is_written(new_table_config):
    target = new_table(new_table_config, "tracking")
    poison = encode_item({"PK": "B3", "SK": "META", "tp": "plan", "GSI1PK": "", "GSI1SK": "x"}, origin="t#1")
    elements = [*items("t#0", "A1", "A2"), marked("t#0", 2, 0),
                *items("t#1", "B1", "B2"), poison, marked("t#1", 3, 1),
                *items("t#2", "C1"), marked("t#2", 2, 2)]  # one of #2's items never came here
    with pinned_pipeline() as p:
        dead = (p | beam.Create(elements, reshuffle=False)
                | WriteToDynamoDB(target, WriterSettings(batch_size=2, concurrency=2, policy=RetryPolicy(max_attempts=2))))
        assert_that(dead | beam.Map(lambda d: d["key"]["PK"]), equal_to(["B3"]))
    done = sorted(i["SK"]["S"] for i in scan_everything(target) if i["tp"]["S"] == "mig_done")
    assert done == ["DONE#t#000000"]
