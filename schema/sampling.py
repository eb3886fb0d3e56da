"""Deterministic sampling of source rows, computable identically in Python and in SQL.

A row is in the sample when CRC32("<table>:<identity>") mod 1,000,000 is below
rate * 1,000,000. MySQL's CRC32() over the same UTF-8 text gives the same number as
Python's zlib.crc32, so the SQL count of expected items and the Python filter on scanned
items select exactly the same rows, on every run. Sampling by source row keeps a row's
items together (a user and its Google-id look-up are in or out together).
"""

from __future__ import annotations

import zlib

BUCKETS = 1_000_000


def threshold(rate: float) -> int:
    if not 0 < rate <= 1:
        raise ValueError("sample rate must be in (0, 1]")
    return int(round(rate * BUCKETS))


def in_sample(table: str, identity_text: str, rate: float) -> bool:
    if rate >= 1:
        return True
    return zlib.crc32(f"{table}:{identity_text}".encode("utf-8")) % BUCKETS < threshold(rate)


def sql_condition(table: str, identity_sql: str, rate: float, param: str = "sample_threshold") -> tuple[str, dict]:
    """The same test as `in_sample`, as a SQL predicate over `identity_sql` (text)."""
    if rate >= 1:
        return "1=1", {}
    return (f"MOD(CRC32(CONCAT('{table}:', {identity_sql})), {BUCKETS}) < :{param}",
            {param: threshold(rate)})
