"""Read parity on the real services: `check-reads` and the shadow-read wrapper ask MySQL (the
Django application's queries) and the repositories (DynamoDB Local) the same questions.

A freshly migrated and synced database answers every pattern alike. Five planted faults (an
item's attribute edited in the table, a GSI2 key removed from a public history item, a usage
item in the wrong day, a test case missing, a user's email changed in MySQL and not synced)
are each found by check-reads and by the wrapper, naming the pattern; the wrapper returns the
control's answer when the candidate differs or raises.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading

import pytest

from connectors.dynamodb import clients
from connectors.mysql.engines import engine as make_engine
from connectors.mysql.read_patterns import FORMS
from connectors.mysql.read_samples import mixed_case, samples
from pipelines.read_parity import check_reads
from repositories.parity import CANDIDATES, Repositories, same_answer
from repositories.shadow import CANDIDATE_ERROR, MISMATCH, Shadow
from sample_data.activity import burst
from schema.access_patterns import ACCESS_PATTERNS
from schema.entities import ITEM_SPECS
from schema.entities.history import history_pk
from schema.entities.problems import problem_pk
from schema.entities.problems import testcase_sk as case_sk  # not test*: pytest would collect it
from schema.entities.usage import usage_pk
from tests.integration.helpers import connection_flags, execute, new_table, run_cli, seeded

# One xdist worker runs the whole module: its module fixtures (a migrated and synced table, a faulty
# one) are built once, not once per worker.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_check_reads")]

SAMPLE = "200"  # at scale 1, every key of every pattern


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def plant_edges(source) -> dict:
    """What the sample must hold that random data may not: a Free-plan user at its hint limit
    (one more log a microsecond before midnight, yesterday's), one over it, a problem without
    test cases."""
    at_limit, over_limit = [r[0] for r in execute(
        source, "SELECT id FROM users WHERE subscription_plan_id = 1 ORDER BY id LIMIT 2")]
    midnight = dt.datetime.combine(utc_now().date(), dt.time())
    execute(source, "DELETE FROM usage_logs WHERE user_id IN (:a, :o) AND created_at >= :m",
            a=at_limit, o=over_limit, m=midnight - dt.timedelta(days=1))
    logs = [(at_limit, midnight - dt.timedelta(microseconds=1))] + \
        [(at_limit, midnight + dt.timedelta(microseconds=i)) for i in range(5)] + \
        [(over_limit, midnight + dt.timedelta(seconds=i)) for i in range(7)]
    for n, (user_id, created) in enumerate(logs):
        execute(source, "INSERT INTO usage_logs (id, user_id, action, problem_id, metadata, created_at) "
                        "VALUES (:id, :u, 'hint', NULL, '{}', :c)", id=900_001 + n, u=user_id, c=created)
    execute(source, "INSERT INTO problems (platform, problem_id, title, tags, is_completed, is_deleted, metadata, "
                    "needs_review, verified_by_admin, created_at) VALUES ('baekjoon', '99999', 'no cases', '[]', 0, 0, "
                    "'{}', 1, 0, UTC_TIMESTAMP(6))")
    return {"at_limit": at_limit, "over_limit": over_limit}


def pattern(report: dict, key: str) -> dict:
    (found,) = [p for p in report["patterns"] if p["key"] == key]
    return found


# --- a migrated and synced database answers alike ---

@pytest.fixture(scope="module")
def synced(seeded_binlog_database, new_table_config):
    source = seeded_binlog_database()
    target = new_table(new_table_config, "reads")
    assert run_cli("migrate", *connection_flags(source, target))[0] == 0
    burst(source, 300, seed=19)  # sign-ups, email and Google-id changes, renames, history made public ...
    edges = plant_edges(source)  # after the burst, which could push the user at the limit over it
    code, out, err = run_cli("sync", *connection_flags(source, target))
    assert code == 0, out + err
    return source, target, edges


def test_a_migrated_and_synced_database_answers_every_pattern_alike(synced, tmp_path):
    source, target, _ = synced
    code, out, err = run_cli("check-reads", *connection_flags(source, target), "--sample", SAMPLE,
                             "--report", str(tmp_path / "reads.json"))
    report = json.loads((tmp_path / "reads.json").read_text())
    assert code == 0, out + err
    assert report["different"] == 0 and report["calls"] == report["equal"] + report["deliberate"]
    assert [p["key"] for p in report["patterns"]] == [p.key for p in ACCESS_PATTERNS]
    for found in report["patterns"]:
        assert found["calls"] > 0 and found["different"] == 0 and found["differences"] == [], found["key"]
        assert found["latency_ms"]["mysql"]["p99"] >= found["latency_ms"]["mysql"]["p50"] > 0
        assert found["latency_ms"]["dynamodb"]["p50"] > 0
    assert {"at_limit", "over_limit", "under_limit", "unused_today"} <= set(pattern(report, "rate_limit")["samples"])
    assert {"with_testcases", "without_testcases", "absent"} <= set(pattern(report, "problem_with_testcases")["samples"])
    assert pattern(report, "public_timeline")["samples"]["first_pages, pages joined"] == 1
    assert pattern(report, "public_timeline")["samples"]["first_pages"] >= 2
    assert pattern(report, "login_email")["samples"]["mixed_case"] >= 40
    assert len([k for k in pattern(report, "job_status")["samples"] if k.startswith("script_generation ")]) >= 3
    expired = pattern(report, "job_progress")["declared_differences"]
    assert expired[0]["name"] == "expired_hidden" and expired[0]["answers"] > 0  # listed apart, never hidden
    assert pattern(report, "rate_limit")["guide_ms"] == "1–3" and pattern(report, "user_by_id")["guide_ms"] is None


def test_the_sample_is_the_same_on_every_run_and_holds_each_kind_of_key(synced):
    source, _, edges = synced
    engine = make_engine(source)
    now = utc_now()
    try:
        with engine.connect() as conn:
            first = [(s.kind, s.params) for s in samples(conn, "rate_limit", 200, now)]
            assert first == [(s.kind, s.params) for s in samples(conn, "rate_limit", 200, now)]
            small = samples(conn, "rate_limit", 4, now)
    finally:
        engine.dispose()
    assert ("at_limit", {"user_id": edges["at_limit"], "action": "hint", "limit": 5}) in first
    assert ("over_limit", {"user_id": edges["over_limit"], "action": "hint", "limit": 5}) in first
    assert [s.kind for s in small] == ["over_limit", "at_limit", "under_limit", "unused_today"]


def test_check_reads_is_a_function_a_driver_calls_in_process(synced):
    source, target, _ = synced
    report = check_reads(source, target, sample=3, patterns=["problem", "job_status"])
    assert [p["key"] for p in report["patterns"]] == ["problem", "job_status"]
    assert report["different"] == 0 and pattern(report, "problem")["calls"] == 3


def test_what_check_reads_cannot_run_with_exits_2_saying_what_to_do(synced, new_table_config):
    source, target, _ = synced
    flags = connection_flags(source, target)
    for args, says in ((["--pattern", "login"], "--pattern: unknown access pattern login; choose from all, "),
                       (["--sample", "0"], "--sample must be at least 1"),
                       (["--sampel", "5"], "unrecognized arguments: --sampel 5")):
        code, out, err = run_cli("check-reads", *flags, *args)
        assert code == 2 and f"check-reads: {says}" in err, (args, out + err)
    missing = new_table_config("absent")
    code, out, err = run_cli("check-reads", *connection_flags(source, missing))
    assert code == 2 and missing.table in err and "does not exist" in err, out + err
    code, _, err = run_cli("check-reads", "--mysql-url", "mysql+pymysql://root@127.0.0.1:1/none",
                           "--endpoint-url", target.endpoint_url, "--table", target.table)
    assert code == 2 and "cannot connect to MySQL" in err and "Likely: no MySQL server answers" in err


# --- planted faults ---

@pytest.fixture(scope="module")
def faulty(seeded_database, new_table_config):
    """Sample data migrated, then one fault of each kind planted on its own key."""
    source = seeded_database()
    plant_edges(source)
    target = new_table(new_table_config, "faults")
    assert run_cli("migrate", *connection_flags(source, target))[0] == 0
    client, table, now = clients.client(target), target.table, utc_now()
    midnight = dt.datetime.combine(now.date(), dt.time())

    (edited_id, edited_platform, edited_number), = execute(
        source, "SELECT id, platform, problem_id FROM problems ORDER BY id LIMIT 1")
    client.update_item(TableName=table, Key={"PK": {"S": problem_pk(edited_platform, edited_number)},
                                             "SK": {"S": "META"}},
                       UpdateExpression="SET dat.tit = :t", ExpressionAttributeValues={":t": {"S": "edited"}})

    (newest_public,), = execute(source, "SELECT id FROM search_history WHERE is_code_public "
                                        "ORDER BY created_at DESC, id DESC LIMIT 1")
    client.update_item(TableName=table, Key={"PK": {"S": history_pk(newest_public)}, "SK": {"S": "META"}},
                       UpdateExpression="REMOVE GSI2PK, GSI2SK")

    (log_id, log_user, log_action, log_created), = execute(
        source, "SELECT id, user_id, action, created_at FROM usage_logs WHERE created_at >= :m AND id < 900000 "
                "ORDER BY id LIMIT 1", m=midnight)
    item = ITEM_SPECS["ulog"].to_item({"id": log_id, "user_id": log_user, "action": log_action, "problem_id": None,
                                       "metadata": "{}", "created_at": log_created})
    client.delete_item(TableName=table, Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}})
    clients.table_resource(target).put_item(Item={**item, "PK": usage_pk(log_user, log_created - dt.timedelta(days=1))})

    (cases_platform, cases_number, missing_case), = execute(
        source, "SELECT p.platform, p.problem_id, MAX(t.id) FROM problems p JOIN test_cases t ON t.problem_id = p.id "
                "WHERE p.id <> :e GROUP BY p.id HAVING COUNT(*) >= 2 ORDER BY p.id LIMIT 1", e=edited_id)
    client.delete_item(TableName=table, Key={"PK": {"S": problem_pk(cases_platform, cases_number)},
                                             "SK": {"S": case_sk(missing_case)}})

    (moved_user,), = execute(source, "SELECT id FROM users ORDER BY id DESC LIMIT 1")
    execute(source, "UPDATE users SET email = 'Changed.Unsynced@Example.org' WHERE id = :u", u=moved_user)
    (log_limit,), = execute(source, "SELECT COALESCE(CASE :a WHEN 'hint' THEN p.max_hints_per_day "
                                    "ELSE p.max_executions_per_day END, -1) FROM users u LEFT JOIN subscription_plans p "
                                    "ON p.id = u.subscription_plan_id WHERE u.id = :u", a=log_action, u=log_user)
    faults = {  # fault -> (the pattern that must name it, the question that shows it)
        "attribute edited": ("problem", {"platform": edited_platform, "number": edited_number}),
        "GSI2 key removed": ("public_timeline", {"page": 1, "page_size": 20}),
        "usage in the wrong day": ("rate_limit", {"user_id": log_user, "action": log_action, "limit": log_limit}),
        "test case missing": ("problem_with_testcases", {"platform": cases_platform, "number": cases_number}),
        "email changed, not synced": ("login_email", {"email": mixed_case("Changed.Unsynced@Example.org")}),
    }
    return source, target, faults, {"newest_public": newest_public, "moved_user": moved_user}


def test_check_reads_finds_every_planted_fault_and_names_its_pattern(faulty, tmp_path):
    source, target, faults, planted = faulty
    code, out, err = run_cli("check-reads", *connection_flags(source, target), "--sample", SAMPLE,
                             "--report", str(tmp_path / "reads.json"))
    report = json.loads((tmp_path / "reads.json").read_text())
    assert code == 1, out + err
    for fault, (key, params) in faults.items():
        found = [d for d in pattern(report, key)["differences"]
                 if all(d["params"].get(name) == value for name, value in params.items() if name != "page_size")]
        assert found, f"{fault}: no difference in {key} for {params}"
        assert found[0]["mysql"] != found[0]["dynamodb"], fault
    assert pattern(report, "problem")["differences"][0]["paths"] == ["dat.tit"]
    assert pattern(report, "problem")["differences"][0]["dynamodb"]["dat"]["tit"] == "edited"
    first_page = pattern(report, "public_timeline")["differences"][0]
    assert first_page["mysql"]["rows"][0]["dat"]["id"] == planted["newest_public"]
    assert planted["newest_public"] not in [row["dat"]["id"] for row in first_page["dynamodb"]["rows"]]
    wrong_day = [d for d in pattern(report, "rate_limit")["differences"] if "count" in d["paths"]][0]
    assert wrong_day["mysql"]["count"] == wrong_day["dynamodb"]["count"] + 1
    assert pattern(report, "problem_with_testcases")["different"] == 2  # the edited problem and the missing case
    unsynced = [d for d in pattern(report, "user_by_id")["differences"] if d["params"]["user_id"] == planted["moved_user"]]
    assert unsynced[0]["paths"] == ["dat.em"] and unsynced[0]["mysql"]["dat"]["pwd"].startswith("sha256:")
    assert pattern(report, "job_status")["different"] == 0  # nothing planted there, nothing found
    assert pattern(report, "job_progress")["different"] == 0


@pytest.mark.parametrize("fault", ["attribute edited", "GSI2 key removed", "usage in the wrong day",
                                   "test case missing", "email changed, not synced"])
def test_the_shadow_wrapper_finds_each_planted_fault_and_answers_from_mysql(faulty, fault):
    source, target, faults, _ = faulty
    key, params = faults[fault]
    params = {**params, "now": utc_now()}
    shadowed, published = Shadow(rng=random.Random(1)), []
    shadowed.add_hook(published.append)
    repositories = Repositories(clients.table_resource(target))
    engine = make_engine(source)
    try:
        with engine.connect() as conn:
            answer = shadowed(key, control=lambda: FORMS[key](conn, params),
                              candidate=lambda: CANDIDATES[key](repositories, params),
                              compare=same_answer(key, **params))
            assert answer == FORMS[key](conn, params)
    finally:
        engine.dispose()
    assert [(r.name, r.outcome) for r in published] == [(key, MISMATCH)]
    assert published[0].control == answer and published[0].candidate != answer


def test_the_shadow_wrapper_in_the_background_and_with_a_candidate_that_raises(faulty, new_table_config):
    source, target, faults, _ = faulty
    key, params = faults["email changed, not synced"]
    done, published = threading.Event(), []
    shadowed = Shadow()
    shadowed.add_hook(lambda result: (published.append(result), done.set()))
    gone = Repositories(clients.table_resource(new_table_config("gone")))  # never created: every call raises
    engine = make_engine(source)
    try:
        with engine.connect() as conn:
            control = FORMS[key](conn, params)
            assert control["email"] == "Changed.Unsynced@Example.org"
            assert shadowed(key, lambda: FORMS[key](conn, params), lambda: CANDIDATES[key](gone, params),
                            compare=same_answer(key, **params), background=True) == control
            assert done.wait(30)
    finally:
        shadowed.close()
        engine.dispose()
    assert [(r.name, r.outcome, type(r.error).__name__) for r in published] == [(key, CANDIDATE_ERROR, "ResourceNotFoundException")]
