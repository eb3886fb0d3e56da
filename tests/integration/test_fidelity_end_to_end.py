"""A database with one nasty row per case, migrated for real through MySQL and DynamoDB Local.

The good rows must arrive exactly (read back and compared value by value with what MySQL
holds); the bad ones must be dead-lettered with the right reason; the run must exit non-zero
saying how many and where; and deep verify must agree.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from boto3.dynamodb.types import TypeDeserializer

from connectors.dynamodb import clients
from connectors.mysql.queries import select_by_identity
from pipelines.init_table import init_table
from schema import compression
from schema.entities import ITEM_SPECS, SOURCE_SPECS
from tests.integration.helpers import connection_flags, execute, run_cli, seeded
from tests.support.codec_checks import comparable, decoded_columns

# One xdist worker runs the whole module: its module fixture (the nasty rows, migrated) is built
# once, not once per worker.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_fidelity_end_to_end")]

NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
BIG_TEXT = "풀이 " * 40_000  # 280 KB (two 3-byte syllables and a space): an item with it alone fits
HUGE_JSON = '{"a": {"b": [1, 2.5, null, {}, []]}, "big": 123456789012345678901234567890123456789012, ' \
            '"f": 0.1, "tiny": 1e-7, "s": "\\u0000"}'

# Legacy schema: MariaDB keeps JSON as LONGTEXT, older tables lack constraints, columns grew.
LEGACY = [
    "ALTER TABLE usage_logs MODIFY user_id BIGINT NULL, MODIFY action VARCHAR(300) NOT NULL",
    "ALTER TABLE problems MODIFY metadata LONGTEXT NOT NULL",
    "ALTER TABLE search_history MODIFY result_summary LONGTEXT NOT NULL",
    "ALTER TABLE task_results MODIFY task_id VARCHAR(700) NOT NULL",
]

GOOD = {  # (table, identity) -> the row's values that differ from an ordinary row
    ("users", 900001): dict(name="👩‍💻 a\x00b שלום مرحبا", email="Nasty+Ünïcødé@EXAMPLE.com", picture="",
                            google_id="g#with#hash", password="", last_login="9999-12-31 23:59:59.999999",
                            created_at="1000-01-01 00:00:00.000001"),
    ("problems", 900002): dict(platform="baekjoon", problem_id="nasty#1", title="", tags="[]", metadata=HUGE_JSON,
                               solution_code=BIG_TEXT, deleted_at="0000-00-00 00:00:00",
                               reviewed_at="2026-01-01 23:59:59.999999"),
    ("test_cases", 900003): dict(problem_id=900002, input="", output=""),
    ("search_history", 900004): dict(user_id=None, user_identifier="anon#1", result_summary='"just text"',
                                     hints="null", test_results="[]", is_code_public=1),
    ("usage_logs", 900005): dict(user_id=1, action="hint", metadata='{"": 1}'),
    ("job_progress_history", 900006): dict(message="🚀" * 1000 + "\x00", status=""),
}
BAD = {  # (table, key) -> (values, expected reason code)
    ("usage_logs", 900101): (dict(user_id=None), "null_required"),
    ("problems", 900102): (dict(platform="bad#platform"), "invalid_key"),
    ("problems", 900103): (dict(metadata="{not json"), "invalid_json"),
    ("problems", 900104): (dict(metadata='{"a": NaN}'), "not_a_number"),
    ("problems", 900105): (dict(solution_code=BIG_TEXT, constraints="x" * 150_000), "item_too_large"),
    ("task_results", "🔑" * 600): ({}, "key_too_long"),
    ("usage_logs", 900107): (dict(action="🔑" * 300), "key_too_long"),  # sort key over 1,024 bytes
    ("problems", 900108): (dict(is_completed=2), "not_a_boolean"),
    ("script_generation_jobs", 900109): (dict(created_at="0000-00-00 00:00:00"), "invalid_date"),
    ("test_cases", 900110): (dict(problem_id=424242), "missing_parent"),
}


def base_row(table: str, key) -> dict:
    """An ordinary valid row for `table` with primary key `key`, to be overridden."""
    common = {"created_at": NOW - dt.timedelta(hours=1)}
    rows = {
        "users": dict(password="x", last_login=None, is_superuser=0, email=f"u{key}@example.com", name="n",
                      picture="p", google_id=None, is_active=1, is_staff=0, updated_at=NOW,
                      subscription_plan_id=None, subscription_plan_id_dynamodb=None),
        "problems": dict(platform="codeforces", problem_id=str(key), title="t", problem_url=None, tags="[]",
                         solution_code=None, language=None, constraints=None, is_completed=1, is_deleted=0,
                         deleted_at=None, deleted_reason=None, metadata="{}", needs_review=0, review_notes=None,
                         verified_by_admin=0, reviewed_at=None),
        "test_cases": dict(problem_id=1, input="1", output="2"),
        "search_history": dict(user_id=1, user_identifier="user-1", problem_id=1, platform="baekjoon",
                               problem_number="1001", problem_title="t", language="python", code="c",
                               result_summary="{}", passed_count=0, failed_count=0, total_count=0,
                               is_code_public=0, test_results=None, hints=None, metadata="{}"),
        "usage_logs": dict(user_id=1, action="execution", problem_id=None, metadata="{}"),
        "script_generation_jobs": dict(platform="baekjoon", problem_id="1", title="t", problem_url=None, tags="[]",
                                       solution_code=None, language="python", constraints="", generator_code=None,
                                       status="PENDING", celery_task_id=None, error_message=None, updated_at=NOW),
        "job_progress_history": dict(content_type_id=4, object_id=1, step="s", message="m", status="started"),
        "task_results": dict(status="SUCCESS", result=None, traceback=None, updated_at=NOW),
    }[table]
    return {SOURCE_SPECS[table].key: key, **common, **rows}


@pytest.fixture(scope="module")
def nasty_source(new_database):
    config = new_database("algoitny_nasty")
    seeded(config, now=NOW)
    engine = sa.create_engine(config.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for statement in LEGACY:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("SET SESSION sql_mode = ''")  # zero dates, as legacy data has them
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for (table, key), values in [*GOOD.items(), *((k, v[0]) for k, v in BAD.items())]:
            row = {**base_row(table, key), **values}
            conn.execute(sa.text(f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in row)}) "
                                 f"VALUES ({', '.join(f':{c}' for c in row)})"), row)
    engine.dispose()
    return config


@pytest.fixture(scope="module")
def migrated(nasty_source, new_table_config, tmp_path_factory):
    target = new_table_config("nasty")
    assert init_table(target, out=io.StringIO()) == 0
    dead_letters = tmp_path_factory.mktemp("dl") / "dead.jsonl"
    report = dead_letters.with_name("report.json")
    code, out, err = run_cli("migrate", "--dead-letter", str(dead_letters), "--report", str(report),
                             *connection_flags(nasty_source, target))
    return target, code, out, err, dead_letters, json.loads(report.read_text())


def test_the_run_exits_non_zero_and_counts_every_bad_row_once(migrated):
    _, code, out, err, dead_letters, report = migrated
    assert code == 1, out + err
    assert report["totals"]["dead_letters"] == len(dead_letters.read_text().splitlines()) == len(BAD)


def test_every_bad_row_is_dead_lettered_with_its_reason(migrated):
    *_, dead_letters, report = migrated
    records = [json.loads(line) for line in dead_letters.read_text().splitlines()]
    found = {(r["table"], r["key"]): r["code"] for r in records}
    assert found == {key: code for key, (_, code) in BAD.items()}
    by_key = {(r["table"], r["key"]): r for r in records}
    assert "problems.metadata: invalid JSON" in by_key[("problems", 900103)]["reason"]
    assert "largest: dat.sol" in by_key[("problems", 900105)]["reason"]
    assert "--compress-over" in by_key[("problems", 900105)]["reason"]
    assert by_key[("usage_logs", 900101)]["row"]["user_id"] is None  # the row itself, for replay
    assert report["dead_letters"]["problems"] == {"invalid_key": 1, "invalid_json": 1, "not_a_number": 1,
                                                   "item_too_large": 1, "not_a_boolean": 1}
    assert report["totals"]["dead_letters"] == len(BAD)


def stored_rows(source, target):
    """(table, identity) -> (the row in MySQL, the row decoded from the stored item)."""
    engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    client = clients.client(target)
    deserializer = TypeDeserializer()
    pairs = {}
    for (table, key) in GOOD:
        source_spec = SOURCE_SPECS[table]
        (row,) = select_by_identity(engine, source_spec, (source_spec.key,), [(key,)])
        for tp in source_spec.items:
            spec = ITEM_SPECS[tp]
            if not spec.produces_item_for(row):
                continue
            item = spec.to_item(row)
            stored = client.get_item(TableName=target.table, Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}},
                                     ConsistentRead=True)["Item"]
            pairs[(tp, key)] = (row, spec.from_item({k: deserializer.deserialize(v) for k, v in stored.items()}),
                                stored)
    engine.dispose()
    return pairs


def test_good_rows_arrive_exactly(nasty_source, migrated):
    target = migrated[0]
    pairs = stored_rows(nasty_source, target)
    assert {key for _, key in pairs} == {key for _, key in GOOD}
    for (tp, key), (row, back, _) in pairs.items():
        spec = ITEM_SPECS[tp]
        codec = {a.column: a.codec for a in spec.attributes}
        for column in decoded_columns(spec):
            expected = row[column]
            if column in codec and expected is not None:
                expected = comparable(codec[column], expected)
            assert back[column] == expected, (tp, key, column)
    user = pairs[("usr", 900001)][1]
    assert user["name"] == "👩‍💻 a\x00b שלום مرحبا" and user["created_at"] == dt.datetime(1000, 1, 1, 0, 0, 0, 1)
    problem_row, problem, stored = pairs[("prob", 900002)]
    assert problem["deleted_at"] == "0000-00-00 00:00:00" and stored["dat"]["M"]["ddt"] == {"NULL": True}
    assert stored["dat"]["M"]["met"] == {"S": HUGE_JSON}  # a 42-digit integer: the exact text, not rounded
    assert problem["metadata"]["big"] == 123456789012345678901234567890123456789012
    history = pairs[("hist", 900004)][1]
    assert history["result_summary"] == "just text" and history["hints"] is None
    assert pairs[("hist", 900004)][2]["dat"]["M"]["hnt"] == {"NULL": True}  # JSON null, not SQL NULL


def test_the_report_flags_values_kept_as_text_and_prices_the_load(migrated):
    report = migrated[5]
    assert report["entities"]["prob"]["kept_as_text"] >= 1
    assert report["entities"]["hist"]["kept_as_text"] >= 1
    assert report["entities"]["prob"]["size"]["max"] > 280_000
    totals = report["totals"]
    assert totals["write_units"] > totals["items"] and totals["monthly_storage_cost"] > 0
    assert 0 < totals["short_name_saving"] < 1


def test_deep_verify_agrees(nasty_source, migrated, tmp_path):
    target = migrated[0]
    code, out, _ = run_cli("verify", "--deep", "--report", str(tmp_path / "r.json"),
                           *connection_flags(nasty_source, target))
    assert code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    unmappable = {(d["table"], d["key"]) for d in report["differences"] if d["class"] == "unmappable"}
    # 900105 fits once its large text is compressed: deep verify maps it as it must be stored
    # (compressed only where it has to be), so the row is not unmappable but its item is missing,
    # dead-lettered by a migration run without --compress-over (repair would write it).
    assert unmappable == set(BAD) - {("problems", 900105)}
    assert [(d["class"], d["PK"]) for d in report["differences"] if d["class"] != "unmappable"] == [
        ("missing", "PROB#codeforces#900105")]


def test_compress_over_stores_large_text_compressed_and_everything_reads_back(nasty_source, new_table_config,
                                                                              tmp_path):
    target = new_table_config("gz")
    assert init_table(target, out=io.StringIO()) == 0
    code, _, err = run_cli("migrate", "--entity", "problems", "--compress-over", "100000", "--dead-letter",
                           str(tmp_path / "dead.jsonl"), *connection_flags(nasty_source, target))
    assert code == 1  # the other bad problems are still bad
    codes = {json.loads(line)["key"]: json.loads(line)["code"] for line in (tmp_path / "dead.jsonl").open()}
    assert 900105 not in codes  # now it fits
    client = clients.client(target)
    stored = client.get_item(TableName=target.table,
                             Key={"PK": {"S": "PROB#codeforces#900105"}, "SK": {"S": "META"}})["Item"]
    assert compression.is_compressed(stored["dat"]["M"]["sol"]["B"])
    problem = ITEM_SPECS["prob"].from_item({k: TypeDeserializer().deserialize(v) for k, v in stored.items()})
    assert problem["solution_code"] == BIG_TEXT
    # Deep verify needs no reminder of --compress-over: compressed values are recognised by their marker.
    code, _, _ = run_cli("verify", "--deep", "--entity", "problems",
                         "--report", str(tmp_path / "r.json"), *connection_flags(nasty_source, target))
    report = json.loads((tmp_path / "r.json").read_text())
    assert {d["class"] for d in report["differences"]} == {"unmappable"}
    assert report["entities"]["prob"]["ok"] == report["entities"]["prob"]["expected"] - 4


def test_schema_drift_stops_the_run_naming_the_column(nasty_source, seeded_database, new_table_config):
    config = seeded_database(prefix="algoitny_drift")
    execute(config, "ALTER TABLE users ADD COLUMN nickname VARCHAR(50) NULL")
    target = new_table_config()
    code, _, err = run_cli("migrate", "--dry-run", "--entity", "users", *connection_flags(config, target))
    assert code == 2 and "users.nickname" in err and "--allow-unmapped-columns" in err
    code, _, err = run_cli("migrate", "--dry-run", "--entity", "users", "--allow-unmapped-columns",
                           *connection_flags(config, target))
    assert code == 0 and "users.nickname is not migrated" in err
    execute(config, "ALTER TABLE users DROP COLUMN picture")
    code, _, err = run_cli("migrate", "--dry-run", "--entity", "users", "--allow-unmapped-columns",
                           *connection_flags(config, target))
    assert code == 2 and "users.picture no longer exists" in err
