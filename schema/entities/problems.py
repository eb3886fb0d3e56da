"""problems: a `prob` item per problem, and its test cases (`tc`) in the same partition.

A problem's key is its platform and number, not its row id, so a test case row (which
points at the problem's id) is read with a LEFT JOIN to find its partition; a test case
whose problem is gone is a dead letter (`missing_parent`), never dropped silently.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from schema.codecs import BOOLEAN, DATETIME, JSON, TEXT
from schema.keys import META, SEPARATOR, int_after_prefix, join_key, padded_id, split_key
from schema.spec import ItemSpec, Join, RowRejected, SourceSpec, attributes

ENTITY = "problems"
PROBLEM_PREFIX = "PROB"
TESTCASE_PREFIX = "TC"
TESTCASE_SK_PREFIX = TESTCASE_PREFIX + SEPARATOR  # begins_with(SK, …): a problem's test cases


def problem_pk(platform: str, problem_number: str) -> str:
    return join_key(PROBLEM_PREFIX, platform, problem_number)


def testcase_sk(testcase_id: int) -> str:
    return join_key(TESTCASE_PREFIX, padded_id(testcase_id))


def problem_of(pk: str) -> tuple[str, str]:
    """(platform, number) from a problem partition key `PROB#<platform>#<number>`."""
    _, platform, number = split_key(pk, 3)
    return platform, number


def _problem_keys(row) -> dict:
    return {"PK": problem_pk(str(row["platform"]), str(row["problem_id"])), "SK": META}


def _testcase_keys(row) -> dict:
    if row.get("problem_platform") is None or row.get("problem_number") is None:
        raise RowRejected(f"test case {row['id']} references problem {row.get('problem_id')}, which does not exist",
                          "missing_parent")
    return {"PK": problem_pk(str(row["problem_platform"]), str(row["problem_number"])),
            "SK": testcase_sk(row["id"])}


def _testcase_partition(joined: Mapping) -> str | None:
    """The partition of a problem's test cases, from the values the join gives them."""
    if joined.get("problem_platform") is None or joined.get("problem_number") is None:
        return None
    return problem_pk(str(joined["problem_platform"]), str(joined["problem_number"]))


def _problem_identity(pk: str, sk: str) -> tuple:
    return problem_of(pk)


def _testcase_identity(pk: str, sk: str) -> tuple:
    return int_after_prefix(sk)


def _problem_from_keys(item: Mapping) -> dict:
    return dict(zip(("platform", "problem_id"), problem_of(item["PK"])))


def _testcase_problem_from_keys(item: Mapping) -> dict:
    return dict(zip(("problem_platform", "problem_number"), problem_of(item["PK"])))


PROBLEM = ItemSpec(
    tp="prob", source="problems", entity=ENTITY, key_builder=_problem_keys,
    key_shapes={"PK": "PROB#<platform>#<problem_id>", "SK": "META"},
    identity_columns=("platform", "problem_id"), identity_from_key=_problem_identity,
    key_decoder=_problem_from_keys,
    key_columns=("platform", "problem_id"), required_columns=("platform", "problem_id"),
    attributes=attributes(
        ("tit", "title", TEXT), ("url", "problem_url", TEXT), ("tag", "tags", JSON),
        ("sol", "solution_code", TEXT), ("lng", "language", TEXT), ("con", "constraints", TEXT),
        ("cmp", "is_completed", BOOLEAN), ("del", "is_deleted", BOOLEAN),
        ("ddt", "deleted_at", DATETIME), ("drs", "deleted_reason", TEXT),
        ("met", "metadata", JSON), ("nrv", "needs_review", BOOLEAN),
        ("rvn", "review_notes", TEXT), ("vrf", "verified_by_admin", BOOLEAN),
        ("rvt", "reviewed_at", DATETIME),
    ),
)

TESTCASE = ItemSpec(
    tp="tc", source="test_cases", entity=ENTITY, key_builder=_testcase_keys, identity_from_key=_testcase_identity,
    key_shapes={"PK": "PROB#<problem.platform>#<problem.problem_id>", "SK": "TC#<id:12>"},
    key_decoder=_testcase_problem_from_keys, key_columns=("problem_id",),
    attributes=attributes(("inp", "input", TEXT), ("out", "output", TEXT)),
)

ITEMS = (PROBLEM, TESTCASE)
SOURCES = (
    SourceSpec(
        table="problems", key="id", key_is_integer=True, items=("prob",),
        columns=("id", "platform", "problem_id", "title", "problem_url", "tags", "solution_code",
                 "language", "constraints", "is_completed", "is_deleted", "deleted_at",
                 "deleted_reason", "metadata", "needs_review", "review_notes",
                 "verified_by_admin", "reviewed_at", "created_at"),
    ),
    SourceSpec(
        table="test_cases", key="id", key_is_integer=True, items=("tc",),
        columns=("id", "problem_id", "input", "output", "created_at"),
        joins=(Join("problems", "p", "problem_id", "id",
                    MappingProxyType({"problem_platform": "platform", "problem_number": "problem_id"}),
                    in_child_keys=True, child_partition=_testcase_partition),),
    ),
)
