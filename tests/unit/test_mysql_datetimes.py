"""The engines' DATETIME parser gives what PyMySQL's own converter gives, for every text MySQL prints."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymysql import converters

from connectors.mysql.engines import datetime_value


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
       st.sampled_from([0, 1, 2, 3, 4, 5, 6]), st.sampled_from([" ", "T"]), st.booleans())
def test_same_value_as_pymysql(moment, digits, separator, as_bytes):
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{separator}"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    value = text.encode("ascii") if as_bytes else text
    assert repr(datetime_value(value)) == repr(converters.convert_datetime(value))


@pytest.mark.parametrize("text", ["0000-00-00 00:00:00", "2024-02-30 10:00:00", "2024-02-29 24:00:00",
                                  "0000-00-00 00:00:00.000000", "2024-01-01", "2024-01-01 10:00:00.1234567",
                                  "garbage-in-19-chars"])
def test_odd_texts_as_pymysql_reads_them(text):
    assert repr(datetime_value(text)) == repr(converters.convert_datetime(text))
