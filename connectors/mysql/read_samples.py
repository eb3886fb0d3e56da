"""A deterministic sample of keys per access pattern, picked from MySQL (no Beam here).

`samples(conn, key, n, now)` gives up to n keys for check-reads to ask both sides about, each
with the kind of key it is. Rows are taken in the order of CRC32("<table>:<id>") (the hash
deep verify samples by), spread over the whole key range and the same on every run of the
same data; a pattern's kinds take turns, so a small sample still holds each kind:

- users by id, by email in mixed case, by Google id, and one that does not exist;
- user/action pairs with usage today over their plan's limit, at it, under it, and unused today;
- the public timeline's first n pages; users with the longest histories, and others;
- problems with and without test cases, and one that does not exist;
- jobs of each type and status; jobs with live progress, with expired progress only, with none;
- each plan's users, and the problems needing review (one listing each).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from itertools import zip_longest

import sqlalchemy as sa

from connectors.mysql.read_patterns import (
    CONTENT_TYPES, HISTORY, JOBS, PLANS, PROBLEMS, PROGRESS, TEST_CASES, USAGE, USERS, utc_midnight,
)
from schema.codecs import epoch_seconds
from schema.entities.jobs import JOB_MODEL_BY_TYPE, JOB_PROGRESS
from schema.entities.plans import UNLIMITED

ABSENT = "absent"
ABSENT_EMAIL = "absent.check-reads@example.invalid"
ABSENT_GOOGLE_ID = "absent-check-reads"


@dataclass(frozen=True)
class Sample:
    kind: str  # what kind of key it is ("at_limit", "absent", ...)
    params: dict  # the pattern's parameters for it


def _spread(column: sa.ColumnElement, table: str) -> sa.ColumnElement:
    return sa.func.crc32(sa.func.concat(f"{table}:", column))


def _take_turns(groups: list[tuple[str, list[dict]]], n: int) -> list[Sample]:
    """Up to n samples, one of each kind in turn, each kind in its own order."""
    picked = []
    for row in zip_longest(*[[Sample(kind, params) for params in group] for kind, group in groups]):
        picked += [sample for sample in row if sample is not None]
    return picked[:n]


def _ids(conn, statement) -> list:
    return [row[0] for row in conn.execute(statement)]


def mixed_case(text: str) -> str:
    """uSeR@eXaMpLe.CoM: a letter case the address was surely not stored in."""
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(text))


def _users(conn, n, now):
    ids = _ids(conn, sa.select(USERS.c.id).order_by(_spread(USERS.c.id, "users")).limit(n - 1))
    absent = conn.execute(sa.select(sa.func.coalesce(sa.func.max(USERS.c.id), 0) + 1)).scalar_one()
    return _take_turns([("user", [{"user_id": i} for i in ids]), (ABSENT, [{"user_id": absent}])], n)


def _emails(conn, n, now):
    emails = _ids(conn, sa.select(USERS.c.email).order_by(_spread(USERS.c.id, "users")).limit(n - 1))
    return _take_turns([("mixed_case", [{"email": mixed_case(e)} for e in emails]),
                        (ABSENT, [{"email": ABSENT_EMAIL}])], n)


def _google_ids(conn, n, now):
    ids = _ids(conn, sa.select(USERS.c.google_id).where(USERS.c.google_id.is_not(None))
               .order_by(_spread(USERS.c.id, "users")).limit(n - 1))
    return _take_turns([("google_id", [{"google_id": g} for g in ids]),
                        (ABSENT, [{"google_id": ABSENT_GOOGLE_ID}])], n)


def _usage_pairs(conn, n, now):
    midnight = utc_midnight(now)
    cap = sa.func.coalesce(sa.case((USAGE.c.action == "hint", PLANS.c.max_hints_per_day),
                                   (USAGE.c.action == "execution", PLANS.c.max_executions_per_day)), UNLIMITED)
    used_today = sa.select(USAGE.c.user_id, USAGE.c.action, cap.label("cap"), sa.func.count()) \
        .select_from(USAGE.join(USERS, USERS.c.id == USAGE.c.user_id)
                     .outerjoin(PLANS, PLANS.c.id == USERS.c.subscription_plan_id)) \
        .where(USAGE.c.created_at >= midnight, USAGE.c.created_at < midnight + _dt.timedelta(days=1)) \
        .group_by(USAGE.c.user_id, USAGE.c.action, sa.literal_column("cap")) \
        .order_by(_spread(sa.func.concat(USAGE.c.user_id, ":", USAGE.c.action), "usage_logs"))
    groups: dict[str, list] = {"over_limit": [], "at_limit": [], "under_limit": []}
    used = set()
    for user_id, action, limit, count in conn.execute(used_today):
        used.add(user_id)
        kind = "under_limit" if limit == UNLIMITED or count < limit else "at_limit" if count == limit else "over_limit"
        groups[kind].append({"user_id": user_id, "action": action, "limit": limit})
    hint_limit = sa.func.coalesce(PLANS.c.max_hints_per_day, UNLIMITED)
    unused = [{"user_id": user_id, "action": "hint", "limit": limit} for user_id, limit in conn.execute(
        sa.select(USERS.c.id, hint_limit).select_from(USERS.outerjoin(PLANS, PLANS.c.id == USERS.c.subscription_plan_id))
        .order_by(_spread(USERS.c.id, "users")).limit(n + len(used))) if user_id not in used]
    return _take_turns([*groups.items(), ("unused_today", unused)], n)


def _timeline(conn, n, now):
    return [Sample("first_pages", {"pages": n})]


def _histories(conn, n, now):
    longest = _ids(conn, sa.select(HISTORY.c.user_id).where(HISTORY.c.user_id.is_not(None))
                   .group_by(HISTORY.c.user_id).order_by(sa.func.count().desc(), HISTORY.c.user_id).limit(n))
    taken = set(longest)
    others = [i for i in _ids(conn, sa.select(USERS.c.id).order_by(_spread(USERS.c.id, "users")).limit(2 * n))
              if i not in taken]
    return _take_turns([("longest_history", [{"user_id": i, "pages": n} for i in longest]),
                        ("any_user", [{"user_id": i, "pages": n} for i in others])], n)


def _problems(conn, n, now):
    keys = conn.execute(sa.select(PROBLEMS.c.platform, PROBLEMS.c.problem_id)
                        .order_by(_spread(PROBLEMS.c.id, "problems")).limit(n - 1))
    return _take_turns([("problem", [{"platform": p, "number": k} for p, k in keys]),
                        (ABSENT, [{"platform": ABSENT, "number": ABSENT}])], n)


def _problems_and_testcases(conn, n, now):
    has_testcases = sa.exists().where(TEST_CASES.c.problem_id == PROBLEMS.c.id)
    groups = [(kind, [{"platform": p, "number": k} for p, k in conn.execute(
        sa.select(PROBLEMS.c.platform, PROBLEMS.c.problem_id).where(condition)
        .order_by(_spread(PROBLEMS.c.id, "problems")).limit(n))])
        for kind, condition in (("with_testcases", has_testcases), ("without_testcases", ~has_testcases))]
    return _take_turns(groups + [(ABSENT, [{"platform": ABSENT, "number": ABSENT}])], n)


def _jobs(conn, n, now):
    groups = []
    for job_type, table in JOBS.items():
        for status in _ids(conn, sa.select(table.c.status).distinct().order_by(table.c.status)):
            groups.append((f"{job_type} {status}", [{"job_type": job_type, "job_id": i} for i in _ids(
                conn, sa.select(table.c.id).where(table.c.status == status)
                .order_by(_spread(table.c.id, table.name)).limit(n))]))
        absent = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1)).scalar_one()
        groups.append((f"{job_type} {ABSENT}", [{"job_type": job_type, "job_id": absent}]))
    return _take_turns(groups, n)


def _progress(conn, n, now):
    oldest_live = JOB_PROGRESS.ttl.oldest_live_created_at(int(epoch_seconds(now)))
    groups: dict[str, list] = {"live_progress": [], "expired_progress_only": [], "no_progress": []}
    for job_type, table in JOBS.items():
        of_type = PROGRESS.join(CONTENT_TYPES, sa.and_(CONTENT_TYPES.c.id == PROGRESS.c.content_type_id,
                                                       CONTENT_TYPES.c.model == JOB_MODEL_BY_TYPE[job_type]))
        spread = _spread(PROGRESS.c.object_id, table.name)
        for kind, newest in (("live_progress", sa.func.max(PROGRESS.c.created_at) >= oldest_live),
                             ("expired_progress_only", sa.func.max(PROGRESS.c.created_at) < oldest_live)):
            groups[kind] += [{"job_type": job_type, "job_id": i} for i in _ids(
                conn, sa.select(PROGRESS.c.object_id).select_from(of_type).group_by(PROGRESS.c.object_id)
                .having(newest).order_by(spread).limit(n))]
        has_progress = sa.exists().select_from(of_type).where(PROGRESS.c.object_id == table.c.id)
        groups["no_progress"] += [{"job_type": job_type, "job_id": i} for i in _ids(
            conn, sa.select(table.c.id).where(~has_progress).order_by(_spread(table.c.id, table.name)).limit(n))]
    return _take_turns(list(groups.items()), n)


def _plans(conn, n, now):
    return [Sample("plan", {"plan_id": i}) for i in _ids(conn, sa.select(PLANS.c.id).order_by(PLANS.c.id).limit(n))]


def _review(conn, n, now):
    return [Sample("listing", {})]


_SAMPLERS = {
    "rate_limit": _usage_pairs, "login_email": _emails, "login_google_id": _google_ids, "user_by_id": _users,
    "public_timeline": _timeline, "user_history": _histories, "problem": _problems,
    "problem_with_testcases": _problems_and_testcases,
    "job_status": _jobs, "job_progress": _progress, "admin_users_by_plan": _plans,
    "admin_problems_needing_review": _review,
}
PATTERN_KEYS = tuple(_SAMPLERS)


def samples(conn: sa.Connection, key: str, n: int, now: _dt.datetime) -> list[Sample]:
    """Up to n keys for pattern `key` (n at least 1), deterministic for the data and `now`'s day."""
    if n < 1:
        raise ValueError("a sample needs at least 1 key")
    return _SAMPLERS[key](conn, n, now)
