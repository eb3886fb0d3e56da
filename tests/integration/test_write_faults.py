"""The writer against DynamoDB Local behind our fault-injecting proxy: nothing is ever lost.

For each fault at a 25% rate, and for a 10-second outage mid-run, a migration of more than
5,000 items ends with deep verify all ok and no dead letters. A poison item is dead-lettered
alone while its batch-mates are written; duplicate keys fail the dry run; replay re-sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from connectors.dynamodb.beam_io import WriterSettings, WriteToDynamoDB
from connectors.retry import RetryPolicy
from connectors.dynamodb.wire import encode_item
from tests.integration.helpers import (
    connection_flags, execute, new_table, run_cli, scan_all, seeded, wait_while_running,
)
from tests.support.fault_proxy import FaultPlan, FaultProxy

pytestmark = pytest.mark.integration

FAULTS = {
    "unprocessed": FaultPlan(unprocessed=0.25),
    "throttle": FaultPlan(throttle=0.25),
    "error_500": FaultPlan(error_500=0.25),
    "reset": FaultPlan(reset=0.25),
    "latency": FaultPlan(latency_rate=0.25, latency_seconds=0.25),
}


@pytest.fixture(scope="module")
def source(seeded_database):
    return seeded_database(scale=10, prefix="algoitny_faults")  # about 5,600 items


def fresh(new_table_config):
    return new_table(new_table_config, "fault")


def assert_deep_equal(source, target, tmp_path):
    code, out, err = run_cli("verify", "--deep", "--report", str(tmp_path / "deep.json"),
                             *connection_flags(source, target))
    assert code == 0, out + err
    report = json.loads((tmp_path / "deep.json").read_text())
    assert sum(e["ok"] for e in report["entities"].values()) > 5000


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_migration_through_a_faulty_network_loses_nothing(fault, source, new_table_config, tmp_path):
    target = fresh(new_table_config)
    dead_letters = tmp_path / "dead.jsonl"
    with FaultProxy(target.endpoint_url, FAULTS[fault]) as proxy:
        code, out, err = run_cli("migrate", "--mysql-url", source.url, "--endpoint-url", proxy.url,
                                 "--table", target.table, "--dead-letter", str(dead_letters),
                                 "--report", str(tmp_path / "m.json"))
    assert code == 0, out + err
    assert not dead_letters.exists()
    injected = proxy.counts.injected.get(fault, 0)
    assert injected >= 20, proxy.counts  # the faults really happened
    writes = json.loads((tmp_path / "m.json").read_text())["writes"]
    if fault == "latency":  # slow, not failed: nothing to retry
        assert writes["retries"] == 0, writes
    else:  # every failed BatchWriteItem was tried again (none was dead-lettered)
        assert writes["retries"] >= injected, (writes, proxy.counts)
    if fault == "throttle":
        assert writes["throttled"] == injected, (writes, proxy.counts)
    if fault == "unprocessed":
        assert writes["unprocessed_resent"] >= injected, (writes, proxy.counts)
    assert_deep_equal(source, target, tmp_path)


def test_a_ten_second_outage_mid_run_loses_nothing(source, new_table_config, tmp_path):
    target = fresh(new_table_config)
    dead_letters = tmp_path / "dead.jsonl"
    with FaultProxy(target.endpoint_url, FaultPlan(latency_rate=1.0, latency_seconds=0.02)) as proxy:
        command = [os.path.join(os.path.dirname(sys.executable), "algoitny-etl"), "migrate",
                   "--mysql-url", source.url, "--endpoint-url", proxy.url, "--table", target.table,
                   "--dead-letter", str(dead_letters), "--report", str(tmp_path / "m.json")]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_while_running(process, lambda: proxy.counts.forwarded >= 40, 120,  # mid-run: ~1,000 items in
                           "the outage could start")
        outage_started = time.monotonic()
        proxy.outage(10)
        out, _ = process.communicate(timeout=600)
        took = time.monotonic() - outage_started
    assert process.returncode == 0, out
    assert took >= 10, "the migration cannot have finished during the outage"
    assert json.loads((tmp_path / "m.json").read_text())["writes"]["retries"] > 0, out  # it rode the outage out
    assert not dead_letters.exists()
    assert_deep_equal(source, target, tmp_path)


def test_a_poison_item_is_dead_lettered_alone_and_its_batch_mates_are_written(new_table_config):
    target = fresh(new_table_config)
    items = [{"PK": f"P#{i}", "SK": "META", "tp": "probe", "dat": {"id": i}} for i in range(60)]
    items[17]["dat"]["big"] = "x" * 410_000  # over 400 KB: DynamoDB refuses it
    items[41]["GSI1PK"], items[41]["GSI1SK"] = "", "x"  # an empty index key: refused too
    with TestPipeline() as p:
        failed = (p | beam.Create([encode_item(item) for item in items])
                  | WriteToDynamoDB(target, WriterSettings(concurrency=4, policy=RetryPolicy(max_attempts=3))))
        assert_that(failed | beam.Map(lambda d: (d["key"]["PK"], d["stage"], d["code"], "ValidationException" in
                                                 d["reason"])),
                    equal_to([("P#17", "write", "write_refused", True), ("P#41", "write", "write_refused", True)]))
    written = {i["PK"]["S"] for i in scan_all(target)}
    assert written == {f"P#{i}" for i in range(60)} - {"P#17", "P#41"}


def test_rows_that_map_to_the_same_key_fail_the_dry_run_and_are_named(seeded_database, new_table_config, tmp_path):
    config = seeded_database(prefix="algoitny_dupes")
    copy = ("INSERT INTO problems SELECT {id}, {platform}, problem_id, 'copy', problem_url, tags, solution_code, "
            "language, constraints, is_completed, is_deleted, deleted_at, deleted_reason, metadata, needs_review, "
            "review_notes, verified_by_admin, reviewed_at, created_at FROM problems WHERE id = {of}")
    execute(config, "ALTER TABLE problems DROP INDEX problems_platform_problem_id",  # a legacy table without it
            copy.format(id=99999, platform="platform", of=3), copy.format(id=99998, platform="'Baekjoon'", of=4))
    target = new_table_config()
    code, out, err = run_cli("migrate", "--dry-run", "--entity", "problems", "--dead-letter",
                             str(tmp_path / "dead.jsonl"), "--report", str(tmp_path / "r.json"),
                             *connection_flags(config, target))
    assert code == 1, out + err
    assert json.loads((tmp_path / "r.json").read_text())["dead_letters"] == {"problems": {"duplicate_key": 2}}
    records = [json.loads(line) for line in (tmp_path / "dead.jsonl").open()]
    assert sorted(r["key"] for r in records) == [3, 99999]  # 'Baekjoon' vs 'baekjoon' are different keys
    assert all("rows 3, 99999 all map to the same prob key" in r["reason"] for r in records)


def test_replay_resends_after_the_cause_is_fixed(source, new_table_config, tmp_path):
    target = fresh(new_table_config)
    dead_letters = tmp_path / "dead.jsonl"
    # DynamoDB unreachable for the whole run with a short retry bound: everything is dead-lettered.
    with FaultProxy(target.endpoint_url, FaultPlan(error_500=1.0)) as proxy:
        code, out, err = run_cli("migrate", "--entity", "plans,tasks", "--write-max-attempts", "2",
                                 "--mysql-url", source.url, "--endpoint-url", proxy.url, "--table", target.table,
                                 "--dead-letter", str(dead_letters))
    assert code == 1, out + err
    records = [json.loads(line) for line in dead_letters.open()]
    assert records and all(r["code"] == "write_retries_exhausted" for r in records)
    assert scan_all(target) == []
    # The network is fixed: replay writes them all, and verify agrees.
    code, out, err = run_cli("replay", str(dead_letters), *connection_flags(source, target))
    assert code == 0, out + err
    assert len(scan_all(target)) == len(records)
    code, out, err = run_cli("verify", "--deep", "--entity", "plans,tasks", *connection_flags(source, target))
    assert code == 0, out + err


def test_replay_rereads_rows_fixed_at_the_source(seeded_database, new_table_config, tmp_path):
    config = seeded_database(prefix="algoitny_fixlater")
    execute(config, "ALTER TABLE problems MODIFY metadata LONGTEXT NOT NULL",
            "UPDATE problems SET metadata = '{broken' WHERE id IN (2, 5)")
    target = fresh(new_table_config)
    dead_letters = tmp_path / "dead.jsonl"
    assert run_cli("migrate", "--entity", "problems", "--dead-letter", str(dead_letters),
                   *connection_flags(config, target))[0] == 1
    assert sorted(json.loads(line)["key"] for line in dead_letters.open()) == [2, 5]
    code, out, err = run_cli("replay", str(dead_letters), "--dead-letter", str(tmp_path / "still.jsonl"),
                             *connection_flags(config, target))
    assert code == 1, out + err  # not fixed yet: both fail again, each with its reason
    assert sorted((r["key"], r["code"]) for r in map(json.loads, (tmp_path / "still.jsonl").open())) == [
        (2, "invalid_json"), (5, "invalid_json")]
    execute(config, "UPDATE problems SET metadata = :fixed WHERE id IN (2, 5)", fixed='{"fixed": true}')
    code, out, err = run_cli("replay", str(dead_letters), *connection_flags(config, target))
    assert code == 0, out + err
    assert run_cli("verify", "--deep", "--entity", "problems", *connection_flags(config, target))[0] == 0


def test_max_write_rate_paces_the_load(source, new_table_config):
    target = fresh(new_table_config)
    started = time.monotonic()
    code, out, err = run_cli("migrate", "--entity", "plans,tasks,jobs", "--max-write-rate", "150",
                             *connection_flags(source, target))
    elapsed = time.monotonic() - started
    assert code == 0, err
    units = sum(1 for _ in scan_all(target))  # every item here is under 1 KB and in no index: 1 unit each
    assert units > 300
    assert elapsed >= (units - 150) / 150, f"{units} units in {elapsed:.1f} s is faster than 150/s"


def test_write_units_computed_in_advance_equal_what_dynamodb_reports(source, new_table_config, tmp_path):
    target = fresh(new_table_config)
    code, out, err = run_cli("migrate", "--entity", "users,history", "--consumed-capacity", "total",
                             "--report", str(tmp_path / "r.json"), *connection_flags(source, target))
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["writes"]["consumed_write_units"] == report["totals"]["write_units"] > 0


def test_a_load_against_a_provisioned_capacity_settles_under_it_and_loses_nothing(source, new_table_config, tmp_path):
    target = fresh(new_table_config)
    dead_letters = tmp_path / "dead.jsonl"
    with FaultProxy(target.endpoint_url, FaultPlan(capacity=600)) as proxy:
        code, out, err = run_cli("migrate", "--mysql-url", source.url, "--endpoint-url", proxy.url,
                                 "--table", target.table, "--dead-letter", str(dead_letters))
    assert code == 0, out + err
    assert not dead_letters.exists()
    pushed_back = proxy.counts.injected.get("throttle", 0) + proxy.counts.injected.get("unprocessed", 0)
    assert pushed_back >= 1, proxy.counts  # the capacity really was reached
    assert pushed_back < proxy.counts.requests / 2, proxy.counts  # and the writer backed off instead of hammering
    assert_deep_equal(source, target, tmp_path)
