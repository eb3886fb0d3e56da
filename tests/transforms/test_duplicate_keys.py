"""FindDuplicateKeys feeding ToItems: rows that would share a key are all dead-lettered."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.integration.helpers import execute
from tests.transforms.support import pinned_pipeline, NOW, create_tables, insert
from transforms.duplicate_keys import FindDuplicateKeys
from transforms.to_items import ToItems

pytestmark = pytest.mark.integration


def problem(row_id, platform, number):
    return {"id": row_id, "platform": platform, "problem_id": number, "title": f"p{row_id}", "tags": "[]",
            "is_completed": 1, "is_deleted": 0, "metadata": "{}", "needs_review": 0, "verified_by_admin": 0,
            "created_at": NOW - dt.timedelta(days=row_id)}


def test_rows_sharing_a_problem_key_are_found_and_none_is_migrated(new_database):
    source = create_tables(new_database(), "problems")
    execute(source, "ALTER TABLE problems DROP INDEX problems_platform_problem_id")
    insert(source, "problems", [problem(1, "baekjoon", "1000"), problem(2, "baekjoon", "1000"),
                                problem(3, "baekjoon", "1001")])
    rows = [{**problem(i, "baekjoon", n), "problem_url": None, "solution_code": None, "language": None,
             "constraints": None, "deleted_at": None, "deleted_reason": None, "review_notes": None,
             "reviewed_at": None} for i, n in ((1, "1000"), (2, "1000"), (3, "1001"))]
    with pinned_pipeline() as p:
        duplicates = p | "Find" >> FindDuplicateKeys(source, "problems")
        assert_that(duplicates, equal_to([("prob", ("baekjoon", "1000"), ["1", "2"])]), label="groups")
        mapped = p | beam.Create(rows) | ToItems("problems", 0, duplicates=duplicates)
        assert_that(mapped.items | beam.Map(lambda item: item.pk), equal_to(["PROB#baekjoon#1001"]), label="items")
        assert_that(mapped.dead_letter | beam.Map(lambda d: (d["key"], d["code"])),
                    equal_to([(1, "duplicate_key"), (2, "duplicate_key")]), label="dead")
