"""Restartable loads, read-side faults and repair, against real MySQL and DynamoDB Local.

- A multi-range load killed with SIGKILL at several points, each time resumed, ends with
  `verify --deep` clean, and the resumed run's report shows the key ranges it skipped.
- The reader's MySQL connection killed from another session in the middle of a range: the
  run still exits 0 and deep verify is clean.
- `verify --deep --repair` after items were deleted, corrupted and added ends clean, and
  `--dry-run` changes nothing.
"""

from __future__ import annotations

import json
import threading
import time

import pymysql
import pytest
from sqlalchemy.engine import make_url

from connectors.dynamodb import clients
from tests.integration.helpers import (
    connection_flags, count_type, kill_when, new_table, run_cli, scan_all, seeded, start_migrate,
)
pytestmark = pytest.mark.integration


def new_target(new_table_config, prefix):
    return new_table(new_table_config, prefix)


def test_a_load_killed_at_several_points_resumes_to_a_clean_table(seeded_database, new_table_config, tmp_path):
    source = seeded_database(scale=2)
    target = new_target(new_table_config, "resume")
    slow = ["--rows-per-range", "40", "--max-write-rate", "150", *connection_flags(source, target)]

    first = start_migrate(*slow)
    kill_when(first, lambda: count_type(target, "mig_run") == 1)  # right after the run is recorded
    first_done = count_type(target, "mig_done")

    second = start_migrate("--resume", *slow)
    kill_when(second, lambda: count_type(target, "mig_done") >= first_done + 3)  # in the middle of the load
    done_before_last = count_type(target, "mig_done")

    code, out, err = run_cli("migrate", "--resume", "--report", str(tmp_path / "resumed.json"),
                             *connection_flags(source, target))
    assert code == 0, err
    run = json.loads((tmp_path / "resumed.json").read_text())["run"]
    assert run["resumed"] and run["skipped_ranges"] == done_before_last > 0
    assert run["skipped_rows"] > 0 and run["skipped_ranges"] < run["ranges"]

    code, out, err = run_cli("verify", "--deep", *connection_flags(source, target))
    assert code == 0, out + err
    code, _, err = run_cli("migrate", "--resume", run["run_id"], *connection_flags(source, target))
    assert code == 2 and "a finished run cannot be resumed" in err


def test_resume_refuses_what_it_cannot_continue(seeded_database, new_table_config):
    source = seeded_database()
    target = new_target(new_table_config, "resume")
    flags = connection_flags(source, target)
    code, _, err = run_cli("migrate", "--resume", *flags)
    assert code == 2 and "no migrate run" in err
    code, _, err = run_cli("migrate", "--resume", "20260101T000000Z-000000", *flags)
    assert code == 2 and "no migrate run 20260101T000000Z-000000" in err
    assert run_cli("migrate", "--entity", "plans", *flags)[0] == 0
    code, _, err = run_cli("migrate", "--resume", "--entity", "plans", *flags)
    assert code == 2 and "finished" in err
    code, _, err = run_cli("migrate", "--resume", "--dry-run", *flags)
    assert code == 2 and "--dry-run" in err


class ConnectionKiller(threading.Thread):
    """Kills, from its own session, the connection streaming `table`'s key range from `database`,
    once (only that database's: other tests read tables of the same name on this server)."""

    def __init__(self, server_url: str, database: str, table: str):
        super().__init__(daemon=True)
        url = make_url(server_url)
        self._database = database
        self._connect = dict(host=url.host, port=url.port or 3306, user=url.username, password=url.password or "",
                             autocommit=True)
        self._pattern = f"SELECT%FROM `{table}`%ORDER BY%"
        self.killed = None
        self.error: Exception | None = None  # what stopped the thread, if anything did
        self.polls = 0
        self._finished = threading.Event()

    def run(self):
        try:
            connection = pymysql.connect(**self._connect)
        except pymysql.MySQLError as error:
            self.error = error
            return
        try:
            with connection.cursor() as cursor:
                while not self._finished.is_set() and self.killed is None:
                    cursor.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s AND DB = %s "
                                   "AND ID <> CONNECTION_ID()", (self._pattern, self._database))
                    found = cursor.fetchone()
                    self.polls += 1
                    if found:
                        try:
                            cursor.execute(f"KILL CONNECTION {int(found[0])}")
                            self.killed = found[0]
                        except pymysql.err.MySQLError:  # 1094 Unknown thread: it ended between the look and the kill
                            pass
                    time.sleep(0.002)  # pacing: asks PROCESSLIST often, to catch the SELECT while it sends
        except pymysql.MySQLError as error:
            self.error = error
        finally:
            connection.close()

    def stop(self):
        self._finished.set()
        self.join(timeout=10)


def test_a_reader_connection_killed_mid_range_loses_nothing(seeded_database, new_table_config, mysql_server_url, tmp_path):
    source = seeded_database(scale=60)  # 24,000 usage logs: the SELECT is still sending when killed
    target = new_target(new_table_config, "readfault")
    killer = ConnectionKiller(mysql_server_url, source.database, "usage_logs")
    killer.start()
    try:
        code, out, err = run_cli("migrate", "--entity", "usage", "--max-write-rate", "4000", "--report",
                                 str(tmp_path / "r.json"), *connection_flags(source, target))
    finally:
        killer.stop()
    assert killer.killed is not None, \
        f"the reader's connection was never seen streaming ({killer.polls} looks; {killer.error!r})"
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["reads"]["reconnects"] >= 1
    code, out, err = run_cli("verify", "--deep", "--entity", "usage", *connection_flags(source, target))
    assert code == 0, out + err


def test_repair_mends_deleted_corrupted_and_added_items_and_dry_run_changes_nothing(seeded_database, new_table_config,
                                                                                   tmp_path):
    source = seeded_database()
    target = new_target(new_table_config, "repair")
    flags = ["--entity", "users,problems", *connection_flags(source, target)]
    assert run_cli("migrate", *flags)[0] == 0
    client = clients.client(target)
    table = target.table
    client.delete_item(TableName=table, Key={"PK": {"S": "USR#3"}, "SK": {"S": "META"}})
    client.update_item(TableName=table, Key={"PK": {"S": "USR#4"}, "SK": {"S": "META"}},
                       UpdateExpression="SET dat.nm = :x", ExpressionAttributeValues={":x": {"S": "corrupted"}})
    client.put_item(TableName=table, Item={"PK": {"S": "USR#99999"}, "SK": {"S": "META"}, "tp": {"S": "usr"},
                                           "dat": {"M": {"id": {"N": "99999"}}}, "crt": {"N": "1"}})
    stray_problem = {"PK": {"S": "PROB#nowhere#1"}, "SK": {"S": "META"}, "tp": {"S": "prob"}, "crt": {"N": "1"}}
    client.put_item(TableName=table, Item=stray_problem)
    guard = {"PK": {"S": "UNIQUE#EMAIL#someone@example.com"}, "SK": {"S": "UNIQUE"}, "tp": {"S": "uniq"}}
    client.put_item(TableName=table, Item=guard)  # the application's own: never touched
    before = sorted(json.dumps(i, sort_keys=True) for i in scan_all(target))

    code, out, err = run_cli("verify", "--deep", "--repair", "--dry-run", "--report", str(tmp_path / "plan.json"),
                             *flags)
    assert code == 1, out + err
    assert sorted(json.dumps(i, sort_keys=True) for i in scan_all(target)) == before
    plan = json.loads((tmp_path / "plan.json").read_text())
    actions = {(a["action"], a["class"], a["PK"]) for a in plan["repair_actions"]}
    assert actions == {("put", "missing", "USR#3"), ("put", "mismatched", "USR#4"),
                       ("delete", "unexpected", "USR#99999"), ("delete", "unexpected", "PROB#nowhere#1")}
    assert plan["repair"]["dry_run"] is True and plan["repair"]["recheck"] is None

    code, out, err = run_cli("verify", "--deep", "--repair", "--report", str(tmp_path / "done.json"), *flags)
    assert code == 0, out + err
    done = json.loads((tmp_path / "done.json").read_text())
    assert done["ok"] and done["still_differing"] == []
    assert done["repair"]["recheck"]["usr"] == {"ok": 3} and done["repair"]["recheck"]["prob"] == {"ok": 1}
    code, out, err = run_cli("verify", "--deep", *flags)
    assert code == 0, out + err
    assert guard in scan_all(target)
