"""stream_range_with_retries with a scripted connection: where a dropped read goes on, and its bound.

(The same against a real MariaDB, with the reader's connection killed from another session,
is in tests/integration/test_resume_and_repair.py.)
"""

from __future__ import annotations

import pymysql
import pytest
import sqlalchemy as sa

from connectors.mysql.key_ranges import KeyRange
from connectors.mysql.queries import ReadAborted, stream_range_with_retries
from connectors.retry import RetryPolicy
from schema.entities import SOURCE_SPECS

SOURCE = SOURCE_SPECS["usage_logs"]
NAMES = SOURCE.selected_names()


def lost(code=2013):
    return sa.exc.OperationalError("SELECT", {}, pymysql.err.OperationalError(code, "Lost connection"))


class ScriptedEngine:
    """Each connect() serves rows from `rows` with id > the statement's :lower, failing as scripted."""

    def __init__(self, rows: list[int], failures: list):
        self.rows, self.failures, self.lowers = rows, list(failures), []

    def connect(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def exec_driver_sql(self, sql):
        pass

    def execution_options(self, **kwargs):
        return self

    def execute(self, statement, params):
        lower = params.get("lower")
        self.lowers.append(lower)
        failure = self.failures.pop(0) if self.failures else None
        return self._serve([r for r in self.rows if lower is None or r > lower], failure)

    @staticmethod
    def _serve(ids, failure):
        for position, row_id in enumerate(ids):
            if failure is not None and position == failure[0]:
                raise failure[1]
            yield tuple(row_id if name == "id" else None for name in NAMES)


def read(engine, **kwargs):
    return [row["id"] for row in stream_range_with_retries(engine, SOURCE, KeyRange("usage_logs", None, None, 0),
                                                           sleep=lambda s: None, **kwargs)]


def test_a_dropped_connection_goes_on_after_the_last_row_delivered():
    engine = ScriptedEngine(list(range(1, 11)), [(4, lost()), (2, lost(1927))])
    retries = []
    assert read(engine, on_retry=retries.append) == list(range(1, 11))  # nothing skipped, nothing twice
    assert engine.lowers == [None, 4, 6]
    assert len(retries) == 2 and "reading on after key 4" in retries[0]


def test_failures_without_progress_are_bounded_and_name_the_range():
    engine = ScriptedEngine([1, 2, 3], [(0, lost())] * 10)
    with pytest.raises(ReadAborted, match=r"usage_logs range usage_logs\(None, None\] failed 3 times"):
        read(engine, policy=RetryPolicy(max_attempts=3))
    assert len(engine.lowers) == 3


def test_an_error_in_the_query_itself_is_not_retried():
    engine = ScriptedEngine([1], [(0, sa.exc.ProgrammingError("SELECT", {}, pymysql.err.ProgrammingError(1146, "x")))])
    with pytest.raises(sa.exc.ProgrammingError):
        read(engine)
    assert len(engine.lowers) == 1
