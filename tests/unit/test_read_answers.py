"""Answers to the application's reads compared in canonical form, and the declared differences:
pure, no service (schema/read_answers.py, schema/access_patterns.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.mysql.read_patterns import FORMS, STATEMENTS, iexact, sql
from connectors.mysql.read_samples import PATTERN_KEYS, mixed_case
from repositories.parity import CANDIDATES, same_answer, verdict
from schema.access_patterns import ACCESS_PATTERNS, PATTERNS_BY_KEY, patterns_named
from schema.entities import ITEM_SPECS
from schema.read_answers import DELIBERATE, DIFFERENT, EQUAL

NOW = dt.datetime(2026, 3, 1, 12, 0)
USER_ROW = {"id": 7, "password": "pbkdf2$x", "last_login": None, "is_superuser": 0, "email": "José@Example.com",
            "name": "김민준", "picture": "", "google_id": "1007", "is_active": 1, "is_staff": 0,
            "created_at": dt.datetime(2025, 1, 2, 3, 4, 5, 600000), "updated_at": dt.datetime(2025, 1, 3),
            "subscription_plan_id": 2, "subscription_plan_id_dynamodb": None}


def as_the_repository_returns(tp: str, row: dict) -> dict:
    """The row as the migration writes it and a repository reads it back."""
    return ITEM_SPECS[tp].from_item(ITEM_SPECS[tp].to_item(row))


def history_row(row_id: int, minutes: int, **changes) -> dict:
    return {"id": row_id, "user_id": 7, "user_identifier": "user-7", "problem_id": 1, "platform": "baekjoon",
            "problem_number": "1000", "problem_title": "A+B", "language": "python", "code": "print(1)",
            "result_summary": json.dumps({"time_ms": 1.5}), "passed_count": 1, "failed_count": 0, "total_count": 1,
            "is_code_public": 1, "test_results": None, "hints": None, "metadata": "{}",
            "created_at": NOW - dt.timedelta(minutes=minutes), **changes}


def test_values_of_is_the_item_without_its_keys():
    item = ITEM_SPECS["usr"].to_item(USER_ROW)
    assert ITEM_SPECS["usr"].values_of(USER_ROW) == {k: v for k, v in item.items() if "PK" not in k and "SK" not in k}


def test_mysql_values_and_the_repositorys_meet_in_canonical_form():
    """0/1 and Booleans, JSON text and Decimal maps, naive datetimes: the same answer."""
    candidate = {**as_the_repository_returns("usr", USER_ROW)}
    candidate["user_id"] = candidate.pop("id")
    assert verdict("user_by_id", USER_ROW, candidate).outcome == EQUAL
    page = [history_row(1, 1), history_row(2, 2)]
    assert verdict("public_timeline", (page, True), ([as_the_repository_returns("hist", r) for r in page], "c")
                   ).outcome == EQUAL


def test_a_value_the_application_would_see_differ_is_a_difference_at_its_path():
    candidate = {**as_the_repository_returns("usr", {**USER_ROW, "name": "edited"})}
    candidate["user_id"] = candidate.pop("id")
    found = verdict("user_by_id", USER_ROW, candidate)
    assert (found.outcome, found.paths) == (DIFFERENT, ("dat.nm",))
    assert verdict("user_by_id", USER_ROW, None).paths == ("(item)",)


def test_order_counts_where_the_pattern_promises_it_and_so_does_whether_a_page_follows():
    page = [history_row(1, 1), history_row(2, 2)]
    mapped = [as_the_repository_returns("hist", r) for r in page]
    assert verdict("public_timeline", (page, False), (mapped[::-1], None)).paths == ("rows[0].crt", "rows[0].dat.id",
                                                                                    "rows[1].crt", "rows[1].dat.id")
    assert verdict("public_timeline", (page, False), (mapped, "cursor")).paths == ("more",)


def test_the_rate_limit_answer_is_allowed_count_and_reset():
    midnight = dt.datetime(2026, 3, 2)
    assert verdict("rate_limit", (True, 3, midnight), (True, 3, midnight)).outcome == EQUAL
    assert verdict("rate_limit", (False, 5, midnight), (True, 4, midnight)).paths == ("allowed", "count")


def test_expired_rows_the_table_does_not_keep_are_a_declared_difference_never_a_hidden_one():
    def progress(row_id, days):
        return {"id": row_id, "content_type_id": 4, "object_id": 3, "content_type_model": "scriptgenerationjob",
                "step": "s", "message": "m", "status": "started", "created_at": NOW - dt.timedelta(days=days)}
    mysql = [progress(1, 40), progress(2, 1)]
    found = verdict("job_progress", mysql, [as_the_repository_returns("jph", progress(2, 1))], now=NOW)
    assert (found.outcome, found.deliberate) == (DELIBERATE, ("expired_hidden",))
    still_there = verdict("job_progress", mysql, [as_the_repository_returns("jph", r) for r in mysql], now=NOW)
    assert (still_there.outcome, still_there.paths) == (DIFFERENT, ("(item)",))  # the table must hide it
    assert verdict("job_progress", mysql[1:], [as_the_repository_returns("jph", mysql[1])], now=NOW).outcome == EQUAL


def test_an_email_matched_only_by_mysqls_collation_is_declared_but_a_missed_letter_case_is_not():
    accentless = verdict("login_email", USER_ROW, None, email="JOSE@example.com")
    assert (accentless.outcome, accentless.deliberate) == (DELIBERATE, ("collation_match",))
    other_case = verdict("login_email", USER_ROW, None, email="josé@EXAMPLE.COM")
    assert (other_case.outcome, other_case.deliberate) == (DIFFERENT, ())


def test_a_scan_listing_is_a_set_but_a_missing_row_is_still_a_difference():
    rows = [{**USER_ROW, "id": i, "email": f"u{i}@x.y"} for i in (1, 2, 3)]
    scanned = [{**as_the_repository_returns("usr", r)} for r in rows[::-1]]
    for user in scanned:
        user["user_id"] = user.pop("id")
    found = verdict("admin_users_by_plan", rows, scanned)
    assert (found.outcome, found.deliberate) == (DELIBERATE, ("scan_order",))
    assert verdict("admin_users_by_plan", rows, scanned[1:]).outcome == DIFFERENT


def test_same_answer_is_the_shadow_wrappers_compare():
    candidate = {**as_the_repository_returns("usr", USER_ROW)}
    candidate["user_id"] = candidate.pop("id")
    assert same_answer("login_email", email="josé@example.com")(USER_ROW, candidate) is True
    assert same_answer("login_email", email="josé@example.com")(USER_ROW, None) is False
    with pytest.raises(ValueError, match="login_email"):
        same_answer("login_by_mail")


def test_every_pattern_has_a_mysql_form_a_repository_call_and_a_sampler():
    keys = [p.key for p in ACCESS_PATTERNS]
    assert len(set(keys)) == len(keys)
    for names in (FORMS, STATEMENTS, CANDIDATES, PATTERN_KEYS):
        assert sorted(names) == sorted(keys)
    for pattern in ACCESS_PATTERNS:
        assert pattern.django and pattern.repository_call and all(sql(pattern.key))
        assert all(tp in ITEM_SPECS for tp in pattern.item_types)


def test_patterns_named():
    assert patterns_named(None) == patterns_named("all") == ACCESS_PATTERNS
    assert [p.key for p in patterns_named("problem, login_email")] == ["login_email", "problem"]
    with pytest.raises(ValueError, match="unknown access pattern login; choose from all, rate_limit"):
        patterns_named("login")


def test_the_mysql_forms_keep_the_orms_semantics():
    assert iexact("dev_algo%100\\x@example.com") == "dev\\_algo\\%100\\\\x@example.com"
    assert "users.email LIKE :email" in sql("login_email")[0]
    assert "ORDER BY search_history.created_at DESC, search_history.id DESC LIMIT :offset, :limit" in \
        sql("public_timeline")[0]
    assert "usage_logs.created_at >= :midnight AND usage_logs.created_at < :next_midnight" in sql("rate_limit")[0]
    assert mixed_case("User@Example.COM") == "uSeR@ExAmPlE.CoM"
    assert PATTERNS_BY_KEY["public_timeline"].page_size == 20


def test_the_cut_over_freeze_asks_only_the_patterns_answered_from_keys():
    """A Scan inside the freeze would make it grow with the table (bench/RESULTS.md, cutover)."""
    from pipelines.cutover import FREEZE_PATTERNS
    from schema.access_patterns import ACCESS_PATTERNS

    scanning = {p.key for p in ACCESS_PATTERNS if p.reads_whole_table}
    assert scanning == {"admin_users_by_plan", "admin_problems_needing_review"}
    assert set(FREEZE_PATTERNS) == {p.key for p in ACCESS_PATTERNS} - scanning
