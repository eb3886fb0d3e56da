import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.codecs import JSON, ValueRejected, epoch_seconds, from_epoch_seconds, parse_json, plain_decimal
from schema.ttl import TtlRule

moments = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1))


def test_epoch_seconds_keeps_microseconds_exactly():
    assert epoch_seconds(dt.datetime(2025, 10, 8, 8, 32, 25, 123456)) == Decimal("1759912345.123456")
    assert epoch_seconds(dt.datetime(2025, 10, 8, 8, 32, 25)) == Decimal("1759912345")
    assert str(epoch_seconds(dt.datetime(2025, 10, 8, 8, 32, 25, 100000))) == "1759912345.1"


@given(moments)
def test_epoch_round_trip(moment):
    assert from_epoch_seconds(epoch_seconds(moment)) == moment


def test_plain_decimal_never_uses_exponents():
    assert str(plain_decimal(Decimal("1E+3"))) == "1000"
    assert str(plain_decimal(Decimal("1.500"))) == "1.5"


def test_json_numbers_become_decimal_and_bad_json_is_rejected():
    assert JSON.encode('{"a": 1.5, "b": [1, {"c": null}], "d": {}}') == {
        "a": Decimal("1.5"), "b": [1, {"c": None}], "d": {}}
    assert JSON.encode({"x": 0.1}) == {"x": Decimal("0.1")}
    with pytest.raises(ValueRejected, match="invalid JSON"):
        JSON.encode("{not json")
    with pytest.raises(ValueRejected, match="NaN"):
        JSON.encode('{"a": NaN}')


@given(moments, st.integers(min_value=0, max_value=4_000_000_000))
def test_ttl_rule_item_side_and_sql_side_agree(created, now):
    """The SQL cutoff used by verify classifies every row exactly as the item-side rule."""
    rule = TtlRule(days=90)
    expired = rule.is_expired(rule.ttl_for(epoch_seconds(created)), now)
    live_by_sql = created >= rule.oldest_live_created_at(now)
    assert expired != live_by_sql


def test_ttl_boundary():
    rule = TtlRule(days=1)
    created = dt.datetime(2026, 1, 1, 0, 0, 0, 999999)
    ttl = rule.ttl_for(epoch_seconds(created))
    assert ttl == epoch_seconds(dt.datetime(2026, 1, 2)) 
    assert rule.is_expired(ttl, now=ttl)
    assert not rule.is_expired(ttl, now=ttl - 1)


json_values = st.recursive(
    st.none() | st.booleans() | st.text() | st.integers() | st.integers(min_value=-2**80, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False) | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12)


@given(json_values, st.sampled_from([None, 1]))
def test_parse_json_reads_what_the_json_module_reads(value, indent):
    """parse_json takes orjson's shortcut only where it is exact: same values, no float, ever."""
    text = json.dumps(value, default=str, indent=indent)
    parsed = parse_json(text)
    expected = json.loads(text, parse_float=Decimal)
    assert parsed == expected and repr(parsed) == repr(expected)


def test_what_orjson_refuses_is_read_or_refused_by_the_json_module():
    assert parse_json('{"a": "\\ud800"}') == {"a": "\ud800"}  # a lone surrogate: orjson refuses, json reads
    for constant in ("NaN", "[Infinity]"):
        with pytest.raises(ValueRejected):
            parse_json(constant)
    for broken in ("[1,]", "\ufeff{}", ""):
        with pytest.raises(ValueError):
            parse_json(broken)
