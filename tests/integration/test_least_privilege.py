"""Least privilege, as written down in deploy/: the commands run as a MySQL user made from
deploy/mysql-grants.sql, one grant fewer fails naming it, and every DynamoDB call a command
makes is an action of its policy in deploy/iam/ (seen by the proxy in front of DynamoDB Local,
which itself checks no permission)."""

from __future__ import annotations

import json
import pathlib
import re
import uuid

import pytest
from sqlalchemy.engine import URL, make_url

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from sample_data.app_activity import app_burst
from state.sync_checkpoints import SyncState
from tests.integration.helpers import execute, new_table, run_cli, seeded
from tests.support.fault_proxy import FaultPlan, FaultProxy

pytestmark = pytest.mark.integration

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy"
GRANT = re.compile(r"^GRANT (.+) ON (\S+) TO 'etl'@'%';$")


def documented_grants() -> list[tuple[str, str]]:
    """(privileges, on what) of every GRANT in deploy/mysql-grants.sql (comments left out)."""
    lines = (DEPLOY / "mysql-grants.sql").read_text().splitlines()
    grants = [GRANT.match(line).groups() for line in lines if line.startswith("GRANT")]
    assert grants, "deploy/mysql-grants.sql grants nothing"
    return grants


def policy_actions(command: str) -> set[str]:
    policy = json.loads((DEPLOY / "iam" / f"{command}.json").read_text())
    return {action for statement in policy["Statement"] for action in statement["Action"]}


class Etl:
    """A MySQL user holding the documented grants, less `without` (one privilege)."""

    def __init__(self, source: MySQLConfig, without: str | None = None):
        self.source = source
        self.name, self.password = f"etl_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        statements = [f"CREATE USER '{self.name}'@'%' IDENTIFIED BY '{self.password}'"]
        for privileges, on in documented_grants():
            kept = [p.strip() for p in privileges.split(",") if p.strip() != without]
            if kept:
                on = on.replace("`algoitny`", f"`{source.database}`")
                statements.append(f"GRANT {', '.join(kept)} ON {on} TO '{self.name}'@'%'")
        execute(source, *statements)
        server = make_url(source.url)
        self.url = URL.create(server.drivername, self.name, self.password, server.host, server.port,
                              server.database).render_as_string(hide_password=False)

    def drop(self):
        execute(self.source, f"DROP USER IF EXISTS '{self.name}'@'%'")


@pytest.fixture
def source(seeded_binlog_database):
    return seeded_binlog_database()


def test_the_documented_grants_run_every_command(source, new_table_config, tmp_path):
    etl = Etl(source)
    try:
        target = new_table(new_table_config, "grants")
        flags = ["--mysql-url", etl.url, "--endpoint-url", target.endpoint_url, "--table", target.table]
        execute(source, "SET FOREIGN_KEY_CHECKS = 0", "INSERT INTO test_cases (id, problem_id, input, output, "
                "created_at) VALUES (900001, 424242, 'in', 'out', UTC_TIMESTAMP(6))")  # a dead letter to replay
        dead = tmp_path / "dead.jsonl"
        code, out, err = run_cli("migrate", "--dead-letter", str(dead), *flags)
        assert code == 1, out + err
        checkpoints = SyncState(target).checkpoints()  # it could record where sync starts: a binlog position
        assert checkpoints and all(c.binlog for c in checkpoints.values()), checkpoints
        execute(source, "DELETE FROM test_cases WHERE id = 900001",
                "UPDATE users SET name = 'granted' WHERE id = 1")
        for command in (["sync"], ["verify"], ["verify", "--deep"], ["check-reads", "--sample", "5"],
                        ["replay", str(dead)]):
            code, out, err = run_cli(*command, *flags)
            assert code == (1 if command[0] == "replay" else 0), (command, out + err)  # the row is gone now
        # the cut-over and the way back, as the same user: the INSERT/UPDATE/DELETE/ALTER grants
        for command in (["status"], ["cutover", "--quiet-seconds", "1", "--check-reads-sample", "2", "--sample", "5"]):
            code, out, err = run_cli(*command, *flags)
            assert code == 0, (command, out + err)
        app_burst(clients.table_resource(DynamoDBConfig(table=target.table, endpoint_url=target.endpoint_url)), 1)
        for command in (["reverse-sync"], ["verify", "--deep"], ["rollback", "--sample", "5"]):
            code, out, err = run_cli(*command, *flags)
            assert code == 0, (command, out + err)
    finally:
        etl.drop()


@pytest.mark.parametrize("without, command, named", [
    ("SELECT", "migrate", "GRANT SELECT"),
    ("REPLICATION SLAVE", "sync", "REPLICATION SLAVE"),
    ("BINLOG MONITOR", "sync", "BINLOG MONITOR"),
])
def test_one_grant_fewer_fails_naming_it(source, new_table_config, without, command, named):
    target = new_table(new_table_config, "grants")
    assert run_cli("migrate", "--entity", "plans", "--mysql-url", source.url, "--endpoint-url", target.endpoint_url,
                   "--table", target.table)[0] == 0  # as root: a checkpoint for sync to start from
    etl = Etl(source, without=without)
    try:
        code, out, err = run_cli(command, "--entity", "plans", "--mysql-url", etl.url, "--endpoint-url",
                                 target.endpoint_url, "--table", target.table)
        assert code == 2 and named in err, out + err
    finally:
        etl.drop()


# What each command was seen to call, against the actions its policy allows. Branches this test
# does not take need the rest: init --recreate deletes the table; sync and cutover renew their
# lease while they work (UpdateItem); a run that finds a lease held reads it (GetItem); a clean
# repair re-seats sync's checkpoints under a lease it takes for a minute (no renewal); cutover
# reads an old stream to its end only when the stream was on before (the Stream actions);
# cutover and rollback scan only with --full-verify.
NOT_TAKEN_HERE = {
    "init": {"dynamodb:DeleteTable"}, "sync": {"dynamodb:UpdateItem"}, "repair": {"dynamodb:UpdateItem"},
    "cutover": {"dynamodb:UpdateItem", "dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords",
                "dynamodb:Scan"},
    "reverse-sync": {"dynamodb:UpdateItem"}, "rollback": {"dynamodb:UpdateItem", "dynamodb:Scan"},
}


def test_each_command_calls_only_what_its_iam_policy_allows(source, new_table_config, tmp_path):
    table = new_table_config("iam").table
    endpoint = new_table_config().endpoint_url
    seen_by_policy: dict[str, set[str]] = {}

    def run(policy: str, *command: str) -> None:
        with FaultProxy(endpoint, FaultPlan(operations=())) as proxy:
            mysql = [] if command[0] == "init" else ["--mysql-url", source.url]
            code, out, err = run_cli(*command, "--endpoint-url", proxy.url, "--table", table, *mysql)
        assert code in (0, 1), out + err
        seen = proxy.counts.actions
        assert seen <= policy_actions(policy), f"{command} called {seen - policy_actions(policy)}, not in its policy"
        seen_by_policy.setdefault(policy, set()).update(seen)

    run("init", "init")
    run("migrate", "migrate")
    execute(source, "UPDATE users SET name = 'changed' WHERE id = 1", "DELETE FROM usage_logs WHERE id = 1")
    run("sync", "sync")
    run("verify", "verify")
    run("verify", "verify", "--deep")
    execute(source, "UPDATE users SET name = 'drifted' WHERE id = 2")
    execute(source, "SET sql_log_bin = 0", "UPDATE users SET name = 'unsynced' WHERE id = 3")
    run("repair", "verify", "--deep", "--repair")
    dead = tmp_path / "dead.jsonl"
    dead.write_text(json.dumps({"stage": "map", "table": "users", "key": 1, "code": "x", "reason": "r",
                                "row": {"id": 1}}) + "\n")
    run("replay", "replay", str(dead))
    run("check-reads", "check-reads", "--sample", "5")
    run("status", "status")
    execute(source, "UPDATE users SET name = 'late' WHERE id = 5")  # the last window writes it
    run("cutover", "cutover", "--quiet-seconds", "1", "--check-reads-sample", "2", "--sample", "5")
    app_burst(clients.table_resource(DynamoDBConfig(table=table, endpoint_url=endpoint)), 1)
    run("reverse-sync", "reverse-sync")
    execute(source, "SET sql_log_bin = 0", "UPDATE users SET name = 'behind' WHERE id = 4")
    run("repair", "verify", "--deep", "--repair", "--to", "mysql")
    run("rollback", "rollback", "--sample", "5")
    for policy, seen in seen_by_policy.items():
        assert policy_actions(policy) - seen <= NOT_TAKEN_HERE.get(policy, set()), \
            f"deploy/iam/{policy}.json allows what its commands never called: {policy_actions(policy) - seen}"
