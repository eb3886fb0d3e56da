"""Seed a real MySQL database, migrate it into DynamoDB Local, and check the table serves
every access pattern of DESIGN.md §4 with the answers MySQL gives.

On the default DirectRunner: the queries here ask DynamoDB, not a runner, and
tests/integration/test_runners.py proves every command writes and reports the same on each
runner (two worker processes, the PortableRunner, Flink).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from pipelines.init_table import init_table
from sample_data.generate import SeedCounts
from sample_data.load import seed
from schema import keys
from schema.codecs import from_epoch_seconds
from schema.entities.history import user_history_gsi1pk
from schema.entities.jobs import SCRIPT_JOB_PREFIX, job_pk
from schema.entities.problems import problem_pk
from schema.entities.usage import usage_pk, usage_sk_prefix
from schema.entities.users import email_gsi1pk, google_id_gsi1pk
from tests.integration.helpers import connection_flags, counts_by_type, run_cli, scan_all

# One xdist worker runs the whole module: its migrated table is built once, not once per worker.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_migration_end_to_end")]


@dataclass
class Migrated:
    source: MySQLConfig
    target: DynamoDBConfig

    def sql(self, statement: str, **params) -> list:
        engine = sa.create_engine(self.source.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(statement), params))
        finally:
            engine.dispose()

    @functools.cached_property
    def client(self):
        return clients.client(self.target)

    def query_all(self, **kwargs) -> list[dict]:
        items, start = [], None
        while True:
            page = self.client.query(TableName=self.target.table, **kwargs,
                                     **({"ExclusiveStartKey": start} if start else {}))
            items.extend(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                return items


@pytest.fixture(scope="module")
def source(new_database):
    config = new_database()
    seed(config, SeedCounts.for_scale(2), out=io.StringIO())
    return config


@pytest.fixture(scope="module")
def migrated(source, new_table_config):
    target = new_table_config("e2e")
    assert init_table(target, out=io.StringIO()) == 0
    code, out, err = run_cli("migrate", *connection_flags(source, target), "--rows-per-range", "97")
    assert code == 0, err
    return Migrated(source, target)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def test_verify_counts_every_item_type_equal(migrated, tmp_path):
    code, out, err = run_cli("verify", "--report", str(tmp_path / "v.json"),
                             *connection_flags(migrated.source, migrated.target))
    assert code == 0, out + err
    report = json.loads((tmp_path / "v.json").read_text())
    assert report["ok"] and report["differing"] == 0
    assert set(report["entities"]) == {"plan", "usr", "usr_gid", "prob", "tc", "hist", "ulog", "sgj", "pej", "jph",
                                       "tres"}
    assert all(e["source"] == e["target"] > 0 for e in report["entities"].values()), report["entities"]


def test_every_live_row_arrived_and_nothing_else(migrated):
    """Counted independently of verify: the test's own SQL against the test's own Scan."""
    now = utc_now()
    expected = {}
    for tp, statement in {
        "plan": "SELECT COUNT(*) FROM subscription_plans",
        "usr": "SELECT COUNT(*) FROM users",
        "usr_gid": "SELECT COUNT(*) FROM users WHERE google_id IS NOT NULL",
        "prob": "SELECT COUNT(*) FROM problems",
        "tc": "SELECT COUNT(*) FROM test_cases",
        "hist": "SELECT COUNT(*) FROM search_history",
        "ulog": "SELECT COUNT(*) FROM usage_logs WHERE created_at >= :d90",
        "sgj": "SELECT COUNT(*) FROM script_generation_jobs",
        "pej": "SELECT COUNT(*) FROM problem_extraction_jobs",
        "jph": "SELECT COUNT(*) FROM job_progress_history WHERE created_at >= :d30",
        "tres": "SELECT COUNT(*) FROM task_results WHERE created_at >= :d30",
    }.items():
        expected[tp] = migrated.sql(statement, d90=now - dt.timedelta(days=90),
                                    d30=now - dt.timedelta(days=30))[0][0]
    assert all(expected.values())
    assert dict(counts_by_type(scan_all(migrated.target))) == expected


def test_user_values_arrive_exactly(migrated):
    rows = migrated.sql("SELECT id, email, name, is_active, subscription_plan_id, last_login FROM users")
    items = {int(i["dat"]["M"]["id"]["N"]): i for i in scan_all(migrated.target) if i["tp"]["S"] == "usr"}
    assert len(items) == len(rows)
    for user_id, email, name, active, plan, last_login in rows:
        dat = items[user_id]["dat"]["M"]
        assert dat["em"] == {"S": email}
        assert dat["nm"] == {"S": name}
        assert dat["act"] == {"BOOL": bool(active)}
        assert dat.get("plan") == (None if plan is None else {"N": str(plan)})
        if last_login is None:
            assert "lli" not in dat
        else:
            assert from_epoch_seconds(Decimal(dat["lli"]["N"])) == last_login


def test_rate_limit_count_for_one_action_today(migrated):
    today = utc_now().date()
    midnight = dt.datetime.combine(today, dt.time())
    (user_id, action, expected), = migrated.sql(
        "SELECT user_id, action, COUNT(*) AS n FROM usage_logs WHERE created_at >= :midnight "
        "GROUP BY user_id, action ORDER BY n DESC, user_id LIMIT 1", midnight=midnight)
    other = "execution" if action == "hint" else "hint"
    for act, count in ((action, expected),
                       (other, migrated.sql("SELECT COUNT(*) FROM usage_logs WHERE user_id = :u AND action = :a "
                                            "AND created_at >= :m", u=user_id, a=other, m=midnight)[0][0])):
        answer = migrated.client.query(
            TableName=migrated.target.table, Select="COUNT",
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": usage_pk(user_id, today)},
                                       ":prefix": {"S": usage_sk_prefix(act)}})
        assert answer["Count"] == count
    assert expected >= 1


def test_login_by_email_in_another_letter_case(migrated):
    rows = migrated.sql("SELECT id, email FROM users ORDER BY id LIMIT 25")
    for user_id, email in rows:
        typed = email.swapcase()
        found = migrated.query_all(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                                   ExpressionAttributeValues={":pk": {"S": email_gsi1pk(typed)}})
        assert [(i["tp"]["S"], i["PK"]["S"], i["dat"]["M"]["em"]["S"]) for i in found] == [
            ("usr", f"USR#{user_id}", email)]


def test_login_by_google_id(migrated):
    rows = migrated.sql("SELECT id, google_id, email FROM users WHERE google_id IS NOT NULL ORDER BY id LIMIT 25")
    assert rows
    for user_id, google_id, email in rows:
        found = migrated.query_all(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                                   ExpressionAttributeValues={":pk": {"S": google_id_gsi1pk(google_id)}})
        assert [(i["tp"]["S"], i["GSI1SK"]["S"]) for i in found] == [("usr_gid", f"USR#{user_id}")]
        user = migrated.client.get_item(TableName=migrated.target.table,
                                        Key={"PK": {"S": found[0]["GSI1SK"]["S"]}, "SK": {"S": "META"}})["Item"]
        assert user["dat"]["M"]["em"]["S"] == email


def test_public_timeline_newest_first_with_pagination(migrated):
    expected = [row[0] for row in migrated.sql(
        "SELECT id FROM search_history WHERE is_code_public ORDER BY created_at DESC, id DESC")]
    assert len(expected) > 20
    seen, start, pages = [], None, 0
    while True:
        page = migrated.client.query(
            TableName=migrated.target.table, IndexName="GSI2", ScanIndexForward=False, Limit=20,
            KeyConditionExpression="GSI2PK = :pk", ExpressionAttributeValues={":pk": {"S": "HIST#PUBLIC"}},
            **({"ExclusiveStartKey": start} if start else {}))
        pages += 1
        # KEYS_ONLY: the index gives keys; the PK names the history row.
        seen += [int(keys.split_key(i["PK"]["S"], 2)[1]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == expected
    assert pages >= 2


def test_a_users_history_newest_first(migrated):
    (user_id, _), = migrated.sql("SELECT user_id, COUNT(*) n FROM search_history WHERE user_id IS NOT NULL "
                                 "GROUP BY user_id ORDER BY n DESC, user_id LIMIT 1")
    expected = [r[0] for r in migrated.sql(
        "SELECT id FROM search_history WHERE user_id = :u ORDER BY created_at DESC, id DESC", u=user_id)]
    found = migrated.query_all(IndexName="GSI1", ScanIndexForward=False, KeyConditionExpression="GSI1PK = :pk",
                               ExpressionAttributeValues={":pk": {"S": user_history_gsi1pk(user_id, None)}})
    assert [int(i["dat"]["M"]["id"]["N"]) for i in found] == expected


def test_anonymous_history_by_identifier(migrated):
    (identifier, count), = migrated.sql(
        "SELECT user_identifier, COUNT(*) FROM search_history WHERE user_id IS NULL "
        "GROUP BY user_identifier ORDER BY user_identifier LIMIT 1")
    found = migrated.query_all(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                               ExpressionAttributeValues={":pk": {"S": user_history_gsi1pk(None, identifier)}})
    assert len(found) == count


def test_problem_with_its_test_cases_in_id_order(migrated):
    (problem_id, platform, number), = migrated.sql(
        "SELECT p.id, p.platform, p.problem_id FROM problems p JOIN test_cases t ON t.problem_id = p.id "
        "GROUP BY p.id ORDER BY COUNT(*) DESC, p.id LIMIT 1")
    expected = [r[0] for r in migrated.sql("SELECT id FROM test_cases WHERE problem_id = :p ORDER BY id",
                                           p=problem_id)]
    found = migrated.query_all(KeyConditionExpression="PK = :pk",
                               ExpressionAttributeValues={":pk": {"S": problem_pk(platform, number)}})
    assert found[0]["SK"]["S"] == "META" and int(found[0]["dat"]["M"]["id"]["N"]) == problem_id
    assert [int(i["dat"]["M"]["id"]["N"]) for i in found[1:]] == expected
    assert all(i["tp"]["S"] == "tc" for i in found[1:])
    get = migrated.client.get_item(TableName=migrated.target.table,
                                   Key={"PK": {"S": problem_pk(platform, number)}, "SK": {"S": "META"}})
    assert get["Item"]["tp"]["S"] == "prob"


def test_job_status_and_progress(migrated):
    cutoff = utc_now() - dt.timedelta(days=30)
    (job_id, status), = migrated.sql(
        "SELECT j.id, j.status FROM script_generation_jobs j JOIN job_progress_history h ON h.object_id = j.id "
        "JOIN django_content_type ct ON ct.id = h.content_type_id AND ct.model = 'scriptgenerationjob' "
        "WHERE h.created_at >= :c GROUP BY j.id ORDER BY j.id LIMIT 1", c=cutoff)
    job = migrated.client.get_item(TableName=migrated.target.table,
                                   Key={"PK": {"S": job_pk(SCRIPT_JOB_PREFIX, job_id)}, "SK": {"S": "META"}})["Item"]
    assert job["dat"]["M"]["sts"]["S"] == status
    expected = [r[0] for r in migrated.sql(
        "SELECT h.id FROM job_progress_history h JOIN django_content_type ct ON ct.id = h.content_type_id "
        "WHERE ct.model = 'scriptgenerationjob' AND h.object_id = :j AND h.created_at >= :c "
        "ORDER BY h.created_at, h.id", j=job_id, c=cutoff)]
    found = migrated.query_all(KeyConditionExpression="PK = :pk AND begins_with(SK, :jph)",
                               ExpressionAttributeValues={":pk": {"S": job_pk(SCRIPT_JOB_PREFIX, job_id)},
                                                          ":jph": {"S": "JPH#"}})
    assert [int(i["dat"]["M"]["id"]["N"]) for i in found] == expected


def test_admin_lookups_by_scan(migrated):
    by_plan = migrated.sql("SELECT COUNT(*) FROM users WHERE subscription_plan_id = 2")[0][0]
    review = migrated.sql("SELECT COUNT(*) FROM problems WHERE needs_review")[0][0]
    items = scan_all(migrated.target)
    assert sum(1 for i in items if i["tp"]["S"] == "usr" and i["dat"]["M"].get("plan") == {"N": "2"}) == by_plan
    assert sum(1 for i in items if i["tp"]["S"] == "prob"
               and i["dat"]["M"].get("nrv") == {"BOOL": True}) == review


def test_a_rerun_leaves_the_table_identical(migrated):
    def snapshot():
        return sorted(scan_all(migrated.target), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))

    before = snapshot()
    code, _, err = run_cli("migrate", *connection_flags(migrated.source, migrated.target))
    assert code == 0, err
    assert snapshot() == before
