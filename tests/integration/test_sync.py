"""`algoitny-etl sync` against a real MariaDB with the binary log on, and DynamoDB Local.

Every kind of change (each key move, deletes, insert-then-delete, repeated updates, TTL),
a burst of application activity, changes made while migrate reads; then `verify --deep`
must be clean. Also: a second sync with nothing new changes nothing; two syncs at once (one
works, one exits 3); a purged checkpoint (exit 2); --dry-run writes nothing; refusals; a
change that cannot be written (dead letter, checkpoint stays); the watermark mode.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

import dataclasses
from types import MappingProxyType

from connectors.dynamodb import clients
from connectors.mysql.binlog import start_marks
from sample_data.activity import burst
from schema.codecs import TEXT
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from schema.spec import Join, attributes
from schema.state_items import lease_key
from state.sync_checkpoints import SyncState
from tests.integration.helpers import (
    connection_flags, copy_database, copy_items, count_type, execute, new_table, run_cli, scan_all, seeded,
    start_migrate, wait_until, wait_while_running,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def migrated_once(seeded_binlog_database, new_table_config):
    """The sample data on the binlog server, migrated by the tool (which records the checkpoints)."""
    source = seeded_binlog_database()
    target = new_table(new_table_config, "synctpl")
    code, out, err = run_cli("migrate", *connection_flags(source, target))
    assert code == 0, err
    checkpoints = SyncState(target).checkpoints()
    assert set(checkpoints) == set(SOURCE_SPECS) and all(c.binlog for c in checkpoints.values()), checkpoints
    return source, target


@pytest.fixture
def migrated(migrated_once, new_binlog_database, new_table_config):
    """A migrated source of this test's own, as migrate leaves it, in a second instead of a pipeline
    run: a copy of migrated_once's database and of its table's items, and the sync checkpoints
    recorded through the tool's own state store at the copy's start marks (taken after the copy,
    as migrate takes them before it reads)."""
    template_source, template_target = migrated_once
    source = copy_database(template_source, new_binlog_database())
    target = new_table(new_table_config, "sync")
    assert copy_items(template_target, target) == len(scan_all(template_target)) > 0
    position, watermarks, no_binlog = start_marks(source, [(t, s.key, s.key_is_integer)
                                                           for t, s in SOURCE_SPECS.items()])
    assert position is not None, no_binlog
    SyncState(target).record_migrated(tuple(SOURCE_SPECS), position, watermarks, f"copy-of-{template_target.table}")
    return source, target


def sync(source, target, *args):
    return run_cli("sync", *args, *connection_flags(source, target))


def deep_verify_is_clean(source, target):
    code, out, err = run_cli("verify", "--deep", *connection_flags(source, target))
    assert code == 0, out + err


def item(target, pk, sk="META"):
    return clients.client(target).get_item(TableName=target.table, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                           ConsistentRead=True).get("Item")


def snapshot(target):
    return sorted(json.dumps(i, sort_keys=True) for i in scan_all(target))


def test_every_kind_of_change_reaches_the_table(migrated, tmp_path):
    source, target = migrated
    user_with_gid, user_without_gid = (execute(source, f"SELECT id FROM users WHERE google_id IS {c} ORDER BY id "
                                               "LIMIT 1")[0][0] for c in ("NOT NULL", "NULL"))
    other_with_gid = execute(source, "SELECT id FROM users WHERE google_id IS NOT NULL ORDER BY id DESC LIMIT 1")[0][0]
    platform, number = execute(source, "SELECT platform, problem_id FROM problems WHERE id = 1")[0]
    cases = [r[0] for r in execute(source, "SELECT id FROM test_cases WHERE problem_id = 1 ORDER BY id")]
    public, private = (execute(source, f"SELECT id FROM search_history WHERE is_code_public = {v} ORDER BY id "
                                       "LIMIT 1")[0][0] for v in (1, 0))
    execute(source,
            f"UPDATE users SET email = 'Moved.Email@Example.NET' WHERE id = {user_without_gid}",  # GSI1 key moves
            f"UPDATE users SET google_id = 'gid-set' WHERE id = {user_without_gid}",  # usr_gid appears
            f"UPDATE users SET google_id = 'gid-changed' WHERE id = {other_with_gid}",  # usr_gid moves (GSI1)
            f"UPDATE users SET google_id = NULL WHERE id = {user_with_gid}",  # usr_gid goes
            f"UPDATE search_history SET is_code_public = 0 WHERE id = {public}",  # GSI2 keys go
            f"UPDATE search_history SET is_code_public = 1 WHERE id = {private}",  # GSI2 keys appear
            "UPDATE problems SET problem_id = 'renamed-1' WHERE id = 1",  # prob and its test cases move
            "UPDATE subscription_plans SET name = 'First' WHERE id = 2",
            "UPDATE subscription_plans SET name = 'Last' WHERE id = 2",  # repeated: the last state wins
            "INSERT INTO usage_logs (id, user_id, action, problem_id, metadata, created_at) "
            "VALUES (900001, 1, 'hint', NULL, '{}', UTC_TIMESTAMP(6))",
            "DELETE FROM usage_logs WHERE id = 900001",  # inserted and deleted in the window: nothing
            "INSERT INTO usage_logs (id, user_id, action, problem_id, metadata, created_at) "
            "VALUES (900002, 1, 'hint', NULL, '{}', UTC_TIMESTAMP(6) - INTERVAL 100 DAY)",  # expired: not written
            "UPDATE usage_logs SET created_at = UTC_TIMESTAMP(6) - INTERVAL 120 DAY "
            "WHERE id = (SELECT id FROM (SELECT MAX(id) AS id FROM usage_logs "
            "WHERE created_at > UTC_TIMESTAMP(6) - INTERVAL 10 DAY AND id < 900000) x)",  # now expired: goes
            f"DELETE FROM search_history WHERE id = {public + 1}",
            f"DELETE FROM test_cases WHERE id = {cases[-1]}")
    code, out, err = sync(source, target, "--report", str(tmp_path / "sync.json"))
    assert code == 0, out + err
    report = json.loads((tmp_path / "sync.json").read_text())
    entities = report["entities"]
    assert entities["usr"]["puts"] >= 1 and entities["usr_gid"]["deletes"] >= 1
    assert entities["prob"]["key_moves"] == 1 and entities["tc"]["key_moves"] == len(cases) - 1
    # Index keys move too: the email (GSI1), the changed Google id (GSI1), history made private and public (GSI2).
    assert (entities["usr"]["key_moves"], entities["usr_gid"]["key_moves"], entities["hist"]["key_moves"]) == (1, 1, 2)
    assert report["checkpoint_advanced"] and report["lag_seconds"] is not None
    assert report["writes"]["requests"] > 0 and report["writes"]["bytes"] > 0
    assert report["window"]["from"] != report["window"]["to"]

    assert item(target, f"USR#{user_with_gid}", "GID") is None
    assert item(target, f"USR#{user_without_gid}", "GID")["GSI1PK"]["S"] == "GID#gid-set"
    assert item(target, f"USR#{user_without_gid}")["GSI1PK"]["S"] == "EMAIL#moved.email@example.net"
    assert "GSI2PK" not in item(target, f"HIST#{public}") and "GSI2PK" in item(target, f"HIST#{private}")
    assert item(target, f"PROB#{platform}#{number}") is None
    moved = clients.client(target).query(TableName=target.table, KeyConditionExpression="PK = :pk",
                                         ExpressionAttributeValues={":pk": {"S": f"PROB#{platform}#renamed-1"}})
    assert sorted(i["SK"]["S"] for i in moved["Items"]) == ["META"] + [f"TC#{c:012d}" for c in cases[:-1]]
    assert item(target, "PLAN#2")["dat"]["M"]["nm"] == {"S": "Last"}
    assert not [i for i in scan_all(target) if i["PK"]["S"].startswith("USR#1#ULOG#")
                and i["SK"]["S"].endswith(("000000900001", "000000900002"))]
    deep_verify_is_clean(source, target)


def test_a_burst_of_activity_syncs_clean_and_a_second_sync_changes_nothing(migrated, tmp_path):
    source, target = migrated
    burst(source, 800, seed=11)
    code, out, err = sync(source, target)
    assert code == 0, out + err
    deep_verify_is_clean(source, target)
    before = snapshot(target)
    code, out, err = sync(source, target, "--report", str(tmp_path / "again.json"))
    assert code == 0, out + err
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["totals"] == {"puts": 0, "deletes": 0, "key_moves": 0, "dead_letters": 0}
    assert snapshot(target) == before


def test_changes_made_while_migrate_reads_are_carried_by_the_first_sync(seeded_binlog_database, new_table_config,
                                                                          tmp_path):
    source = seeded_binlog_database(scale=2)
    target = new_table(new_table_config, "sync")
    migrate = start_migrate("--rows-per-range", "50", "--max-write-rate", "150", "--report",
                            str(tmp_path / "m.json"), *connection_flags(source, target))
    # Some key ranges written, the run still going: the burst lands on rows it has read and on rows it has not.
    wait_while_running(migrate, lambda: count_type(target, "mig_done") >= 2, what="two key ranges were written")
    burst(source, 300, seed=5)
    done_by_then = count_type(target, "mig_done")
    assert migrate.poll() is None, "the migration ended during the burst: not every change was made while it ran"
    out, _ = migrate.communicate(timeout=300)
    assert migrate.returncode == 0, out
    assert done_by_then < json.loads((tmp_path / "m.json").read_text())["run"]["ranges"]
    code, out, err = sync(source, target)
    assert code == 0, out + err
    deep_verify_is_clean(source, target)


def test_two_syncs_at_once_one_works_and_one_is_skipped(migrated):
    source, target = migrated
    burst(source, 1500, seed=3)
    first = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sync", "--max-write-rate", "200",
                              *connection_flags(source, target)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, cwd=os.getcwd())
    wait_while_running(first, lambda: item(target, lease_key()["PK"], lease_key()["SK"]) is not None, 60,
                       "the first sync took the lease")
    code, out, err = sync(source, target)
    assert code == 3, out + err  # 3: another run holds the lease; this one did nothing
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, out
    assert item(target, lease_key()["PK"], lease_key()["SK"]) is None  # released
    deep_verify_is_clean(source, target)


def test_ddl_in_another_database_of_the_server_is_not_ours(migrated, new_binlog_database):
    source, target = migrated
    other = seeded(new_binlog_database("algoitny_other"))  # CREATE/DROP TABLE users ... elsewhere, in the window
    execute(other, "ALTER TABLE users ADD COLUMN nickname VARCHAR(20) NULL")
    burst(source, 50, seed=2)
    code, out, err = sync(source, target)
    assert code == 0, out + err
    deep_verify_is_clean(source, target)


def test_dry_run_writes_nothing_and_advances_nothing(migrated, tmp_path):
    source, target = migrated
    burst(source, 200, seed=9)
    checkpoints = SyncState(target).checkpoints()
    before = snapshot(target)
    code, out, err = sync(source, target, "--dry-run", "--report", str(tmp_path / "dry.json"))
    assert code == 0, out + err
    report = json.loads((tmp_path / "dry.json").read_text())
    assert report["dry_run"] is True and report["checkpoint_advanced"] is False and report["writes"] is None
    assert report["totals"]["puts"] > 0  # it worked the window out, and wrote none of it
    assert snapshot(target) == before and SyncState(target).checkpoints() == checkpoints
    assert sync(source, target)[0] == 0
    deep_verify_is_clean(source, target)


def test_a_change_that_cannot_be_written_keeps_the_checkpoint(seeded_binlog_database, new_table_config, tmp_path):
    source = seeded_binlog_database()
    execute(source, "ALTER TABLE problems MODIFY metadata LONGTEXT NOT NULL")
    target = new_table(new_table_config, "sync")
    assert run_cli("migrate", *connection_flags(source, target))[0] == 0
    execute(source, "UPDATE problems SET metadata = '{broken' WHERE id = 2",
            "UPDATE problems SET title = 'fine' WHERE id = 3")
    checkpoints = SyncState(target).checkpoints()
    code, out, err = sync(source, target, "--dead-letter", str(tmp_path / "dead.jsonl"), "--report",
                          str(tmp_path / "s.json"))
    assert code == 1, out + err
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["checkpoint_advanced"] is False and report["totals"]["dead_letters"] == 1
    assert report["dead_letter_file"] == str(tmp_path / "dead.jsonl")
    assert [json.loads(line)["key"] for line in (tmp_path / "dead.jsonl").open()] == [2]
    assert SyncState(target).checkpoints() == checkpoints
    assert item(target, f"PROB#{execute(source, 'SELECT platform FROM problems WHERE id = 3')[0][0]}#1003")[
        "dat"]["M"]["tit"] == {"S": "fine"}  # the rest of the window was written
    execute(source, "UPDATE problems SET metadata = '{}' WHERE id = 2")  # fixed at the source
    code, out, err = sync(source, target)
    assert code == 0, out + err
    deep_verify_is_clean(source, target)


def test_what_sync_refuses(migrated, new_binlog_database, new_table_config, binlog_server_url):
    source, target = migrated
    absent = new_table_config("fresh").table
    code, _, err = run_cli("sync", "--entity", "users", "--mysql-url", source.url, "--endpoint-url",
                           target.endpoint_url, "--table", absent)
    assert code == 2 and f"table {absent} at " in err and "does not exist; run `algoitny-etl init`" in err, err
    fresh = new_table(new_table_config, "sync")
    code, _, err = sync(source, fresh, "--entity", "users")
    assert code == 2 and "no sync checkpoint for users" in err and "migrate" in err
    execute(source, "UPDATE django_content_type SET model = 'renamedjob' WHERE model = 'scriptgenerationjob'")
    code, _, err = sync(source, target, "--entity", "jobs")
    assert code == 2 and "django_content_type" in err and "migrate --entity jobs" in err
    execute(source, "ALTER TABLE users ADD COLUMN nickname VARCHAR(20) NULL")
    code, _, err = sync(source, target, "--entity", "users")
    assert code == 2 and "users.nickname" in err


def test_a_purged_checkpoint_stops_the_run(new_own_binlog_database, new_table_config):
    """On a server of its own: purging the binary logs would cut every other sync's window."""
    source = seeded(new_own_binlog_database())
    target = new_table(new_table_config, "sync")
    assert run_cli("migrate", *connection_flags(source, target))[0] == 0
    checkpoints = SyncState(target).checkpoints()
    needed = {c.binlog["file"] for c in checkpoints.values()}

    def purged() -> bool:
        # MariaDB keeps a log until InnoDB has checkpointed its transactions (PURGE skips it, with
        # only a warning): purge again until the log the checkpoints need is gone.
        execute(source, "FLUSH BINARY LOGS")
        current = execute(source, "SHOW MASTER STATUS")[0][0]
        execute(source, f"PURGE BINARY LOGS TO '{current}'")
        return not needed & {row[0] for row in execute(source, "SHOW BINARY LOGS")}

    wait_until(purged, 60, "the binary log the checkpoints need was purged")
    code, out, err = sync(source, target)
    assert code == 2 and "no longer has" in err and "migrate" in err
    assert SyncState(target).checkpoints() == checkpoints  # never skipped past silently


def test_the_watermark_mode_carries_inserts_and_updates(seeded_database, new_table_config, tmp_path):
    source = seeded_database()  # the server whose binlog is off
    target = new_table(new_table_config, "sync")
    code, out, err = run_cli("migrate", "--entity", "users,usage", *connection_flags(source, target))
    assert code == 0, out + err
    checkpoints = SyncState(target).checkpoints()  # no binlog position to record here; watermarks only
    assert {t: (c.binlog, bool(c.watermark)) for t, c in checkpoints.items()} == {"users": (None, True),
                                                                                    "usage_logs": (None, True)}
    code, _, err = sync(source, target, "--entity", "users,usage")
    assert code == 2 and "against a server with the binlog on" in err
    # A row changed in the watermark's own second is carried (the load may have read it just before):
    # updated_at at exactly that second, no waiting for the clock.
    since = SyncState(target).checkpoints()["users"].watermark["since"]
    at_the_mark = dt.datetime.fromtimestamp(since, dt.timezone.utc).replace(tzinfo=None)
    execute(source, "UPDATE users SET name = 'watermarked', updated_at = :at WHERE id = 3",
            "INSERT INTO usage_logs (user_id, action, problem_id, metadata, created_at) "
            "VALUES (3, 'hint', NULL, '{}', UTC_TIMESTAMP(6))", at=at_the_mark)
    code, out, err = sync(source, target, "--entity", "users,usage", "--changes", "watermark", "--lookback-seconds",
                          "0", "--report", str(tmp_path / "wm.json"))
    assert code == 0, out + err
    report = json.loads((tmp_path / "wm.json").read_text())
    assert report["entities"]["usr"]["puts"] >= 1 and report["entities"]["ulog"]["puts"] == 1
    assert any("deletes" in blind for blind in report["cannot_see"])
    assert item(target, "USR#3")["dat"]["M"]["nm"] == {"S": "watermarked"}
    code, out, err = run_cli("verify", "--deep", "--entity", "users,usage", *connection_flags(source, target))
    assert code == 0, out + err


def test_a_join_added_to_a_spec_is_followed_by_sync(seeded_binlog_database, new_table_config, monkeypatch):
    """Joins come from the specs alone: give history items their user's email through a new join,
    and a changed email reaches every history item of that user, with no change to sync."""
    history = SOURCE_SPECS["search_history"]
    monkeypatch.setitem(SOURCE_SPECS, "search_history", dataclasses.replace(history, joins=(
        Join("users", "u", "user_id", "id", MappingProxyType({"user_email": "email"})),)))
    hist = ITEM_SPECS["hist"]
    monkeypatch.setitem(ITEM_SPECS, "hist", dataclasses.replace(
        hist, attributes=hist.attributes + attributes(("uem", "user_email", TEXT))))
    source = seeded_binlog_database()
    target = new_table(new_table_config, "sync")
    flags = ["--entity", "users,history", *connection_flags(source, target)]
    assert run_cli("migrate", *flags)[0] == 0
    user, searches = execute(source, "SELECT user_id, COUNT(*) FROM search_history WHERE user_id IS NOT NULL "
                                     "GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1")[0]
    execute(source, f"UPDATE users SET email = 'joined@example.org' WHERE id = {user}")
    code, out, err = run_cli("sync", *flags)
    assert code == 0, out + err
    emails = [i["dat"]["M"].get("uem", {}).get("S") for i in scan_all(target)
              if i["tp"]["S"] == "hist" and i["dat"]["M"].get("uid", {}).get("N") == str(user)]
    assert emails == ["joined@example.org"] * searches
    code, out, err = run_cli("verify", "--deep", *flags)
    assert code == 0, out + err


def test_a_sync_fighting_for_capacity_says_so_and_loses_nothing(migrated, tmp_path):
    from tests.support.fault_proxy import FaultPlan, FaultProxy
    source, target = migrated
    burst(source, 300, seed=5)
    with FaultProxy(target.endpoint_url, FaultPlan(throttle=0.3, unprocessed=0.3)) as proxy:
        code, out, err = run_cli("sync", "--report", str(tmp_path / "s.json"), "--mysql-url", source.url,
                                 "--endpoint-url", proxy.url, "--table", target.table)
    assert code == 0, out + err
    writes = json.loads((tmp_path / "s.json").read_text())["writes"]
    assert writes["throttled"] > 0 and writes["unprocessed_resent"] > 0 and writes["retries"] > 0, writes
    assert writes["throttled"] == proxy.counts.injected["throttle"]
    deep_verify_is_clean(source, target)
