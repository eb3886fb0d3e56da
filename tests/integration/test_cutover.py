"""The cut-over and the way back, on the real services: status, cutover (its refusals and its
freeze), sync and migrate refused after it, reverse sync of the application's writes made
through repositories/ (every item type, key moves, deletes, a record applied twice, a trimmed
checkpoint, two runs at once), rollback and sync going on from there, and MySQL mended from
the table (`verify --deep --repair --to mysql`)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from connectors.dynamodb import clients
from sample_data.app_activity import app_burst
from schema.state_items import reverse_checkpoint_key
from state.cutover import CutoverStore
from state.reverse_checkpoints import ReverseState
from tests.integration.helpers import connection_flags, execute, new_table, run_cli, scan_all, seeded

pytestmark = pytest.mark.integration

CUTOVER = ["--quiet-seconds", "1", "--sample", "5", "--check-reads-sample", "2"]


@pytest.fixture
def verified(new_binlog_database, new_table_config):
    """Seeded on the binlog server, migrated, and proved by a clean full verify --deep."""
    source = seeded(new_binlog_database())
    target = new_table(new_table_config, "cutover")
    flags = connection_flags(source, target)
    assert run_cli("migrate", *flags)[0] == 0
    code, out, err = run_cli("verify", "--deep", *flags)
    assert code == 0, out + err
    return source, target, flags


@pytest.fixture
def cut_over(verified, tmp_path):
    source, target, flags = verified
    code, out, err = run_cli("cutover", *CUTOVER, "--report", str(tmp_path / "cutover.json"), *flags)
    assert code == 0, out + err
    return source, target, flags


def status_of(flags, *extra) -> tuple[int, dict]:
    code, out, err = run_cli("status", "--json", *extra, *flags)
    assert code in (0, 1), out + err
    return code, json.loads(out)


def table_rows(source, table: str) -> list:
    return execute(source, f"SELECT * FROM {table} ORDER BY 1")


def test_status_reads_the_state_and_says_when_sync_falls_behind(verified):
    source, target, flags = verified
    code, status = status_of(flags)
    assert code == 0 and status["healthy"] and status["cutover"] is None
    # (bytes behind count the whole server's log, which other databases write too)
    assert all(t["checkpoint"] and t["bytes_behind"] is not None and t["verified_sample_rate"] == 1
               and t["loaded_by"] for t in status["tables"].values())
    execute(source, "UPDATE users SET name = 'behind' WHERE id = 1")
    deadline = time.monotonic() + 30
    while True:  # a second later, the pending change is older than --max-lag 0.5
        code, status = status_of(flags, "--max-lag", "0.5")
        if code == 1:
            break
        assert time.monotonic() < deadline, status
    assert status["tables"]["users"]["bytes_behind"] > 0 and "users" in " ".join(status["problems"])
    assert run_cli("sync", *flags)[0] == 0
    # caught up: the lag is back to the seconds since the checkpoint moved (other tests' databases on
    # this server keep its log growing, so bytes behind may not be 0: seconds since the last run)
    code, status = status_of(flags, "--max-lag", "30")
    assert code == 0 and status["tables"]["users"]["lag_seconds"] < 30, status


def test_cutover_is_refused_while_mysql_is_still_written(verified):
    source, target, flags = verified
    stop = threading.Event()

    def application():
        n = 0
        while not stop.is_set():
            n += 1
            execute(source, "INSERT INTO usage_logs (user_id, action, problem_id, metadata, created_at) "
                            "VALUES (1, 'hint', NULL, '{}', UTC_TIMESTAMP(6))")
            stop.wait(0.2)  # pacing: an application writing a few times a second

    writer = threading.Thread(target=application, daemon=True)
    writer.start()
    try:
        code, out, err = run_cli("cutover", "--quiet-seconds", "3", *flags)
    finally:
        stop.set()
        writer.join()
    assert code == 2 and "still written" in err and "usage_logs" in err, out + err
    assert CutoverStore(target).current() is None


def test_cutover_needs_a_recent_clean_full_verify(new_binlog_database, new_table_config):
    source = seeded(new_binlog_database())
    target = new_table(new_table_config, "cutover")
    flags = connection_flags(source, target)
    assert run_cli("migrate", *flags)[0] == 0
    code, out, err = run_cli("cutover", *CUTOVER, *flags)
    assert code == 2 and "verify --deep" in err and "--full-verify" in err, out + err
    code, out, err = run_cli("cutover", *CUTOVER, "--full-verify", "--dry-run", *flags)  # or inside the freeze
    assert code == 0, out + err
    assert CutoverStore(target).current() is None  # a dry run records nothing


def test_cutover_is_refused_when_a_changed_row_differs(verified, tmp_path):
    source, target, flags = verified
    execute(source, "UPDATE users SET name = 'changed after the verify' WHERE id = 3")
    assert run_cli("sync", *flags)[0] == 0
    clients.client(target).update_item(  # the table goes wrong where MySQL changed
        TableName=target.table, Key={"PK": {"S": "USR#3"}, "SK": {"S": "META"}},
        UpdateExpression="SET dat.nm = :n", ExpressionAttributeValues={":n": {"S": "wrong"}})
    code, out, err = run_cli("cutover", *CUTOVER, "--report", str(tmp_path / "c.json"), *flags)
    assert code == 1, out + err
    verify = json.loads((tmp_path / "c.json").read_text())["verify"]
    assert verify["changed_rows"] >= 1 and verify["differing"] == 1
    assert [(d["class"], d["PK"], d["paths"]) for d in verify["differences"]] == [("mismatched", "USR#3", ["dat.nm"])]
    assert CutoverStore(target).current() is None


def test_after_cut_over_the_application_s_writes_reach_mysql(cut_over, tmp_path):
    source, target, flags = cut_over
    report = json.loads((tmp_path / "cutover.json").read_text())
    assert report["freeze_seconds"] > 0 and set(report["phases"]) >= {"quiet", "last_sync", "verify", "record"}
    code, out, err = run_cli("sync", *flags)
    assert code == 2 and "cut over at" in err and "reverse-sync" in err, out + err
    code, out, err = run_cli("migrate", "--entity", "plans", *flags)
    assert code == 2 and "cut over at" in err, out + err

    done = app_burst(clients.table_resource(target), rounds=3)
    code, out, err = run_cli("reverse-sync", "--report", str(tmp_path / "r.json"), *flags)
    assert code == 0, out + err
    reverse = json.loads((tmp_path / "r.json").read_text())
    totals = reverse["totals"]
    assert totals["dead_letters"] == 0 and totals["deletes"] == done["delete_new_user"]
    written = {tp for tp, e in reverse["entities"].items() if e["upserts"]}
    assert written >= {"plan", "usr", "prob", "tc", "hist", "ulog", "jph"}, written
    code, out, err = run_cli("verify", "--deep", *flags)  # MySQL holds what the table holds, item for item
    assert code == 0 and "every item is ok" in out, out + err
    moved = {i["dat"]["M"]["em"]["S"] for i in scan_all(target)
             if i["tp"]["S"] == "usr" and i["dat"]["M"]["em"]["S"].startswith("moved.")}
    assert moved and {r[0] for r in execute(source, "SELECT email FROM users WHERE email LIKE 'moved.%'")} == moved
    assert execute(source, "SELECT COUNT(*) FROM users WHERE email LIKE 'App.%'")[0][0] == \
        done["sign_up"] - done["delete_new_user"]
    top = execute(source, "SELECT MAX(id) FROM users")[0][0]
    assert execute(source, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_NAME = 'users'")[0][0] > top  # the application can go back without a clash

    # The same records applied again change nothing.
    before = {t: table_rows(source, t) for t in ("users", "search_history", "usage_logs", "test_cases")}
    state = ReverseState(target)
    for shard in state.checkpoints():
        state.table.delete_item(Key=reverse_checkpoint_key(shard))
    code, out, err = run_cli("reverse-sync", "--report", str(tmp_path / "again.json"), *flags)
    assert code == 0, out + err
    assert json.loads((tmp_path / "again.json").read_text())["totals"] == reverse["totals"]  # every record again
    assert {t: table_rows(source, t) for t in before} == before


def test_reverse_sync_takes_turns_and_refuses_a_position_the_stream_lost(cut_over):
    source, target, flags = cut_over
    app_burst(clients.table_resource(target), rounds=1)
    state = ReverseState(target)
    assert state.lease.take("another run", 600) is None
    code, out, err = run_cli("reverse-sync", *flags)
    assert code == 3 and "another run" in err, out + err
    state.lease.release("another run")
    assert run_cli("reverse-sync", *flags)[0] == 0
    checkpoint = next(iter(state.checkpoints().values()))
    state.table.put_item(Item={**checkpoint.item(), "seq": "000000000000000000001", "ver": checkpoint.version + 1})
    app_burst(clients.table_resource(target), rounds=1)
    code, out, err = run_cli("reverse-sync", *flags)
    assert code == 2 and "--repair --to mysql" in err, out + err
    code, status = status_of(flags)
    assert code == 1 and status["reverse_sync"]["last_run"]["exit"] == 2


def test_rollback_then_sync_goes_on_from_there(cut_over):
    source, target, flags = cut_over
    app_burst(clients.table_resource(target), rounds=2)
    code, out, err = run_cli("rollback", "--sample", "5", *flags)
    assert code == 0, out + err
    cutover = CutoverStore(target).current()
    assert cutover.status == "rolled_back" and cutover.rollback_binlog
    code, status = status_of(flags)
    assert code == 0 and status["cutover"]["status"] == "rolled_back"
    assert {t["checkpoint"].split(" ")[0] for t in status["tables"].values()} == \
        {f"{cutover.rollback_binlog['file']}:{cutover.rollback_binlog['pos']}"}
    execute(source, "UPDATE users SET name = 'after rollback' WHERE id = 2")  # the application is back on MySQL
    code, out, err = run_cli("sync", *flags)
    assert code == 0, out + err
    item = clients.client(target).get_item(TableName=target.table, Key={"PK": {"S": "USR#2"}, "SK": {"S": "META"}})
    assert item["Item"]["dat"]["M"]["nm"] == {"S": "after rollback"}
    assert run_cli("verify", "--deep", *flags)[0] == 0


def test_repair_to_mysql_mends_rows_deleted_changed_and_added(cut_over, tmp_path):
    source, target, flags = cut_over
    code, out, err = run_cli("verify", "--deep", "--repair", "--to", "mysql", *flags)
    assert code == 0, out + err  # nothing to mend yet
    gone = execute(source, "SELECT id FROM usage_logs WHERE created_at > UTC_TIMESTAMP() - INTERVAL 30 DAY "
                           "ORDER BY id LIMIT 2")
    execute(source, "SET sql_log_bin = 0", f"DELETE FROM usage_logs WHERE id IN ({gone[0][0]}, {gone[1][0]})",
            "UPDATE users SET name = 'corrupted' WHERE id = 4",
            "INSERT INTO usage_logs (id, user_id, action, problem_id, metadata, created_at) "
            "VALUES (990001, 1, 'hint', NULL, '{}', UTC_TIMESTAMP(6))")
    code, out, err = run_cli("verify", "--deep", *flags)
    assert code == 1, out + err
    dead = tmp_path / "dead.jsonl"
    code, out, err = run_cli("verify", "--deep", "--repair", "--to", "mysql", "--dry-run", "--dead-letter", str(dead),
                             *flags)
    assert code == 1 and execute(source, "SELECT name FROM users WHERE id = 4")[0][0] == "corrupted", out + err
    assert not dead.exists()  # a dry run leaves no empty dead-letter file behind
    code, out, err = run_cli("verify", "--deep", "--repair", "--to", "mysql", *flags)
    assert code == 0, out + err
    assert execute(source, "SELECT COUNT(*) FROM usage_logs WHERE id IN "
                           f"({gone[0][0]}, {gone[1][0]})")[0][0] == 2
    assert execute(source, "SELECT COUNT(*) FROM usage_logs WHERE id = 990001")[0][0] == 0
    assert execute(source, "SELECT name FROM users WHERE id = 4")[0][0] != "corrupted"
    code, out, err = run_cli("verify", "--deep", "--repair", *flags)  # to the table: refused after cut-over
    assert code == 2 and "cut over" in err, out + err


def test_a_row_mysql_refuses_is_a_dead_letter_replayed_once_fixed(cut_over, tmp_path):
    from repositories import UserRepository
    source, target, flags = cut_over
    user = execute(source, "SELECT user_id FROM search_history WHERE user_id IS NOT NULL LIMIT 1")[0][0]
    UserRepository(clients.table_resource(target)).delete_user(user)  # their history stays: a foreign key
    dead = tmp_path / "reverse.jsonl"
    code, out, err = run_cli("reverse-sync", "--dead-letter", str(dead), *flags)
    assert code == 1, out + err
    records = [json.loads(line) for line in dead.open()]
    assert [(r["stage"], r["table"], r["key"], r["op"], r["code"]) for r in records] == \
        [("reverse", "users", user, "delete", "mysql_refused")]
    assert execute(source, f"SELECT COUNT(*) FROM users WHERE id = {user}")[0][0] == 1
    execute(source, f"DELETE FROM search_history WHERE user_id = {user}",  # the cause fixed at the source
            f"DELETE FROM usage_logs WHERE user_id = {user}")
    code, out, err = run_cli("replay", str(dead), "--dead-letter", str(tmp_path / "still.jsonl"), *flags)
    assert code == 0, out + err
    assert execute(source, f"SELECT COUNT(*) FROM users WHERE id = {user}")[0][0] == 0
