"""check-reads' work, without Beam: ask MySQL and the repositories the same questions and compare
their answers. `algoitny-etl check-reads` (pipelines/check_reads.py) prints the report; the
cut-over calls `check_reads` in-process and refuses on a difference.

For each access pattern (schema/access_patterns.py): a deterministic sample of keys from MySQL
(connectors/mysql/read_samples.py); for each key the pattern's MySQL form (connectors/mysql/
read_patterns.py) and its repository call (repositories/parity.py), both at one instant
`now`, each timed, which goes first alternating from call to call; the answers compared in
deep verify's canonical form with the pattern's declared differences (schema/read_answers.py).
A paginated pattern is walked page by page, MySQL by offset as Django's Paginator does, the
repository by its cursor, each page a call; the pages joined are then compared with one MySQL
read of their whole span, so a row skipped or repeated at a page boundary shows there even
when MySQL's own offset pages drift under concurrent writes.

MySQL is read with autocommit (each question sees the latest commit, as the repositories do),
so a source still being written shows sync's lag as differences: run it where writes are
frozen (cut-over) or expect them.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql import read_samples
from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine
from connectors.mysql.read_patterns import FORMS
from reports.read_parity_report import answer_json, latency, params_json
from repositories.base import utc_now
from repositories.parity import CANDIDATES, Repositories, verdict
from schema.access_patterns import AccessPattern, patterns_named
from schema.read_answers import DELIBERATE, DIFFERENT, EQUAL, PAGE

DEFAULT_SAMPLE = 50
REPORTED_DIFFERENCES = 20


def _timed(read, timings: list) -> object:
    started = time.perf_counter()
    answer = read()
    timings.append((time.perf_counter() - started) * 1000)
    return answer


@dataclass
class _PatternCheck:
    """One pattern's questions to both sides, and its tally as they are answered."""

    pattern: AccessPattern
    conn: object
    repositories: Repositories
    outcomes: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    declared: Counter = field(default_factory=Counter)
    mysql_ms: list = field(default_factory=list)
    dynamodb_ms: list = field(default_factory=list)
    differences: list = field(default_factory=list)

    def ask(self, params: dict, candidate_params: dict | None = None) -> tuple[object, object]:
        """(MySQL's answer, the repository's) to one question, each timed; which goes first alternates."""
        def mysql():
            return FORMS[self.pattern.key](self.conn, params)

        def dynamodb():
            return CANDIDATES[self.pattern.key](self.repositories, candidate_params or params)

        if len(self.mysql_ms) % 2 == 0:
            control = _timed(mysql, self.mysql_ms)
            return control, _timed(dynamodb, self.dynamodb_ms)
        candidate = _timed(dynamodb, self.dynamodb_ms)
        return _timed(mysql, self.mysql_ms), candidate

    def record(self, kind: str, params: dict, control: object, candidate: object) -> None:
        found = verdict(self.pattern.key, control, candidate, **params)
        self.outcomes[found.outcome] += 1
        self.kinds[kind] += 1
        if found.outcome == DELIBERATE:
            self.declared.update(found.deliberate)
        if found.outcome == DIFFERENT and len(self.differences) < REPORTED_DIFFERENCES:
            self.differences.append({"sample": kind, "params": params_json(params), "paths": list(found.paths),
                                     "declared_applied": list(found.deliberate),
                                     "mysql": answer_json(found.control), "dynamodb": answer_json(found.candidate)})

    def walk(self, sample: read_samples.Sample, now: _dt.datetime) -> None:
        """Pages 1.. of a paginated pattern, then the pages joined against one read of their span."""
        size = self.pattern.page_size
        base = {**sample.params, "now": now, "page_size": size}
        cursor, joined, page = None, [], 0
        while page < sample.params["pages"]:
            page += 1
            control, candidate = self.ask({**base, "page": page}, {**base, "cursor": cursor})
            self.record(sample.kind, {**base, "page": page}, control, candidate)
            joined += candidate[0]
            cursor = candidate[1]
            if not control[1] or cursor is None:
                break
        if page > 1:
            span = {**base, "page": 1, "page_size": size * page}
            self.record(f"{sample.kind}, pages joined", {**span, "pages": f"1-{page}"},
                        FORMS[self.pattern.key](self.conn, span), (joined, cursor))

    def report(self) -> dict:
        pattern = self.pattern
        return {"key": pattern.key, "name": pattern.name, "calls": sum(self.outcomes.values()),
                "equal": self.outcomes[EQUAL], "deliberate": self.outcomes[DELIBERATE],
                "different": self.outcomes[DIFFERENT], "samples": dict(self.kinds),
                "latency_ms": {"mysql": latency(self.mysql_ms), "dynamodb": latency(self.dynamodb_ms),
                               "timed_calls": len(self.mysql_ms)},
                "guide_ms": pattern.guide_ms or None,
                "declared_differences": [{"name": d.name, "why": d.why, "answers": self.declared[d.name]}
                                         for d in pattern.deliberate],
                "differences": self.differences}


def check_pattern(pattern: AccessPattern, conn, repositories: Repositories, sample: int,
                  now: _dt.datetime) -> dict:
    check = _PatternCheck(pattern, conn, repositories)
    for chosen in read_samples.samples(conn, pattern.key, sample, now):
        if pattern.answer.kind == PAGE:
            check.walk(chosen, now)
        else:
            params = {**chosen.params, "now": now}
            check.record(chosen.kind, params, *check.ask(params))
    return check.report()


def check_reads(mysql: MySQLConfig, dynamo: DynamoDBConfig, sample: int = DEFAULT_SAMPLE,
                patterns: str | Sequence[str] | None = None, now: _dt.datetime | None = None) -> dict:
    """The report of asking both sides about up to `sample` keys of each of `patterns` (keys of
    schema/access_patterns.py, comma-separated or a list; None: all) at the instant `now`
    (naive UTC; default the clock). `report["different"]` is 0 when every answer matches.
    ValueError for an unknown pattern or a sample below 1; the connectors' own errors when a
    side cannot be reached."""
    chosen = patterns_named(patterns if patterns is None or isinstance(patterns, str) else ",".join(patterns))
    if sample < 1:
        raise ValueError("--sample must be at least 1")
    now = now or utc_now()
    started = time.monotonic()
    repositories = Repositories(clients.table_resource(dynamo))
    engine = make_engine(mysql, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            results = [check_pattern(pattern, conn, repositories, sample, now) for pattern in chosen]
    finally:
        engine.dispose()
    totals = {name: sum(r[name] for r in results) for name in ("calls", "equal", "deliberate", "different")}
    return {"command": "check-reads", "mysql": mysql.masked(), "dynamodb": dynamo.describe(),
            "now": now.isoformat() + "Z", "sample": sample, "seconds": round(time.monotonic() - started, 1),
            **totals, "patterns": results}
