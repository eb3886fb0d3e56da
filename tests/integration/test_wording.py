"""What each command prints, tested once per command: its sentences, and that every number it
prints is the one its `--report` JSON (or the database) holds.

Everywhere else the tests read the report JSON, a return value or the data itself, never the
printed text; only a failure's message is read there, since that is how a run that could not
run names its failure. Each test here follows one command through its outcomes; they share one
source and one table, in order (one xdist worker: the group below).
"""

from __future__ import annotations

import json
import re

import pytest

from connectors.dynamodb import clients
from state.sync_checkpoints import SyncState
from tests.integration.helpers import connection_flags, execute, new_table, run_cli
from tests.support.fault_proxy import FaultPlan, FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("wording")]

POISON = ("INSERT INTO test_cases (id, problem_id, input, output, created_at) "
          "VALUES (900001, 424242, 'in', 'out', UTC_TIMESTAMP(6))")  # its problem does not exist
THE_PROBLEM = ("INSERT INTO problems (id, platform, problem_id, title, tags, is_completed, is_deleted, metadata, "
               "needs_review, verified_by_admin, created_at) VALUES (424242, 'baekjoon', 'p424242', 'found', '[]', "
               "1, 0, '{}', 0, 0, UTC_TIMESTAMP(6))")


def cells(out: str, label: str) -> list[str]:
    """The cells of the first printed row that starts with `label` (split on spaces)."""
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == [label]]
    assert rows, f"no row {label!r} in:\n{out}"
    return rows[0]


def has_line(text: str, pattern: str) -> re.Match:
    """The line of `text` matching `pattern` whole; fails naming the pattern and the text."""
    found = re.search(rf"^{pattern}$", text, re.M)
    assert found, f"no line {pattern!r} in:\n{text}"
    return found


@pytest.fixture(scope="module")
def source(new_binlog_database):
    config = new_binlog_database("algoitny_words")
    code, out, err = run_cli("seed", "--scale", "1", "--mysql-url", config.url)
    assert code == 0, out + err
    execute(config, "SET FOREIGN_KEY_CHECKS = 0", POISON)
    return config, out


@pytest.fixture(scope="module")
def target(new_table_config):
    return new_table(new_table_config, "words")


def test_seed_says_each_table_s_rows(source):
    config, out = source
    has_line(out, re.escape(f"seeding {config.masked()} at scale 1"))
    for table in ("users", "problems", "test_cases", "usage_logs", "job_progress_history"):
        rows = execute(config, f"SELECT COUNT(*) FROM `{table}`")[0][0] - (table == "test_cases")  # the poison row
        has_line(out, rf"  {table} +{rows:,} rows")
    total = sum(int(m.replace(",", "")) for m in re.findall(r"^  \S+ +([\d,]+) rows$", out, re.M))
    has_line(out, rf"seeded {total:,} rows in \d+\.\d s")
    code, out, err = run_cli("seed", "--activity", "20", "--mysql-url", config.url)
    assert code == 0, out + err
    found = has_line(out, re.escape(f"application activity on {config.masked()}: ") + r"(\d+) row changes in \d+\.\d s "
                                                                                    r"\(((?:\w+ \d+(?:, )?)+)\)")
    assert int(found.group(1)) == sum(int(n) for n in re.findall(r"\d+", found.group(2))) >= 20  # the kinds add up


def test_init_says_what_it_made_or_found(new_table_config):
    table = new_table_config("words")
    flags = ["--endpoint-url", table.endpoint_url, "--table", table.table]
    code, out, err = run_cli("init", *flags)
    assert code == 0, out + err
    has_line(out, r"note: no stream on this table \(pass --stream to add one; .+\)")
    has_line(out, re.escape(f"created {table.describe()}: PK/SK, GSI1 (ALL), GSI2 (KEYS_ONLY), PAY_PER_REQUEST, "
                            "TTL on 'ttl'"))
    code, out, err = run_cli("init", *flags)
    assert code == 0, out + err
    has_line(out, re.escape(f"{table.describe()} already exists with the expected schema; nothing to do"))


def test_migrate_says_where_it_stopped_how_to_go_on_and_what_it_wrote(source, target, tmp_path):
    config, _ = source
    flags = connection_flags(config, target)
    with FaultProxy(target.endpoint_url, FaultPlan(refuse="ResourceNotFoundException")) as proxy:
        code, out, err = run_cli("migrate", "--mysql-url", config.url, "--endpoint-url", proxy.url, "--table",
                                 target.table)
    assert code == 2, out + err
    run_id = has_line(out, r"migrate run (\S+) started; if it stops, `algoitny-etl migrate --resume \1` goes on "
                           r"from the key ranges it finished").group(1)
    has_line(out, re.escape(f"migrate {', '.join(_tables())} from {config.masked()} into table {target.table} "
                            f"at {proxy.url}"))
    has_line(err, re.escape(f"migrate: stopped: DynamoDB refused a BatchWriteItem to {target.table}: "
                            "ResourceNotFoundException") + ".*")
    has_line(err, re.escape(f"migrate: `algoitny-etl migrate --resume {run_id}` goes on once the cause is fixed"))

    dead, report_path = tmp_path / "dead.jsonl", tmp_path / "m.json"
    code, out, err = run_cli("migrate", "--resume", "--dead-letter", str(dead), "--report", str(report_path),
                             *flags)
    assert code == 1, out + err
    report = json.loads(report_path.read_text())
    run, totals, writes = report["run"], report["totals"], report["writes"]
    has_line(out, re.escape(f"migrate run {run_id} resuming; if it stops, `algoitny-etl migrate --resume {run_id}` "
                            "goes on from the key ranges it finished"))
    has_line(out, re.escape(f"skipping {run['skipped_ranges']} of {run['ranges']} key ranges "
                            f"({run['skipped_rows']:,} rows) the run already wrote"))
    has_line(out, re.escape(f"resumed run {run_id}: {run['skipped_ranges']} of {run['ranges']} key ranges "
                            f"({run['skipped_rows']:,} rows) were already written and skipped; the rows below were "
                            "read now"))
    for tp, label, dead_letters in (("usr", "users/usr", 0), ("tc", "problems/tc", 1)):
        e = report["entities"][tp]
        sizes = "/".join(f"{e['size'][k]:,.0f}" for k in ("min", "mean", "p99", "max"))
        assert cells(out, label) == [label, str(e["rows_read"]), str(e["items"]), str(e["expired_by_ttl"]),
                                     str(dead_letters), str(e["written"]), sizes, str(e["bytes"]),
                                     str(e["write_units"])]
    has_line(out, "dead letters in test_cases: missing_parent 1")
    has_line(out, re.escape(f"writes: {totals['write_units']:,} write units (table + indexes) = "
                            f"${totals['write_cost']:,.2f} at $0.625/million on demand"))
    has_line(out, re.escape(f"storage: {totals['storage_gib']:.4f} GiB (items + 100 B each, + indexes) = "
                            f"${totals['monthly_storage_cost']:,.4f}/month at $0.25/GB-month"))
    has_line(out, re.escape(f"requests: {writes['requests']:,} BatchWriteItem, {writes['retries']:,} retried "
                            f"({writes['throttled']:,} throttled, {writes['unprocessed_resent']:,} items re-sent as "
                            "UnprocessedItems); ConsumedCapacity not requested (write units are computed from item "
                            f"sizes); {writes['bytes']:,} bytes sent"))
    has_line(out, re.escape(f"short attribute names: {totals['bytes']:,} bytes instead of "
                            f"{totals['long_name_bytes']:,} with full column names, "
                            f"{totals['short_name_saving']:.1%} smaller") + r" \(.+\)")
    has_line(out, re.escape(f"sync checkpoint of {', '.join(_tables())}: ")
             + r"\S+:\d+.* \(where the binlog stood before the first row was read\)")
    has_line(out, rf"{totals['items']:,} items written in \d+\.\d s \([\d,]+ items/s\)")
    has_line(out, re.escape(f"report: {report_path}"))
    has_line(err, re.escape(f"migrate: 1 rows/items could not be migrated; each is in {dead} with its reason"))

    code, out, err = run_cli("migrate", "--dry-run", "--entity", "plans", "--report", str(report_path), *flags)
    assert code == 0, out + err
    report = json.loads(report_path.read_text())
    has_line(out, re.escape(f"migrate subscription_plans from {config.masked()} DRY RUN (nothing is written)"))
    assert cells(out, "plans/plan")[5] == "-"  # written: nothing
    has_line(out, rf"{report['totals']['items']:,} items validated in \d+\.\d s \([\d,]+ items/s\)")


def test_replay_says_what_it_resolved_and_what_still_fails(source, target, tmp_path):
    config, _ = source
    flags = connection_flags(config, target)
    dead = tmp_path / "dead.jsonl"
    dead.write_text(json.dumps({"stage": "map", "table": "test_cases", "key": 900001, "code": "missing_parent",
                                "reason": "its problem does not exist", "row": {"id": 900001}}) + "\n")
    code, out, err = run_cli("replay", str(dead), "--dead-letter", str(tmp_path / "still.jsonl"), *flags)
    assert code == 1, out + err
    has_line(out, re.escape(f"replay 1 dead letters from {dead} into {target.describe()}"))
    has_line(err, re.escape(f"replay: 0 of 1 resolved; 1 still fail, with their reasons, in "
                            f"{tmp_path / 'still.jsonl'}"))
    execute(config, THE_PROBLEM)  # the cause fixed at the source
    code, out, err = run_cli("replay", str(dead), *flags)
    assert code == 0, out + err
    has_line(out, re.escape("replay: all 1 resolved (written, or expired by TTL meanwhile)"))
    (tmp_path / "none.jsonl").write_text("")
    code, out, err = run_cli("replay", str(tmp_path / "none.jsonl"), *flags)
    assert code == 0, out + err
    has_line(out, re.escape(f"replay: {tmp_path / 'none.jsonl'} holds no dead letters; nothing to do"))


def test_sync_says_its_window_its_changes_and_where_the_table_stands(source, target, tmp_path):
    config, _ = source
    flags = connection_flags(config, target)
    execute(config, "UPDATE users SET name = 'renamed' WHERE id = 1")
    code, out, err = run_cli("sync", "--report", str(tmp_path / "s.json"), *flags)
    assert code == 0, out + err
    report = json.loads((tmp_path / "s.json").read_text())
    window, writes = report["window"], report["writes"]
    has_line(out, re.escape(f"sync {', '.join(_tables())}: binlog {window['from']} -> {window['to']}"))
    usr = report["entities"]["usr"]
    assert cells(out, "users/usr") == ["users/usr", str(usr["puts"]), str(usr["deletes"]), str(usr["key_moves"]),
                                       str(usr["dead_letters"])] and usr["puts"] >= 1
    has_line(out, re.escape(f"binlog {window['from']} -> {window['to']}: {report['events_read']:,} row changes "
                            f"applied ({report['skipped_before_checkpoint']:,} already in the table before their "
                            f"table's checkpoint), lag {report['lag_seconds']:,.1f} s, ")
             + r"\d+\.\d s")
    has_line(out, re.escape(f"requests: {writes['requests']:,} BatchWriteItem, {writes['retries']:,} retried") + ".*")
    has_line(out, re.escape(f"report: {tmp_path / 's.json'}"))
    has_line(out, re.escape(f"sync: the table is in step with the source up to {window['to']}"))

    code, out, err = run_cli("sync", "--dry-run", *flags)  # nothing new: no pipeline, and it says so
    assert code == 0, out + err
    has_line(out, r"sync .+: binlog (.+) -> \1 \(DRY RUN: nothing is written\)")
    has_line(out, r"binlog (.+) -> \1: 0 row changes applied \(0 already .+\), lag none \(nothing new\), \d+\.\d s")

    state = SyncState(target)
    assert state.lease.take("someone-else", 60) is None
    try:
        code, out, err = run_cli("sync", *flags)
    finally:
        state.lease.release("someone-else")
    assert code == 3, out + err
    has_line(err, r"sync: another run holds the lease \(someone-else, until \S+\); this run did nothing "
                  r"\(exit 3: skipped\)")


def test_verify_says_each_count_and_its_verdict(source, target, tmp_path):
    config, _ = source
    flags = connection_flags(config, target)
    code, out, err = run_cli("verify", "--report", str(tmp_path / "v.json"), *flags)
    assert code == 0, out + err
    report = json.loads((tmp_path / "v.json").read_text())
    has_line(out, re.escape(f"verify counts: {config.masked()} against {target.describe()}"))
    for tp, e in report["entities"].items():
        assert cells(out, f"{e['entity']}/{tp}") == [f"{e['entity']}/{tp}", str(e["source"]), str(e["target"]),
                                                     "equal"]
    has_line(out, "verify: all counts equal")
    clients.client(target).delete_item(TableName=target.table, Key={"PK": {"S": "PLAN#2"}, "SK": {"S": "META"}})
    code, out, err = run_cli("verify", "--entity", "plans", *flags)
    assert code == 1, out + err
    plans = report["entities"]["plan"]["source"]
    assert cells(out, "plans/plan") == ["plans/plan", str(plans), str(plans - 1), "DIFFERS", "by", "-1"]
    has_line(err, re.escape("verify: 1 item type(s) differ"))


def test_deep_verify_says_each_class_the_repair_and_the_verdict(source, target, tmp_path):
    """After the count verify's test took PLAN#2 away."""
    config, _ = source
    flags = ["--entity", "plans", *connection_flags(config, target)]
    code, out, err = run_cli("verify", "--deep", "--repair", "--report", str(tmp_path / "d.json"), *flags)
    assert code == 0, out + err
    report = json.loads((tmp_path / "d.json").read_text())
    plan = report["entities"]["plan"]
    has_line(out, re.escape(f"verify deep, repairing: {config.masked()} against {target.describe()}"))
    has_line(out, "deep verify:")
    # entity/item, expected, then the classes: ok, mismatched, missing, unexpected, unmappable; the verdict.
    assert cells(out, "plans/plan") == ["plans/plan", str(plan["expected"]), str(plan["expected"] - 1), "0", "1", "0",
                                        "0", "DIFFERS"] and plan["missing"] == 1
    has_line(out, re.escape("plans/plan missing (1; up to 20 shown):"))
    has_line(out, re.escape("  PK=PLAN#2 SK=META"))
    has_line(out, "repair:")
    has_line(out, "verify --deep: every item is ok after repair")
    code, out, err = run_cli("verify", "--deep", *flags)
    assert code == 0, out + err
    has_line(out, "verify --deep: every item is ok")


def test_check_reads_says_each_pattern_s_answers_and_the_verdict(source, target, tmp_path):
    config, _ = source
    code, out, err = run_cli("check-reads", "--sample", "3", "--pattern", "problem,user_by_id", "--report",
                             str(tmp_path / "r.json"), *connection_flags(config, target))
    assert code == 0, out + err
    report = json.loads((tmp_path / "r.json").read_text())
    has_line(out, re.escape(f"check-reads: {report['mysql']} against {report['dynamodb']}; up to 3 keys per "
                            "pattern at ") + ".+")
    for p in report["patterns"]:
        assert cells(out, p["key"])[:5] == [p["key"], str(p["calls"]), str(p["equal"]), str(p["deliberate"]), "0"]
    has_line(out, re.escape(f"check-reads: every answer matches ({report['calls']:,} compared)"))


def _tables() -> tuple[str, ...]:
    from schema.entities import sources_for
    return sources_for("all")
