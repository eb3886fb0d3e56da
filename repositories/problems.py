"""ProblemRepository: problems by platform and number, with their test cases in one Query."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from repositories.base import (
    IdAllocator, NotFound, page, put_new, query_all, replace_existing, to_row, transaction_reasons,
    type_is, utc_now,
)
from schema.entities.problems import PROBLEM, TESTCASE, TESTCASE_SK_PREFIX, problem_pk
from schema.keys import META

PROBLEM_DEFAULTS = {"problem_url": None, "tags": [], "solution_code": None, "language": None, "constraints": None,
                    "is_completed": False, "is_deleted": False, "deleted_at": None, "deleted_reason": None,
                    "metadata": {}, "needs_review": False, "review_notes": None, "verified_by_admin": False,
                    "reviewed_at": None}


class ProblemRepository:
    def __init__(self, table, ids: IdAllocator | None = None):
        self.table = table
        self._client = table.meta.client
        self._ids = ids or IdAllocator(table)

    def _key(self, platform: str, number: str) -> dict:
        return {"PK": problem_pk(platform, number), "SK": META}

    def create_problem(self, problem: dict) -> dict:
        """Fields as the problems table; `id` is allocated when not given."""
        if not problem.get("platform") or not problem.get("problem_id") or "title" not in problem:
            raise ValueError("a problem needs platform, problem_id and title")
        row = {**PROBLEM_DEFAULTS, "created_at": utc_now(), **problem}
        row.setdefault("id", None)
        if row["id"] is None:
            row["id"] = self._ids.next_id("problems")
        put_new(self.table, PROBLEM.to_item(row), f"problem {row['platform']} {row['problem_id']}")
        return row

    def get_problem(self, platform: str, number: str) -> dict | None:
        return to_row(PROBLEM, self.table.get_item(Key=self._key(platform, number)).get("Item"))

    def get_problem_with_testcases(self, platform: str, number: str) -> tuple[dict | None, list[dict]]:
        """One Query on the problem's partition: its META item first, then TC# items in id order."""
        problem, testcases = None, []
        for item in query_all(self.table, KeyConditionExpression=Key("PK").eq(problem_pk(platform, number))):
            if item.get("tp") == PROBLEM.tp:
                problem = to_row(PROBLEM, item)
            elif item.get("tp") == TESTCASE.tp:
                testcases.append(to_row(TESTCASE, item))
        return problem, testcases

    def get_testcases(self, platform: str, number: str) -> list[dict]:
        return [to_row(TESTCASE, item) for item in query_all(
            self.table, KeyConditionExpression=Key("PK").eq(problem_pk(platform, number))
            & Key("SK").begins_with(TESTCASE_SK_PREFIX))]

    def update_problem(self, platform: str, number: str, changes: dict) -> dict:
        if {"platform", "problem_id", "id", "created_at"} & set(changes):
            raise ValueError("platform, problem_id, id and created_at cannot change")
        current = self.get_problem(platform, number)
        if current is None:
            raise NotFound(f"no problem {platform} {number}")
        row = {**current, **changes}
        replace_existing(self.table, PROBLEM.to_item(row), f"problem {platform} {number}")
        return row

    def soft_delete_problem(self, platform: str, number: str, reason: str = "") -> dict:
        return self.update_problem(platform, number, {"is_deleted": True, "deleted_at": utc_now(),
                                                       "deleted_reason": reason})

    def delete_problem(self, platform: str, number: str) -> int:
        """The problem and all its test cases; returns how many items were deleted."""
        items = list(query_all(self.table, KeyConditionExpression=Key("PK").eq(problem_pk(platform, number)),
                               ProjectionExpression="PK, SK"))
        if not items:
            raise NotFound(f"no problem {platform} {number}")
        with self.table.batch_writer() as writer:
            for item in items:
                writer.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
        return len(items)

    def add_testcase(self, platform: str, number: str, input_text: str, output_text: str) -> dict:
        """A test case of the problem, after its others (ids order test cases within their problem).

        The id comes from the table's counter (above every migrated id), never from the problem's
        last test case plus one: test case ids are unique across problems, as MySQL's primary key
        is, so a row reverse sync writes back can never overwrite another problem's test case."""
        row = {"id": self._ids.next_id("test_cases"), "problem_id": None, "problem_platform": platform,
               "problem_number": number, "input": input_text, "output": output_text, "created_at": utc_now()}
        try:
            self._client.transact_write_items(TransactItems=[
                {"ConditionCheck": {"TableName": self.table.name, "Key": self._key(platform, number),
                                    "ConditionExpression": "attribute_exists(PK)"}},
                {"Put": {"TableName": self.table.name, "Item": TESTCASE.to_item(row),
                         "ConditionExpression": "attribute_not_exists(PK)"}}])
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException" and \
                    transaction_reasons(error)[0] == "ConditionalCheckFailed":
                raise NotFound(f"no problem {platform} {number}") from None
            raise
        return to_row(TESTCASE, TESTCASE.to_item(row))

    def _listing(self, condition, limit: int, cursor: str | None):
        items, next_cursor = page(self.table, limit, cursor, "scan", FilterExpression=type_is(PROBLEM) & condition)
        return [to_row(PROBLEM, item) for item in items], next_cursor

    def list_completed_problems(self, limit: int = 50, cursor: str | None = None):
        return self._listing(Attr("dat.cmp").eq(True) & Attr("dat.del").ne(True), limit, cursor)

    def list_draft_problems(self, limit: int = 50, cursor: str | None = None):
        return self._listing(Attr("dat.cmp").eq(False) & Attr("dat.del").ne(True), limit, cursor)

    def list_problems_needing_review(self, limit: int = 50, cursor: str | None = None):
        return self._listing(Attr("dat.nrv").eq(True), limit, cursor)
