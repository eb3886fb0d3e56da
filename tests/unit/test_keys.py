import datetime as dt

import pytest

from schema import keys as k
from schema.entities.history import user_history_gsi1pk
from schema.entities.usage import usage_pk, usage_sk, usage_sk_prefix


def test_join_key_allows_separator_only_in_last_part():
    assert k.join_key("EMAIL", "a#b@example.com") == "EMAIL#a#b@example.com"
    with pytest.raises(k.InvalidKeyPart):
        k.join_key("PROB", "bad#platform", "1000")
    with pytest.raises(k.InvalidKeyPart):
        k.join_key("PROB", "", "1000")


def test_split_key_inverts_join_key_with_separator_in_last_part():
    key = k.join_key("TRES", "task#with#hashes")
    assert k.split_key(key, 2) == ["TRES", "task#with#hashes"]


def test_padded_id_sorts_numerically_and_rejects_what_does_not_fit():
    assert k.padded_id(42) == "000000000042"
    assert sorted([k.padded_id(10), k.padded_id(9)]) == [k.padded_id(9), k.padded_id(10)]
    with pytest.raises(k.InvalidKeyPart):
        k.padded_id(10**12)
    with pytest.raises(k.InvalidKeyPart):
        k.padded_id(-1)


def test_key_timestamp_is_utc_with_microseconds():
    naive = dt.datetime(2026, 1, 2, 3, 4, 5, 60)
    assert k.key_timestamp(naive) == "2026-01-02T03:04:05.000060Z"
    aware = dt.datetime(2026, 1, 2, 12, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert k.key_timestamp(aware) == "2026-01-02T03:04:05.000000Z"
    assert dt.datetime.strptime("2026-01-02T03:04:05.000060Z", "%Y-%m-%dT%H:%M:%S.%fZ") == naive


def test_usage_keys_put_the_action_first_and_end_with_the_row_id():
    at = dt.datetime(2026, 3, 4, 23, 59, 59, 999999)
    assert usage_pk(7, at) == "USR#7#ULOG#20260304"
    assert usage_pk(7, at.date()) == "USR#7#ULOG#20260304"
    assert usage_sk("hint", at, 12) == "ULOG#hint#2026-03-04T23:59:59.999999Z#000000000012"
    assert usage_sk("hint", at, 12).startswith(usage_sk_prefix("hint"))
    assert not usage_sk("execution", at, 12).startswith(usage_sk_prefix("hint"))


def test_key_size_limits():
    k.check_key_sizes("P" * 2048, "S" * 1024)
    with pytest.raises(k.InvalidKeyPart, match="partition key"):
        k.check_key_sizes("가" * 683, "S")  # 2049 bytes in UTF-8
    with pytest.raises(k.InvalidKeyPart, match="sort key"):
        k.check_key_sizes("P", "S" * 1025)


def test_history_gsi1_falls_back_to_user_identifier():
    assert user_history_gsi1pk(5, "user-5") == "HIST#USR#5"
    assert user_history_gsi1pk(None, "anon-1") == "HIST#UIDT#anon-1"
    with pytest.raises(k.InvalidKeyPart):
        user_history_gsi1pk(None, None)
