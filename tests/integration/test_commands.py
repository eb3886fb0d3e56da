"""The commands' promises beyond a clean migration: dry run, verify catching a loss, dead
letters, init's schema check, pre-flight errors, passwords kept out of output, seed safety."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import uuid

import pytest
import sqlalchemy as sa

from connectors.dynamodb import clients
from connectors.mysql.key_ranges import split_key_ranges
from connectors.mysql.queries import stream_range
from pipelines.init_table import init_table
from sample_data.generate import SeedCounts
from sample_data.load import SeedRefused, seed
from schema.entities import SOURCE_SPECS
from schema.table import TableSpec
from tests.integration.helpers import connection_flags, counts_by_type, execute, run_cli, scan_all, seeded

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small_source(seeded_database):
    return seeded_database()


def test_dry_run_writes_nothing_and_counts_everything(small_source, new_table_config, tmp_path):
    target = new_table_config()
    assert init_table(target, out=io.StringIO()) == 0
    code, out, err = run_cli("migrate", "--dry-run", "--report", str(tmp_path / "r.json"),
                             *connection_flags(small_source, target))
    assert code == 0, err
    users = execute(small_source, "SELECT COUNT(*) FROM users")[0][0]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["dry_run"] is True and report["writes"] is None and report["run"]["run_id"] is None
    assert (report["entities"]["usr"]["rows_read"], report["entities"]["usr"]["items"]) == (users, users)
    assert report["entities"]["usr"]["written"] is None
    assert report["totals"]["write_units"] >= report["totals"]["items"] > users  # priced though not written
    assert scan_all(target) == []


def test_dry_run_needs_no_table(small_source, new_table_config):
    target = new_table_config()
    code, _, err = run_cli("migrate", "--dry-run", "--entity", "plans", *connection_flags(small_source, target))
    assert code == 0, err


def test_verify_catches_a_lost_item_and_an_extra_one(small_source, new_table_config, tmp_path):
    target = new_table_config()
    assert init_table(target, out=io.StringIO()) == 0
    flags = connection_flags(small_source, target)
    assert run_cli("migrate", "--entity", "plans,tasks", *flags)[0] == 0
    assert run_cli("verify", "--entity", "plans,tasks", *flags)[0] == 0
    client = clients.client(target)
    client.delete_item(TableName=target.table, Key={"PK": {"S": "PLAN#2"}, "SK": {"S": "META"}})
    client.put_item(TableName=target.table, Item={"PK": {"S": "TRES#extra"}, "SK": {"S": "META"},
                                                   "tp": {"S": "tres"}, "dat": {"M": {}}})
    # Items of types the run does not verify are not counted.
    client.put_item(TableName=target.table, Item={"PK": {"S": "USR#999"}, "SK": {"S": "META"}, "tp": {"S": "usr"}})
    code, out, err = run_cli("verify", "--entity", "plans,tasks", "--report", str(tmp_path / "v.json"), *flags)
    assert code == 1, out + err
    report = json.loads((tmp_path / "v.json").read_text())
    assert {tp: e["difference"] for tp, e in report["entities"].items()} == {"plan": -1, "tres": +1}
    plans = execute(small_source, "SELECT COUNT(*) FROM subscription_plans")[0][0]
    assert (report["entities"]["plan"]["source"], report["entities"]["plan"]["target"]) == (plans, plans - 1)


def test_rows_that_cannot_be_migrated_are_dead_lettered_counted_and_reported(new_database, new_table_config,
                                                                              tmp_path):
    source = new_database()
    seed(source, SeedCounts.for_scale(1), out=io.StringIO())
    execute(source,
            "SET FOREIGN_KEY_CHECKS = 0",
            "INSERT INTO test_cases (id, problem_id, input, output, created_at) "
            "VALUES (900001, 424242, 'in', 'out', UTC_TIMESTAMP(6))",
            "INSERT INTO job_progress_history (id, content_type_id, object_id, step, message, status, created_at) "
            "VALUES (900002, 1, 5, 'x', 'y', 'started', UTC_TIMESTAMP(6))",
            "SET FOREIGN_KEY_CHECKS = 1")
    target = new_table_config()
    assert init_table(target, out=io.StringIO()) == 0
    dead_letter_path = tmp_path / "dead.jsonl"
    code, out, err = run_cli("migrate", "--entity", "problems,jobs", "--dead-letter", str(dead_letter_path),
                             "--report", str(tmp_path / "r.json"), *connection_flags(source, target))
    assert code == 1, out + err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["dead_letters"] == {"test_cases": {"missing_parent": 1},
                                      "job_progress_history": {"unknown_content_type": 1}}
    assert report["totals"]["dead_letters"] == 2
    records = sorted((json.loads(line) for line in dead_letter_path.read_text().splitlines()),
                     key=lambda r: r["key"])
    assert [(r["table"], r["key"]) for r in records] == [("test_cases", 900001), ("job_progress_history", 900002)]
    assert "problem 424242, which does not exist" in records[0]["reason"]
    assert "model 'logentry'" in records[1]["reason"]
    assert records[0]["row"]["input"] == "in"
    # Everything else was written; verify sees the two missing items.
    assert run_cli("verify", "--entity", "problems,jobs", *connection_flags(source, target))[0] == 1
    test_cases = execute(source, "SELECT COUNT(*) FROM test_cases")[0][0]
    assert counts_by_type(scan_all(target))["tc"] == test_cases - 1


def test_init_is_idempotent_and_names_schema_differences(new_table_config):
    target = new_table_config()
    assert run_cli("init", "--endpoint-url", target.endpoint_url, "--table", target.table)[0] == 0
    client = clients.client(target)
    created = client.describe_table(TableName=target.table)["Table"]["CreationDateTime"]
    code, out, err = run_cli("init", "--endpoint-url", target.endpoint_url, "--table", target.table)
    assert code == 0, out + err
    assert client.describe_table(TableName=target.table)["Table"]["CreationDateTime"] == created  # left as it was
    ttl = client.describe_time_to_live(TableName=target.table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}

    other = new_table_config()
    request = TableSpec(name=other.table).create_table_request(with_stream=False)
    request["GlobalSecondaryIndexes"][1]["Projection"] = {"ProjectionType": "ALL"}
    clients.client(other).create_table(**request)
    code, _, err = run_cli("init", "--endpoint-url", other.endpoint_url, "--table", other.table)
    assert code == 1 and "GSI2 projection is ALL, expected KEYS_ONLY" in err

    code, _, err = run_cli("init", "--recreate", "--endpoint-url", other.endpoint_url, "--table", other.table)
    assert code == 2 and "--yes" in err
    assert run_cli("init", "--recreate", "--yes", "--endpoint-url", other.endpoint_url, "--table", other.table)[0] == 0
    assert run_cli("init", "--endpoint-url", other.endpoint_url, "--table", other.table)[0] == 0


def test_streams_on_request_on_a_local_endpoint(new_table_config):
    plain, streamed = new_table_config(), new_table_config()
    assert run_cli("init", "--endpoint-url", plain.endpoint_url, "--table", plain.table)[0] == 0
    assert run_cli("init", "--stream", "--endpoint-url", streamed.endpoint_url, "--table", streamed.table)[0] == 0
    client = clients.client(plain)
    assert not client.describe_table(TableName=plain.table)["Table"].get("StreamSpecification")
    assert client.describe_table(TableName=streamed.table)["Table"]["StreamSpecification"] == {
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_migrate_stops_before_starting_when_the_table_is_missing(small_source, new_table_config):
    target = new_table_config()
    code, _, err = run_cli("migrate", *connection_flags(small_source, target))
    assert code == 2 and "does not exist; run `algoitny-etl init` first" in err


def test_migrate_stops_before_starting_when_a_source_table_is_missing(new_database, new_table_config):
    code, _, err = run_cli("migrate", "--dry-run", *connection_flags(new_database(), new_table_config()))
    assert code == 2 and "has no table" in err and "algoitny-etl seed" in err


def test_passwords_never_appear_in_output(small_source, new_table_config):
    user, password = f"etl_{uuid.uuid4().hex[:6]}", f"Pw-{uuid.uuid4().hex}"
    database = sa.engine.make_url(small_source.url).database
    execute(small_source, f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'",
            f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'")
    try:
        url = sa.engine.make_url(small_source.url).set(username=user, password=password)
        good = url.render_as_string(hide_password=False)
        bad = url.set(password=password + "-wrong").render_as_string(hide_password=False)
        target = new_table_config()
        env = {**os.environ, "MYSQL_URL": good}
        refused = f"Access denied for user '{user}'"  # the wrong password, not any other failure
        for args, expected_code, says in ((["migrate", "--dry-run", "--entity", "plans", "--verbose"], 0, "***"),
                                          (["migrate", "--dry-run", "--mysql-url", bad], 2, refused),
                                          (["verify", "--mysql-url", bad], 2, refused)):
            done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "algoitny-etl"), *args,
                                   "--endpoint-url", target.endpoint_url, "--table", target.table],
                                  env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == expected_code and says in done.stdout + done.stderr, done.stdout + done.stderr
            assert password not in done.stdout + done.stderr
            assert "***" in done.stdout + done.stderr
    finally:
        execute(small_source, f"DROP USER '{user}'@'%'")


@pytest.mark.parametrize("table, rows_per_range", [("usage_logs", 37), ("task_results", 3), ("users", 1000)])
def test_key_ranges_cover_every_row_exactly_once(small_source, table, rows_per_range):
    source = SOURCE_SPECS[table]
    engine = sa.create_engine(small_source.url)
    try:
        with engine.connect() as conn:
            ranges = split_key_ranges(conn, source, rows_per_range)
        read = [row[source.key] for key_range in ranges for row in stream_range(engine, source, key_range)]
        expected = [r[0] for r in execute(small_source, f"SELECT `{source.key}` FROM `{table}`")]
    finally:
        engine.dispose()
    assert sorted(read) == sorted(expected)
    assert len(read) == len(set(read))
    assert len(ranges) >= len(expected) // rows_per_range


def test_seed_refuses_tables_it_did_not_create(new_database):
    config = new_database()
    execute(config, "CREATE TABLE users (id BIGINT PRIMARY KEY)", "INSERT INTO users VALUES (1)")
    with pytest.raises(SeedRefused, match="that seed did not create"):
        seed(config, SeedCounts.for_scale(1), replace=True, out=io.StringIO())
    assert execute(config, "SELECT COUNT(*) FROM users")[0][0] == 1


def test_seed_replaces_only_with_replace(new_database):
    config = new_database()
    seed(config, SeedCounts.for_scale(1), out=io.StringIO())
    with pytest.raises(SeedRefused, match="--replace"):
        seed(config, SeedCounts.for_scale(1), out=io.StringIO())
    seed(config, SeedCounts.for_scale(1), replace=True, out=io.StringIO())
    assert execute(config, "SELECT COUNT(*) FROM usage_logs")[0][0] == 400


def test_live_schema_matches_the_specs(small_source):
    engine = sa.create_engine(small_source.url)
    try:
        inspector = sa.inspect(engine)
        for table, source in SOURCE_SPECS.items():
            assert [c["name"] for c in inspector.get_columns(table)] == list(source.columns)
    finally:
        engine.dispose()


@pytest.mark.parametrize("lines, line, words", [
    (['{"a": 1}'], 1, "stage"),  # JSON, but not a dead letter: once a false "all 1 resolved"
    (["not json at all"], 1, "not JSON"),
    (["", json.dumps({"stage": "map", "table": "users", "key": 1, "code": "x", "reason": "r",
                      "row": {"id": 1}}), '{"stage": "write", "item": {"PK": {"S": "PLAN#1"}}}'], 3, "SK"),
    ([json.dumps({"stage": "map", "table": "accounts", "key": 1, "row": {"id": 1}})], 1, "accounts"),
])
def test_replay_refuses_a_file_that_is_not_dead_letters(small_source, new_table_config, tmp_path, lines, line, words):
    target = new_table_config()
    assert init_table(target, out=io.StringIO()) == 0
    path = tmp_path / "junk.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli("replay", str(path), *connection_flags(small_source, target))
    assert code == 2, out + err
    assert f"{path}, line {line}: " in err and words in err
    assert scan_all(target) == []  # nothing written, not even the good line before the bad one


def test_no_folder_is_left_behind_by_a_run_that_ends_or_fails(small_source, new_table_config, tmp_path, monkeypatch):
    from tests.support.fault_proxy import FaultPlan, FaultProxy
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    monkeypatch.chdir(tmp_path)  # the default dead-letter folder is ./dead-letters
    target = new_table_config()
    assert init_table(target, out=io.StringIO()) == 0
    assert run_cli("migrate", "--entity", "plans", *connection_flags(small_source, target))[0] == 0
    with FaultProxy(target.endpoint_url, FaultPlan(refuse="ResourceNotFoundException")) as proxy:
        code, out, err = run_cli("migrate", "--entity", "plans", "--mysql-url", small_source.url, "--endpoint-url",
                                 proxy.url, "--table", target.table)
    assert code == 2 and "migrate: stopped: DynamoDB refused a BatchWriteItem" in err, out + err  # mid-run, not before
    assert list(system_temp.iterdir()) == []
    assert [p.name for p in (tmp_path / "dead-letters").iterdir()] == []
