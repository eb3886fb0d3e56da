"""ToItems as a composite in a TestPipeline, with literal rows."""

import datetime as dt
import json

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from schema.codecs import epoch_seconds
from transforms.to_items import ToItems

NOW = int(epoch_seconds(dt.datetime(2026, 1, 10)))
from tests.transforms.support import pinned_pipeline


def log(row_id, user_id, days_old):
    return {"id": row_id, "user_id": user_id, "action": "hint", "problem_id": None, "metadata": "{}",
            "created_at": dt.datetime(2026, 1, 10) - dt.timedelta(days=days_old)}


def test_usage_rows_become_items_expired_are_dropped_and_bad_rows_dead_lettered():
    rows = [log(1, 5, 1), log(2, 5, 91), log(3, None, 1), log(4, 6, 0.5)]
    with pinned_pipeline() as p:
        out = p | beam.Create(rows) | ToItems("usage_logs", NOW)
        assert_that(out.items | "Keys" >> beam.Map(lambda e: (e.pk, json.loads(e.json)["dat"]["M"]["id"]["N"])),
                    equal_to([("USR#5#ULOG#20260109", "1"), ("USR#6#ULOG#20260109", "4")]), label="items")
        assert_that(out.dead_letter | "Why" >> beam.Map(lambda d: (d["table"], d["key"], d["reason"])),
                    equal_to([("usage_logs", 3,
                               "usage_logs.user_id is NULL but the ulog item needs it")]), label="dead")


def test_a_user_row_gives_two_encoded_items():
    user = {"id": 1, "password": "x", "last_login": None, "is_superuser": 0, "email": "A@B.c", "name": "",
            "picture": "", "google_id": "g1", "is_active": 1, "is_staff": 0,
            "created_at": dt.datetime(2026, 1, 1), "updated_at": dt.datetime(2026, 1, 2),
            "subscription_plan_id": None, "subscription_plan_id_dynamodb": None}
    with pinned_pipeline() as p:
        mapped = p | beam.Create([user]) | ToItems("users", NOW)
        assert_that(mapped.items | beam.Map(lambda e: (e.sk, json.loads(e.json)["GSI1PK"]["S"], e.tp, e.write_units)),
                    equal_to([("META", "EMAIL#a@b.c", "usr", 1), ("GID", "GID#g1", "usr_gid", 1)]), label="encoded")
        assert_that(mapped.dead_letter, equal_to([]), label="none dead")
