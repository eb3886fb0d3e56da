"""Every entity mapping, held against the keys and short names written in DESIGN.md §3.

The expected items are spelled out literally from the design, not computed with the code
under test, so a change to a key or a name shows up here as a failing contract.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest

from schema import mysql_ddl
from schema.entities import ENTITY_GROUPS, ITEM_SPECS, SOURCE_SPECS, item_types_for, sources_for
from schema.spec import RowRejected

T0 = dt.datetime(2025, 10, 8, 8, 32, 25, 123456)  # epoch 1759912345.123456
T0_EPOCH = Decimal("1759912345.123456")
T1 = dt.datetime(2025, 10, 9, 8, 32, 25)  # epoch 1759998745
T1_EPOCH = Decimal("1759998745")


def item(tp, row):
    return ITEM_SPECS[tp].to_item(row)


def test_plan():
    row = {"id": 2, "name": "Pro", "description": "", "max_hints_per_day": 50, "max_executions_per_day": 500,
           "max_problems": -1, "can_view_all_problems": 1, "can_register_problems": 0, "is_active": 1,
           "created_at": T0, "updated_at": T1}
    assert item("plan", row) == {
        "PK": "PLAN#2", "SK": "META", "tp": "plan", "crt": T0_EPOCH, "upd": T1_EPOCH,
        "dat": {"id": 2, "nm": "Pro", "dsc": "", "mh": 50, "me": 500, "mp": -1, "cva": True, "crp": False,
                "act": True},
    }


USER = {"id": 12345, "password": "pbkdf2_sha256$x", "last_login": None, "is_superuser": 0,
        "email": "John.Doe@Example.COM", "name": "John Doe", "picture": "", "google_id": "1093",
        "is_active": 1, "is_staff": 0, "created_at": T0, "updated_at": T1, "subscription_plan_id": 1,
        "subscription_plan_id_dynamodb": None}


def test_user_keeps_the_email_as_typed_and_indexes_it_lower_cased():
    assert item("usr", USER) == {
        "PK": "USR#12345", "SK": "META", "GSI1PK": "EMAIL#john.doe@example.com", "GSI1SK": "USR#12345",
        "tp": "usr", "crt": T0_EPOCH, "upd": T1_EPOCH,
        "dat": {"id": 12345, "em": "John.Doe@Example.COM", "nm": "John Doe", "pic": "", "gid": "1093",
                "plan": 1, "act": True, "stf": False, "su": False, "pwd": "pbkdf2_sha256$x"},
    }


def test_user_google_id_lookup_item_only_when_the_user_has_one():
    assert item("usr_gid", USER) == {
        "PK": "USR#12345", "SK": "GID", "GSI1PK": "GID#1093", "GSI1SK": "USR#12345", "tp": "usr_gid",
        "crt": T0_EPOCH, "upd": T1_EPOCH, "dat": {"id": 12345},
    }
    assert ITEM_SPECS["usr_gid"].produces_item_for(USER)
    assert not ITEM_SPECS["usr_gid"].produces_item_for({**USER, "google_id": None})


def test_user_last_login_is_epoch_seconds():
    assert item("usr", {**USER, "last_login": T1})["dat"]["lli"] == T1_EPOCH


PROBLEM = {"id": 7, "platform": "baekjoon", "problem_id": "1000", "title": "A+B", "problem_url": None,
           "tags": '["math", "구현"]', "solution_code": "print(1)", "language": "python", "constraints": None,
           "is_completed": 1, "is_deleted": 0, "deleted_at": None, "deleted_reason": None,
           "metadata": '{"difficulty": "bronze", "time_limit": 0.5, "stats": {"n": 3}}', "needs_review": 0,
           "review_notes": None, "verified_by_admin": 1, "reviewed_at": T1, "created_at": T0}


def test_problem():
    assert item("prob", PROBLEM) == {
        "PK": "PROB#baekjoon#1000", "SK": "META", "tp": "prob", "crt": T0_EPOCH,
        "dat": {"id": 7, "tit": "A+B", "tag": ["math", "구현"], "sol": "print(1)", "lng": "python",
                "cmp": True, "del": False,
                "met": {"difficulty": "bronze", "time_limit": Decimal("0.5"), "stats": {"n": 3}},
                "nrv": False, "vrf": True, "rvt": T1_EPOCH},
    }


def test_test_case_is_keyed_under_its_problem():
    row = {"id": 31, "problem_id": 7, "input": "1 2\n", "output": "3\n", "created_at": T0,
           "problem_platform": "baekjoon", "problem_number": "1000"}
    assert item("tc", row) == {
        "PK": "PROB#baekjoon#1000", "SK": "TC#000000000031", "tp": "tc", "crt": T0_EPOCH,
        "dat": {"id": 31, "inp": "1 2\n", "out": "3\n"},
    }


def test_test_case_of_a_missing_problem_is_rejected_not_dropped():
    row = {"id": 31, "problem_id": 99, "input": "", "output": "", "created_at": T0,
           "problem_platform": None, "problem_number": None}
    with pytest.raises(RowRejected, match="problem 99, which does not exist"):
        item("tc", row)


HISTORY = {"id": 5, "user_id": 12345, "user_identifier": "user-12345", "problem_id": 7, "platform": "baekjoon",
           "problem_number": "1000", "problem_title": "A+B", "language": "python", "code": "",
           "result_summary": '{"passed": 1}', "passed_count": 1, "failed_count": 0, "total_count": 1,
           "is_code_public": 1, "test_results": None, "hints": '["h"]', "metadata": "{}", "created_at": T0}


def test_public_history_has_both_index_keys():
    assert item("hist", HISTORY) == {
        "PK": "HIST#5", "SK": "META",
        "GSI1PK": "HIST#USR#12345", "GSI1SK": "2025-10-08T08:32:25.123456Z#000000000005",
        "GSI2PK": "HIST#PUBLIC", "GSI2SK": "2025-10-08T08:32:25.123456Z#000000000005",
        "tp": "hist", "crt": T0_EPOCH,
        "dat": {"id": 5, "uid": 12345, "uidt": "user-12345", "pid": 7, "plt": "baekjoon", "pno": "1000",
                "ptt": "A+B", "lng": "python", "cod": "", "res": {"passed": 1}, "psc": 1, "fsc": 0, "toc": 1,
                "pub": True, "hnt": ["h"], "met": {}},
    }


def test_private_anonymous_history_uses_the_identifier_and_no_gsi2():
    history = item("hist", {**HISTORY, "user_id": None, "user_identifier": "anon-9", "is_code_public": 0})
    assert history["GSI1PK"] == "HIST#UIDT#anon-9"
    assert "GSI2PK" not in history and "GSI2SK" not in history
    assert "uid" not in history["dat"]


def test_usage_log_keys_and_90_day_ttl():
    row = {"id": 77, "user_id": 12345, "action": "hint", "problem_id": None, "metadata": '{"lang": "py"}',
           "created_at": T0}
    assert item("ulog", row) == {
        "PK": "USR#12345#ULOG#20251008", "SK": "ULOG#hint#2025-10-08T08:32:25.123456Z#000000000077",
        "tp": "ulog", "crt": T0_EPOCH, "ttl": 1759912345 + 90 * 86400,
        "dat": {"id": 77, "act": "hint", "met": {"lang": "py"}},
    }


def test_usage_log_without_user_is_rejected():
    row = {"id": 77, "user_id": None, "action": "hint", "problem_id": None, "metadata": "{}", "created_at": T0}
    with pytest.raises(RowRejected, match="usage_logs.user_id is NULL"):
        item("ulog", row)


def test_script_generation_job():
    row = {"id": 3, "platform": "baekjoon", "problem_id": "1000", "title": "A+B", "problem_url": None,
           "tags": "[]", "solution_code": None, "language": "python", "constraints": "",
           "generator_code": None, "status": "PENDING", "celery_task_id": None, "error_message": None,
           "created_at": T0, "updated_at": T1}
    assert item("sgj", row) == {
        "PK": "SGJ#3", "SK": "META", "tp": "sgj", "crt": T0_EPOCH, "upd": T1_EPOCH,
        "dat": {"id": 3, "plt": "baekjoon", "pno": "1000", "tit": "A+B", "tag": [], "lng": "python", "con": "",
                "sts": "PENDING"},
    }


def test_problem_extraction_job():
    row = {"id": 4, "platform": "codeforces", "problem_id": "1A", "problem_url": "https://cf/1A",
           "problem_identifier": "codeforces:1A", "status": "FAILED", "celery_task_id": "c-1",
           "error_message": "timeout", "created_at": T0, "updated_at": T1}
    assert item("pej", row) == {
        "PK": "PEJ#4", "SK": "META", "tp": "pej", "crt": T0_EPOCH, "upd": T1_EPOCH,
        "dat": {"id": 4, "plt": "codeforces", "pno": "1A", "url": "https://cf/1A", "pidt": "codeforces:1A",
                "sts": "FAILED", "tid": "c-1", "err": "timeout"},
    }


@pytest.mark.parametrize("model, prefix", [("scriptgenerationjob", "SGJ"), ("problemextractionjob", "PEJ")])
def test_job_progress_goes_under_its_job_by_content_type(model, prefix):
    row = {"id": 8, "content_type_id": 4, "object_id": 3, "step": "fetch", "message": "ok",
           "status": "completed", "created_at": T0, "content_type_model": model}
    assert item("jph", row) == {
        "PK": f"{prefix}#3", "SK": "JPH#2025-10-08T08:32:25.123456Z#000000000008", "tp": "jph",
        "crt": T0_EPOCH, "ttl": 1759912345 + 30 * 86400,
        "dat": {"id": 8, "stp": "fetch", "msg": "ok", "sts": "completed"},
    }


def test_job_progress_of_another_content_type_is_rejected():
    row = {"id": 8, "content_type_id": 1, "object_id": 3, "step": "", "message": "", "status": "started",
           "created_at": T0, "content_type_model": "logentry"}
    with pytest.raises(RowRejected, match="not a migrated job type"):
        item("jph", row)


def test_task_result_keeps_its_string_key_in_dat_id():
    row = {"task_id": "c0ffee-1", "status": "SUCCESS", "result": '{"ok": true}', "traceback": None,
           "created_at": T0, "updated_at": T1}
    assert item("tres", row) == {
        "PK": "TRES#c0ffee-1", "SK": "META", "tp": "tres", "crt": T0_EPOCH, "upd": T1_EPOCH,
        "ttl": 1759912345 + 30 * 86400, "dat": {"id": "c0ffee-1", "sts": "SUCCESS", "res": {"ok": True}},
    }


def test_invalid_json_names_the_column():
    with pytest.raises(RowRejected, match=r"problems\.metadata: invalid JSON"):
        item("prob", {**PROBLEM, "metadata": "{oops"})


def test_a_hash_in_a_middle_key_part_is_rejected():
    with pytest.raises(RowRejected, match="prob key"):
        item("prob", {**PROBLEM, "platform": "bad#platform"})


def test_eleven_item_types_from_ten_tables():
    assert len(ITEM_SPECS) == 11
    assert len(SOURCE_SPECS) == 10
    assert sorted(item_types_for(sources_for("all"))) == sorted(ITEM_SPECS)


def _ddl_columns(table):
    body = mysql_ddl.CREATE_TABLES[table]
    names = re.findall(r"^\s+([a-z_]+) (?:BIGINT|INT|VARCHAR|LONGTEXT|BOOL|DATETIME|JSON)", body, re.M)
    return set(names)


@pytest.mark.parametrize("table", sorted(SOURCE_SPECS))
def test_every_source_column_is_mapped_or_excluded(table):
    source = SOURCE_SPECS[table]
    accounted = set(source.excluded)
    for tp in source.items:
        accounted |= ITEM_SPECS[tp].columns()
    assert set(source.columns) == _ddl_columns(table)
    assert set(source.columns) - accounted == set(), "columns neither mapped nor excluded"
    assert accounted - set(source.columns) == set(), "spec names columns the table does not have"


@pytest.mark.parametrize("tp", sorted(ITEM_SPECS))
def test_short_names_are_unique_per_item_type(tp):
    shorts = [a.short for a in ITEM_SPECS[tp].attributes]
    assert len(shorts) == len(set(shorts))
    assert "id" not in shorts


def test_entity_names_of_the_cli():
    assert list(ENTITY_GROUPS) == ["plans", "users", "problems", "history", "usage", "jobs", "tasks"]
    assert sources_for("problems") == ("problems", "test_cases")
    assert sources_for("jobs,users") == ("users", "script_generation_jobs", "problem_extraction_jobs",
                                         "job_progress_history")
    with pytest.raises(ValueError, match="unknown entity nope"):
        sources_for("nope")
