"""Deep verify's two passes as composites: CompareWithSource and NameUnseenExpected."""

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb import clients
from schema.codecs import epoch_seconds
from tests.transforms.support import pinned_pipeline, NOW, create_tables, insert, new_table, plan_row, put_mapped
from transforms.deep_compare import CompareWithSource, DeepCompareScope, NameUnseenExpected

pytestmark = pytest.mark.integration
NOW_EPOCH = int(epoch_seconds(NOW))


def classes(results):
    return (results["counts"] | "Sum" >> beam.CombinePerKey(sum),
            results["differences"] | "Kind" >> beam.Map(lambda d: (d["class"], d["PK"], tuple(d.get("paths", ())))))


@pytest.fixture
def sides(new_database, new_table_config):
    """Plans 1-4 in MySQL; the table has 1 as mapped, 2 with a changed name, 3 missing, and a plan 9 no row implies."""
    source = create_tables(new_database(), "subscription_plans")
    insert(source, "subscription_plans", [plan_row(i, f"plan {i}") for i in (1, 2, 3, 4)])
    target = new_table(new_table_config)
    for i in (1, 4):
        put_mapped(target, "plan", plan_row(i, f"plan {i}"))
    put_mapped(target, "plan", plan_row(2, "renamed"))
    put_mapped(target, "plan", plan_row(9, "stray"))
    clients.client(target).put_item(TableName=target.table, Item={
        "PK": {"S": "SEQ#subscription_plans"}, "SK": {"S": "SEQ"}, "tp": {"S": "seq"}})
    return DeepCompareScope(source, target, ("subscription_plans",), NOW_EPOCH, segments=2, rows_per_range=2)


def test_pass_one_compares_every_scanned_item_with_its_row(sides):
    with pinned_pipeline() as p:
        counts, differences = classes(p | CompareWithSource(sides))
        assert_that(counts, equal_to([(("plan", "expected"), 4), (("plan", "found"), 3), (("plan", "ok"), 2),
                                      (("plan", "mismatched"), 1), (("plan", "unexpected"), 1)]), label="counts")
        assert_that(differences, equal_to([("mismatched", "PLAN#2", ("dat.nm",)), ("unexpected", "PLAN#9", ())]),
                    label="differences")


def test_pass_two_names_the_expected_items_the_scan_did_not_see(sides):
    with pinned_pipeline() as p:
        counts, differences = classes(p | NameUnseenExpected(sides, ("plan",)))
        assert_that(counts, equal_to([(("plan", "missing"), 1)]), label="counts")
        assert_that(differences, equal_to([("missing", "PLAN#3", ())]), label="differences")
