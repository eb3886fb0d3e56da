"""The repositories against DynamoDB Local: every method, not-found and conflict cases, the
contract both ways with the migration, and a race-free rate limit under 50 threads."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pipelines.init_table import init_table
from repositories import (
    AlreadyExists, Conflict, DuplicateEmail, DuplicateGoogleId, JobRepository, NotFound, ProblemRepository,
    SearchHistoryRepository, SubscriptionPlanRepository, UsageLogRepository, UserRepository,
)
from repositories.base import decode_cursor, next_utc_midnight
from repositories.client import table as table_from_config
from sample_data.generate import SeedCounts
from sample_data.load import prepare_schema, seed
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.entities.history import history_pk
from tests.integration.helpers import connection_flags, run_cli

pytestmark = pytest.mark.integration

GUIDE_USER = {"user_id": 12345, "email": "user@example.com", "name": "John Doe", "subscription_plan_id": 1,
              "is_active": True, "is_staff": False}


@pytest.fixture
def table(new_table_config):
    config = new_table_config("repo")
    assert init_table(config, out=io.StringIO()) == 0
    return table_from_config(config.endpoint_url, config.table, config.region)


def raw(table, pk, sk="META"):
    return table.get_item(Key={"PK": pk, "SK": sk}, ConsistentRead=True).get("Item")


# --- users ---

def test_create_and_read_a_user_as_the_guide_shows(table):
    users = UserRepository(table)
    created = users.create_user({**GUIDE_USER, "google_id": "g-1"})
    assert {k: created[k] for k in GUIDE_USER} == GUIDE_USER
    for found in (users.get_user_by_id(12345), users.get_user_by_email("USER@Example.COM"),
                  users.get_user_by_google_id("g-1")):
        assert found["user_id"] == 12345 and found["email"] == "user@example.com" and found["name"] == "John Doe"
        assert found["subscription_plan_id"] == 1 and found["is_active"] is True and "em" not in found
    assert users.user_exists(12345) and not users.user_exists(1)
    assert users.get_user_by_id(1) is None and users.get_user_by_email("nobody@x.y") is None
    assert users.get_user_by_google_id("nope") is None
    item = raw(table, "USR#12345")
    assert item["dat"]["em"] == "user@example.com" and item["GSI1PK"] == "EMAIL#user@example.com"


def test_email_and_google_id_stay_unique(table):
    users = UserRepository(table)
    users.create_user({**GUIDE_USER, "google_id": "g-1"})
    with pytest.raises(DuplicateEmail):
        users.create_user({**GUIDE_USER, "user_id": 2, "email": "User@EXAMPLE.com"})
    with pytest.raises(DuplicateGoogleId):
        users.create_user({**GUIDE_USER, "user_id": 3, "email": "other@example.com", "google_id": "g-1"})
    with pytest.raises(AlreadyExists):
        users.create_user({**GUIDE_USER, "email": "third@example.com"})
    with pytest.raises(ValueError, match="unknown user fields: nickname"):
        users.create_user({**GUIDE_USER, "user_id": 4, "email": "4@x.y", "nickname": "x"})
    result = users.batch_create_users([{**GUIDE_USER, "user_id": 5, "email": "5@x.y"},
                                       {**GUIDE_USER, "user_id": 6, "email": "user@example.com"}])
    assert [u["user_id"] for u in result["created"]] == [5]
    assert "DuplicateEmail" in result["failed"][0][1]


def test_concurrent_sign_ups_with_one_email_let_one_through(table):
    users = UserRepository(table)
    outcomes = []

    def sign_up(user_id):
        try:
            users.create_user({**GUIDE_USER, "user_id": user_id, "email": "race@example.com"})
            outcomes.append("created")
        except DuplicateEmail:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=sign_up, args=(100 + i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 9


def test_update_users_keeps_look_ups_and_uniqueness_right(table):
    users = UserRepository(table)
    users.create_user({**GUIDE_USER, "google_id": "g-1"})
    users.create_user({**GUIDE_USER, "user_id": 2, "email": "two@example.com"})
    updated = users.update_user(12345, {"email": "New@Example.com", "google_id": "g-2", "name": "Jane"})
    assert updated["email"] == "New@Example.com" and updated["updated_at"] > updated["created_at"]
    assert users.get_user_by_email("new@example.com")["name"] == "Jane"
    assert users.get_user_by_email("user@example.com") is None
    assert users.get_user_by_google_id("g-1") is None and users.get_user_by_google_id("g-2")["user_id"] == 12345
    with pytest.raises(DuplicateEmail):
        users.update_user(2, {"email": "NEW@example.com"})
    users.create_user({**GUIDE_USER, "user_id": 3, "email": "user@example.com", "google_id": "g-1"})  # released
    assert users.update_subscription_plan(12345, 3)["subscription_plan_id"] == 3
    assert users.deactivate_user(12345)["is_active"] is False
    assert users.activate_user(12345)["is_active"] is True
    with pytest.raises(NotFound):
        users.update_user(999, {"name": "x"})


def test_an_update_based_on_a_stale_read_is_refused_not_applied(table):
    class SlowUsers(UserRepository):
        """Another request updates the user between this one's read and its write."""

        def _current(self, user_id):
            row = super()._current(user_id)
            UserRepository(self.table).update_user(user_id, {"name": "Theirs"})
            return row

    UserRepository(table).create_user(GUIDE_USER)
    with pytest.raises(Conflict, match="changed meanwhile"):
        SlowUsers(table).update_user(12345, {"name": "Mine"})
    assert UserRepository(table).get_user_by_id(12345)["name"] == "Theirs"


def test_delete_user_removes_its_look_up_items(table):
    users = UserRepository(table)
    users.create_user({**GUIDE_USER, "google_id": "g-1"})
    users.delete_user(12345)
    assert users.get_user_by_id(12345) is None and users.get_user_by_google_id("g-1") is None
    assert raw(table, "USR#12345", "GID") is None and raw(table, "UNIQUE#EMAIL#user@example.com", "UNIQUE") is None
    users.create_user({**GUIDE_USER, "google_id": "g-1"})  # email and Google id free again
    with pytest.raises(NotFound):
        users.delete_user(777)


def test_list_users_pages_with_an_opaque_url_safe_cursor(table):
    users = UserRepository(table)
    for i in range(7):
        users.create_user({**GUIDE_USER, "user_id": i + 1, "email": f"u{i}@example.com", "google_id": f"g{i}"})
    seen, cursor, pages = [], None, 0
    while True:
        batch, cursor = users.list_users(limit=3, cursor=cursor)
        seen += [u["user_id"] for u in batch]
        pages += 1
        if cursor is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert sorted(seen) == list(range(1, 8)) and pages == 3
    with pytest.raises(ValueError):
        decode_cursor("not a cursor!")


def test_list_users_of_one_plan(table):
    users = UserRepository(table)
    for i in range(6):
        users.create_user({**GUIDE_USER, "user_id": i + 1, "email": f"plan{i}@example.com",
                           "subscription_plan_id": 2 if i % 3 == 0 else 1})
    seen, cursor = [], None
    while True:
        batch, cursor = users.list_users(limit=1, cursor=cursor, plan_id=2)
        seen += [u["user_id"] for u in batch]
        if cursor is None:
            break
    assert sorted(seen) == [1, 4]
    assert len(users.list_users(limit=10)[0]) == 6


def test_a_page_that_ends_at_the_last_item_has_no_cursor(table):
    """DynamoDB stops at Limit with a LastEvaluatedKey even when nothing follows; the page
    must not hand out a cursor that leads to an empty page."""
    history = SearchHistoryRepository(table)
    for i in range(4):
        history.create_history({"user_id": 7, "problem_id": 1, "platform": "baekjoon", "problem_number": "1000",
                                "is_code_public": True, "created_at": dt.datetime(2026, 1, 1, 0, i)})
    assert history.list_public_history(limit=4)[1] is None
    assert history.list_user_history(7, limit=4)[1] is None
    first, cursor = history.list_public_history(limit=2)
    second, end = history.list_public_history(limit=2, cursor=cursor)
    assert len(first) == len(second) == 2 and end is None
    assert history.list_public_history(limit=3)[1] is not None
    users = UserRepository(table)
    for i in range(3):
        users.create_user({**GUIDE_USER, "user_id": i + 1, "email": f"last{i}@example.com"})
    assert [len(users.list_users(limit=3)[0]), users.list_users(limit=3)[1]] == [3, None]


# --- plans ---

def test_plans(table):
    plans = SubscriptionPlanRepository(table)
    plans.create_plan({"id": 1, "name": "Free", "max_hints_per_day": 5, "max_executions_per_day": 50})
    plans.create_plan({"id": 2, "name": "Pro", "max_hints_per_day": -1, "max_executions_per_day": -1})
    with pytest.raises(AlreadyExists):
        plans.create_plan({"id": 1, "name": "Again", "max_hints_per_day": 1, "max_executions_per_day": 1})
    assert plans.get_plan(1)["max_hints_per_day"] == 5 and plans.get_plan(9) is None
    assert [p["name"] for p in plans.list_plans()[0]] == ["Free", "Pro"]
    assert plans.update_plan(1, {"max_hints_per_day": 10})["max_hints_per_day"] == 10
    with pytest.raises(NotFound):
        plans.update_plan(9, {"name": "x"})
    with pytest.raises(ValueError):
        plans.update_plan(1, {"id": 5})


# --- problems ---

def test_problems_and_test_cases(table):
    problems = ProblemRepository(table)
    created = problems.create_problem({"platform": "baekjoon", "problem_id": "1000", "title": "A+B",
                                       "tags": ["math"], "metadata": {"difficulty": "bronze", "limit": 0.5}})
    assert created["id"] > 10**9  # allocated above migrated AUTO_INCREMENT ids
    with pytest.raises(AlreadyExists):
        problems.create_problem({"platform": "baekjoon", "problem_id": "1000", "title": "dup"})
    for n in range(3):
        problems.add_testcase("baekjoon", "1000", f"{n} {n}", str(2 * n))
    assert problems.get_problem("baekjoon", "1000")["tags"] == ["math"] and problems.get_problem("x", "y") is None
    problem, cases = problems.get_problem_with_testcases("baekjoon", "1000")
    assert problem["title"] == "A+B" and problem["metadata"] == {"difficulty": "bronze", "limit": Decimal("0.5")}
    assert [c["input"] for c in cases] == ["0 0", "1 1", "2 2"]  # in the order they were added
    assert all(c["id"] > 10**9 for c in cases) and len({c["id"] for c in cases}) == 3  # ids from the counter
    assert [c["output"] for c in problems.get_testcases("baekjoon", "1000")] == ["0", "2", "4"]
    with pytest.raises(NotFound):
        problems.add_testcase("baekjoon", "404", "", "")
    problems.create_problem({"platform": "codeforces", "problem_id": "1A", "title": "draft", "needs_review": True})
    problems.update_problem("baekjoon", "1000", {"is_completed": True})
    assert [p["problem_id"] for p in problems.list_completed_problems()[0]] == ["1000"]
    assert [p["problem_id"] for p in problems.list_draft_problems()[0]] == ["1A"]
    assert [p["problem_id"] for p in problems.list_problems_needing_review()[0]] == ["1A"]
    deleted = problems.soft_delete_problem("codeforces", "1A", "duplicate")
    assert deleted["is_deleted"] and deleted["deleted_reason"] == "duplicate"
    assert problems.list_draft_problems()[0] == []
    assert problems.delete_problem("baekjoon", "1000") == 4
    assert problems.get_problem_with_testcases("baekjoon", "1000") == (None, [])
    with pytest.raises(NotFound):
        problems.delete_problem("baekjoon", "1000")
    with pytest.raises(NotFound):
        problems.update_problem("x", "y", {"title": "t"})


# --- history ---

def test_history_timelines(table):
    history = SearchHistoryRepository(table)
    base = dt.datetime(2026, 1, 1)
    entries = []
    for i in range(6):
        entries.append(history.create_history({
            "user_id": 7 if i % 2 else None, "user_identifier": "" if i % 2 else "anon-1", "problem_id": 1,
            "platform": "baekjoon", "problem_number": "1000", "code": f"print({i})", "is_code_public": i < 4,
            "created_at": base + dt.timedelta(minutes=i)}))
    private = raw(table, history_pk(entries[5]["id"]))
    public = raw(table, history_pk(entries[1]["id"]))
    assert private["GSI1PK"] == "HIST#USR#7" and "GSI2PK" not in private
    assert public["GSI2PK"] == "HIST#PUBLIC" and public["GSI2SK"] == public["GSI1SK"]
    assert raw(table, history_pk(entries[0]["id"]))["GSI1PK"] == "HIST#UIDT#anon-1"
    mine, cursor = history.list_user_history(7, limit=2)
    rest, end = history.list_user_history(7, limit=2, cursor=cursor)
    assert [e["id"] for e in mine + rest] == [entries[5]["id"], entries[3]["id"], entries[1]["id"]] and end is None
    assert history.count_user_history(7) == 3
    timeline, cursor = history.list_public_history(limit=3)
    assert [e["code"] for e in timeline] == ["print(3)", "print(2)", "print(1)"]
    assert [e["code"] for e in history.list_public_history(limit=3, cursor=cursor)[0]] == ["print(0)"]
    history.update_public_status(entries[5]["id"], True)
    assert history.list_public_history(limit=1)[0][0]["id"] == entries[5]["id"]
    history.update_public_status(entries[5]["id"], False)
    assert "GSI2PK" not in raw(table, history_pk(entries[5]["id"]))
    assert history.update_hints(entries[2]["id"], ["check bounds"])["hints"] == ["check bounds"]
    history.delete_history(entries[2]["id"])
    assert history.get_history(entries[2]["id"]) is None
    with pytest.raises(NotFound):
        history.delete_history(entries[2]["id"])
    with pytest.raises(NotFound):
        history.update_hints(1, [])
    with pytest.raises(AlreadyExists):
        history.create_history({"id": entries[0]["id"], "user_id": 8, "problem_id": 1, "platform": "baekjoon",
                                "problem_number": "1000"})


# --- usage and the rate limit ---

def test_usage_counts_limits_and_summary(table):
    usage = UsageLogRepository(table)
    for _ in range(3):
        usage.log_usage(1, "hint", problem_id=5, metadata={"lang": "py"})
    usage.log_usage(1, "execution")
    assert usage.get_daily_usage_count(1, "hint") == 3
    allowed, count, reset = usage.check_rate_limit(1, "hint", 3)
    assert (allowed, count, reset) == (False, 3, next_utc_midnight())
    assert usage.check_rate_limit(1, "hint", -1)[0] is True
    assert usage.consume(1, "hint", 4)[:2] == (True, 4)
    assert usage.consume(1, "hint", 4)[:2] == (False, 4)
    assert usage.consume(1, "hint", -1)[:2] == (True, 5)  # -1: unlimited, still recorded
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert usage.get_usage_summary(1, days=2)[today] == {"hint": 5, "execution": 1}


def test_the_rate_limit_counts_the_utc_day_of_the_instant_it_is_asked_about(table):
    midnight = dt.datetime.combine(dt.datetime.now(dt.timezone.utc).date(), dt.time())
    for row_id, created in ((1, midnight - dt.timedelta(microseconds=1)), (2, midnight), (3, midnight)):
        table.put_item(Item=ITEM_SPECS["ulog"].to_item({"id": row_id, "user_id": 9, "action": "hint",
                                                        "problem_id": None, "metadata": "{}", "created_at": created}))
    usage = UsageLogRepository(table)
    assert usage.check_rate_limit(9, "hint", 2, now=midnight + dt.timedelta(microseconds=500)) == (
        False, 2, midnight + dt.timedelta(days=1))
    assert usage.check_rate_limit(9, "hint", 2, now=midnight - dt.timedelta(microseconds=500)) == (True, 1, midnight)


def test_fifty_concurrent_consumes_against_a_limit_of_five_let_exactly_five_through(table):
    usage = UsageLogRepository(table)
    results = []
    barrier = threading.Barrier(50)

    def request():
        barrier.wait()
        results.append(usage.consume(42, "hint", 5)[0])

    threads = [threading.Thread(target=request) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5 and results.count(False) == 45
    assert usage.get_daily_usage_count(42, "hint") == 5


def test_the_limit_counts_logs_that_were_migrated_before_the_counter_existed(table):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for i in range(3):  # as the migration writes them
        table.put_item(Item=ITEM_SPECS["ulog"].to_item({"id": i + 1, "user_id": 9, "action": "hint", "problem_id": None,
                                                        "metadata": "{}", "created_at": now}))
    usage = UsageLogRepository(table)
    results = []
    threads = [threading.Thread(target=lambda: results.append(usage.consume(9, "hint", 5)[0])) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 2 and usage.get_daily_usage_count(9, "hint") == 5


# --- jobs ---

def test_jobs_status_and_progress(table):
    row = {"id": 3, "platform": "baekjoon", "problem_id": "1000", "title": "A+B", "problem_url": None, "tags": "[]",
           "solution_code": None, "language": "python", "constraints": "", "generator_code": None,
           "status": "PENDING", "celery_task_id": None, "error_message": None,
           "created_at": dt.datetime(2026, 1, 1), "updated_at": dt.datetime(2026, 1, 1)}
    table.put_item(Item=ITEM_SPECS["sgj"].to_item(row))
    jobs = JobRepository(table)
    assert jobs.get_job("script_generation", 3)["status"] == "PENDING"
    running = jobs.update_status("script_generation", 3, "PROCESSING", expected_status="PENDING", celery_task_id="c1")
    assert running["status"] == "PROCESSING" and running["celery_task_id"] == "c1"
    with pytest.raises(Conflict, match="is PROCESSING, not PENDING"):
        jobs.update_status("script_generation", 3, "PROCESSING", expected_status="PENDING")
    with pytest.raises(NotFound):
        jobs.update_status("problem_extraction", 3, "FAILED")
    for step in ("fetch", "generate", "done"):
        jobs.add_progress("script_generation", 3, step, f"{step} ok", "in_progress")
    assert [p["step"] for p in jobs.get_progress("script_generation", 3)] == ["fetch", "generate", "done"]
    assert jobs.get_job("problem_extraction", 3) is None
    with pytest.raises(ValueError):
        jobs.get_job("nope", 1)


def test_progress_past_its_ttl_is_hidden_until_dynamodb_deletes_it(table):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for row_id, age in ((1, dt.timedelta(days=31)), (2, dt.timedelta(days=29))):
        table.put_item(Item=ITEM_SPECS["jph"].to_item({  # as the migration wrote it when it was live
            "id": row_id, "content_type_id": 4, "object_id": 3, "content_type_model": "scriptgenerationjob",
            "step": f"s{row_id}", "message": "", "status": "started", "created_at": now - age}))
    jobs = JobRepository(table)
    assert [p["id"] for p in jobs.get_progress("script_generation", 3)] == [2]
    assert [p["id"] for p in jobs.get_progress("script_generation", 3, now=now - dt.timedelta(days=2))] == [1, 2]


# --- the contract both ways ---

@pytest.fixture(scope="module")
def migrated(new_database, new_table_config):
    source = new_database("algoitny_repo")
    seed(source, SeedCounts.for_scale(1), out=io.StringIO())
    target = new_table_config("repomig")
    assert init_table(target, out=io.StringIO()) == 0
    assert run_cli("migrate", *connection_flags(source, target))[0] == 0
    return source, table_from_config(target.endpoint_url, target.table, target.region)


def rows(source, sql, **params):
    engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        result = [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    engine.dispose()
    return result


def test_repositories_read_what_the_migration_wrote(migrated):
    source, table = migrated
    users = UserRepository(table)
    for row in rows(source, "SELECT * FROM users"):
        user = users.get_user_by_email(row["email"].upper())
        assert user["user_id"] == row["id"] and user["name"] == row["name"] and user["email"] == row["email"]
        assert user["is_active"] == bool(row["is_active"]) and user["last_login"] == row["last_login"]
        assert user["created_at"] == row["created_at"] and user["subscription_plan_id"] == row["subscription_plan_id"]
    problem_row = rows(source, "SELECT * FROM problems WHERE id = 3")[0]
    problem, cases = ProblemRepository(table).get_problem_with_testcases(problem_row["platform"],
                                                                          problem_row["problem_id"])
    assert problem["title"] == problem_row["title"] and problem["tags"] == json.loads(problem_row["tags"])
    assert [c["id"] for c in cases] == [r["id"] for r in rows(source, "SELECT id FROM test_cases WHERE problem_id = 3 "
                                                                       "ORDER BY id")]
    public = [r["id"] for r in rows(source, "SELECT id FROM search_history WHERE is_code_public "
                                            "ORDER BY created_at DESC, id DESC LIMIT 20")]
    assert [e["id"] for e in SearchHistoryRepository(table).list_public_history(limit=20)[0]] == public
    plans = SubscriptionPlanRepository(table).list_plans()[0]
    assert [(p["id"], p["max_hints_per_day"]) for p in plans] == [(1, 5), (2, 50), (3, -1)]
    midnight = dt.datetime.combine(dt.datetime.now(dt.timezone.utc).date(), dt.time())
    busiest = rows(source, "SELECT user_id, COUNT(*) n FROM usage_logs WHERE action = 'hint' AND created_at >= :m "
                           "GROUP BY user_id ORDER BY n DESC LIMIT 1", m=midnight)[0]
    assert UsageLogRepository(table).get_daily_usage_count(busiest["user_id"], "hint") == busiest["n"]


def test_what_the_repositories_write_passes_deep_verify(new_database, new_table_config, tmp_path):
    """Write through the repositories, put the same rows in MySQL, and deep-verify them."""
    target = new_table_config("repover")
    assert init_table(target, out=io.StringIO()) == 0
    table = table_from_config(target.endpoint_url, target.table, target.region)
    users, problems, history = UserRepository(table), ProblemRepository(table), SearchHistoryRepository(table)
    user_rows = [users.create_user({**GUIDE_USER, "user_id": i, "email": f"p{i}@Example.com",
                                    "google_id": None if i % 2 else f"g{i}", "last_login": dt.datetime(2026, 2, 1)})
                 for i in range(1, 6)]
    problem = problems.create_problem({"platform": "baekjoon", "problem_id": "1000", "title": "A+B 🐍",
                                       "tags": ["math"], "metadata": {"n": 1.5, "deep": {"x": [1, None]}}})
    cases = [problems.add_testcase("baekjoon", "1000", "1 2", "3") for _ in range(2)]
    entries = [history.create_history({"user_id": 1, "problem_id": problem["id"], "platform": "baekjoon",
                                       "problem_number": "1000", "code": "x", "is_code_public": True,
                                       "hints": ["h"], "result_summary": {"passed": 1}})]

    source = new_database("algoitny_repover")
    engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        prepare_schema(conn, replace=False)
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")

        def insert(table_name, row):
            columns = SOURCE_SPECS[table_name].columns
            values = {c: (json.dumps(row.get(c), default=str) if isinstance(row.get(c), (dict, list)) else row.get(c))
                      for c in columns}
            conn.execute(sa.text(f"INSERT INTO `{table_name}` ({', '.join(f'`{c}`' for c in columns)}) "
                                 f"VALUES ({', '.join(f':{c}' for c in columns)})"), values)

        for user in user_rows:
            insert("users", {**user, "id": user["user_id"]})
        insert("problems", problem)
        for case in cases:
            insert("test_cases", {**case, "problem_id": problem["id"]})
        for entry in entries:
            insert("search_history", entry)
    engine.dispose()
    code, out, err = run_cli("verify", "--deep", "--entity", "users,problems,history", "--report",
                             str(tmp_path / "r.json"), *connection_flags(source, target))
    assert code == 0, out + err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] and {tp: e["ok"] for tp, e in report["entities"].items()} == {
        "usr": 5, "usr_gid": 2, "prob": 1, "tc": 2, "hist": 1}
