"""`verify --deep` against a real migration, then against the same table corrupted by hand."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from connectors.dynamodb import clients
from pipelines.init_table import init_table
from schema import sampling
from schema.entities import ITEM_SPECS
from schema.identity import identity_text
from tests.integration.helpers import connection_flags, run_cli, seeded

# One xdist worker runs the whole module: its migrated table is built once, not once per worker, and
# corrupted only after the clean test ran.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_deep_verify")]

RATE = 0.1


@pytest.fixture(scope="module")
def source(seeded_database):
    return seeded_database()


def migrate_into_new_table(source, new_table_config):
    target = new_table_config("deep")
    assert init_table(target, out=io.StringIO()) == 0
    code, _, err = run_cli("migrate", *connection_flags(source, target))
    assert code == 0, err
    return target


@pytest.fixture(scope="module")
def migrated(source, new_table_config):
    return migrate_into_new_table(source, new_table_config)


def sampled(tp: str, pk: str, sk: str) -> bool:
    spec = ITEM_SPECS[tp]
    return sampling.in_sample(spec.source, identity_text(spec.identity_of_item(pk, sk)), RATE)


def keys_of(target, tp):
    """(PK, SK) of every item of one type, in a stable order."""
    client = clients.client(target)
    found = []
    for page in client.get_paginator("scan").paginate(
            TableName=target.table, FilterExpression="tp = :tp", ExpressionAttributeValues={":tp": {"S": tp}},
            ProjectionExpression="PK, SK"):
        found += [(i["PK"]["S"], i["SK"]["S"]) for i in page["Items"]]
    return sorted(found)


def corrupt(target, chosen: dict) -> dict:
    """The issue's five corruptions, on the keys in `chosen`; returns the expected findings."""
    client = clients.client(target)
    table = target.table

    def key(pk, sk):
        return {"PK": {"S": pk}, "SK": {"S": sk}}

    client.delete_item(TableName=table, Key=key(*chosen["ulog"]))
    client.update_item(TableName=table, Key=key(*chosen["usr"]), UpdateExpression="SET dat.nm = :v",
                       ExpressionAttributeValues={":v": {"S": "Mallory"}})
    client.update_item(TableName=table, Key=key(*chosen["prob"]), UpdateExpression="SET dat.met.difficulty = :v",
                       ExpressionAttributeValues={":v": {"S": "ruby"}})
    client.update_item(TableName=table, Key=key(*chosen["tc"]), UpdateExpression="REMOVE dat.#out",
                       ExpressionAttributeNames={"#out": "out"})  # OUT is a reserved word
    unknown_pk, unknown_sk = chosen["unknown"]
    client.put_item(TableName=table, Item={**key(unknown_pk, unknown_sk), "tp": {"S": "tc"},
                                           "dat": {"M": {"id": {"N": "999999999"}, "inp": {"S": ""}}}})
    return {
        ("missing", "ulog", chosen["ulog"]): None,
        ("mismatched", "usr", chosen["usr"]): ["dat.nm"],
        ("mismatched", "prob", chosen["prob"]): ["dat.met.difficulty"],
        ("mismatched", "tc", chosen["tc"]): ["dat.out"],
        ("unexpected", "tc", chosen["unknown"]): None,
    }


def findings(report_path) -> dict:
    report = json.loads(report_path.read_text())
    return {(d["class"], d["tp"], (d["PK"], d["SK"])): d.get("paths") for d in report["differences"]}, report


def test_clean_migration_is_ok_item_by_item(migrated, source, tmp_path):
    code, out, err = run_cli("verify", "--deep", "--report", str(tmp_path / "r.json"),
                             *connection_flags(source, migrated))
    assert code == 0, out + err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] is True and report["differences"] == []
    assert all(e["ok"] == e["expected"] > 0 for e in report["entities"].values())


@pytest.fixture(scope="module")
def corrupted(migrated):
    chosen = {tp: keys_of(migrated, tp)[3] for tp in ("ulog", "usr", "prob", "tc")}
    chosen["unknown"] = (chosen["tc"][0], "TC#000999999999")
    return migrated, corrupt(migrated, chosen)


def test_deep_verify_names_exactly_the_five_corruptions(corrupted, source, tmp_path):
    target, expected = corrupted
    code, out, _ = run_cli("verify", "--deep", "--report", str(tmp_path / "r.json"),
                           *connection_flags(source, target))
    assert code == 1
    found, report = findings(tmp_path / "r.json")
    assert found == expected
    assert report["ok"] is False
    assert report["entities"]["ulog"]["missing"] == 1
    assert report["entities"]["tc"]["unexpected"] == 1 and report["entities"]["tc"]["mismatched"] == 1


def test_counts_mode_sees_only_what_a_count_can_see(corrupted, source, tmp_path):
    target, _ = corrupted
    code, out, err = run_cli("verify", "--report", str(tmp_path / "v.json"), *connection_flags(source, target))
    assert code == 1, out + err
    report = json.loads((tmp_path / "v.json").read_text())
    differences = {tp: e["difference"] for tp, e in report["entities"].items() if e["difference"]}
    # The deleted usage log and the unknown test case; changed content (usr, prob, tc's changed twin) counts the same.
    assert differences == {"ulog": -1, "tc": +1}
    assert report["ok"] is False and report["differing"] == 2


def test_sampling_finds_the_corruptions_in_the_sample_and_is_repeatable(source, new_table_config, tmp_path):
    target = migrate_into_new_table(source, new_table_config)
    chosen_in, chosen_out = {}, {}
    for tp in ("ulog", "usr", "prob", "tc"):
        keys = keys_of(target, tp)
        chosen_in[tp] = next(k for k in keys if sampled(tp, *k))
        chosen_out[tp] = next(k for k in keys if not sampled(tp, *k))
    problem_pk = chosen_in["tc"][0]
    unknown = [(problem_pk, f"TC#{n:012d}") for n in range(900000000, 900000400)]
    chosen_in["unknown"] = next(k for k in unknown if sampled("tc", *k))
    chosen_out["unknown"] = next(k for k in unknown if not sampled("tc", *k))
    expected_in = corrupt(target, chosen_in)
    corrupt(target, chosen_out)

    runs = []
    for name in ("first", "second"):
        code, _, _ = run_cli("verify", "--deep", "--sample-rate", str(RATE), "--report", str(tmp_path / name),
                             *connection_flags(source, target))
        assert code == 1
        runs.append(findings(tmp_path / name))
    (found, report), (again, report_again) = runs
    assert found == expected_in
    assert again == found
    assert {tp: e["expected"] for tp, e in report["entities"].items()} == \
           {tp: e["expected"] for tp, e in report_again["entities"].items()}
    full = sum(1 for _ in keys_of(target, "ulog"))
    assert 0 < report["entities"]["ulog"]["expected"] < full / 3


def test_sql_and_python_sample_the_same_rows(source):
    engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    texts = ["1", "42", "baekjoon#1004", "가나다#🐍", "c0ffee-1#x"]
    with engine.connect() as conn:
        for text in texts:
            condition, params = sampling.sql_condition("t", ":text", 0.5)
            in_sql = conn.execute(sa.text(f"SELECT {condition}"), {**params, "text": text}).scalar()
            assert bool(in_sql) == sampling.in_sample("t", text, 0.5), text
    engine.dispose()


def test_an_item_made_invisible_to_the_scan_is_still_found(source, new_table_config, tmp_path):
    target = migrate_into_new_table(source, new_table_config)
    client = clients.client(target)
    pk, sk = keys_of(target, "ulog")[0]
    client.update_item(TableName=target.table, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                       UpdateExpression="SET #t = :past", ExpressionAttributeNames={"#t": "ttl"},
                       ExpressionAttributeValues={":past": {"N": "1000"}})
    code, out, err = run_cli("verify", "--deep", "--entity", "usage", "--report", str(tmp_path / "r.json"),
                             *connection_flags(source, target))
    assert code == 1, out + err
    found, _ = findings(tmp_path / "r.json")
    assert found == {("mismatched", "ulog", (pk, sk)): ["ttl"]}


def test_rows_that_cannot_map_are_reported_unmappable(source, migrated, tmp_path):
    engine = sa.create_engine(source.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO job_progress_history (id, content_type_id, object_id, step, message, "
                             "status, created_at) VALUES (777777, 1, 1, 's', 'm', 'started', UTC_TIMESTAMP(6))")
    try:
        code, out, _ = run_cli("verify", "--deep", "--entity", "jobs", "--report", str(tmp_path / "r.json"),
                               *connection_flags(source, migrated))
        assert code == 1
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["entities"]["jph"]["unmappable"] == 1
        (record,) = [d for d in report["differences"] if d["class"] == "unmappable"]
        assert record["key"] == 777777 and "logentry" in record["reason"]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM job_progress_history WHERE id = 777777")
        engine.dispose()


def test_items_of_types_not_verified_are_ignored(source, migrated, tmp_path):
    client = clients.client(migrated)
    client.put_item(TableName=migrated.table, Item={"PK": {"S": "SESSION#1"}, "SK": {"S": "META"},
                                                     "tp": {"S": "session"}})
    code, out, err = run_cli("verify", "--deep", "--entity", "plans", "--report", str(tmp_path / "r.json"),
                             *connection_flags(source, migrated))
    assert code == 0, out + err
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report["entities"]) == {"plan"} and report["entities"]["plan"]["ok"] > 0 and report["ok"]


def test_verify_that_cannot_run_exits_2(source, new_table_config):
    missing = new_table_config()
    code, _, err = run_cli("verify", "--deep", *connection_flags(source, missing))
    assert code == 2 and "does not exist" in err
    bad = sa.engine.make_url(source.url).set(port=1).render_as_string(hide_password=False)
    code, _, err = run_cli("verify", "--deep", "--mysql-url", bad, "--endpoint-url", missing.endpoint_url,
                           "--table", missing.table)
    assert code == 2 and "cannot connect to MySQL" in err
    code, _, err = run_cli("verify", "--sample-rate", "0.5", *connection_flags(source, missing))
    assert code == 2 and "--sample-rate applies to --deep" in err
