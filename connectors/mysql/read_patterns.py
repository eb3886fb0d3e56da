"""Each access pattern's MySQL form: the read the Django application makes for it today, written
once in SQLAlchemy Core with the ORM's semantics (no Beam here).

`FORMS[key](conn, params)` answers as the application's query does, in the shapes of
schema/read_answers.py, rows as dicts of the table's columns (what `.values()` gives); the
catalogue (schema/access_patterns.py) has the Django call beside each. The ORM's semantics,
kept exactly:
- `email__iexact`: Django's MySQL backend runs `LIKE %s`, the value's `\\`, `%` and `_`
  escaped, under the column's collation (utf8mb4_unicode_ci: any letter case, any accent);
- the rate limit's window: the UTC day of `now`, from midnight to the next midnight;
- `order_by('-created_at', '-id')`, and pages as Django's Paginator cuts them: LIMIT 20
  OFFSET 20 x (n - 1), one row more read to know whether a page follows (Paginator asks a
  COUNT for that);
- `.get()`: one row or none (the tables' unique keys see to it).
The TTL rule is not in any form: Django has none. Where the table leaves expired rows out,
the pattern declares it (schema/read_answers.EXPIRED_HIDDEN). `sql(key)` gives the forms'
SQL text for the data-model document.
"""

from __future__ import annotations

import datetime as _dt
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from schema.entities import SOURCE_SPECS
from schema.entities.jobs import JOB_MODEL_BY_TYPE, JOB_SPEC_BY_TYPE
from schema.entities.plans import UNLIMITED


def source_table(name: str) -> sa.TableClause:
    """A source table with the columns its spec reads."""
    return sa.table(name, *(sa.column(column) for column in SOURCE_SPECS[name].columns))


USERS = source_table("users")
PLANS = source_table("subscription_plans")
USAGE = source_table("usage_logs")
HISTORY = source_table("search_history")
PROBLEMS = source_table("problems")
TEST_CASES = source_table("test_cases")
PROGRESS = source_table("job_progress_history")
CONTENT_TYPES = sa.table("django_content_type", sa.column("id"), sa.column("model"))
JOBS = {job_type: source_table(spec.source) for job_type, spec in JOB_SPEC_BY_TYPE.items()}

_NEWEST_FIRST = (HISTORY.c.created_at.desc(), HISTORY.c.id.desc())


def _param(name: str) -> sa.BindParameter:
    return sa.bindparam(name)


def _paged(statement: sa.Select) -> sa.Select:
    return statement.limit(_param("limit")).offset(_param("offset"))


USER_BY_ID = sa.select(*USERS.c).where(USERS.c.id == _param("user_id"))
USER_BY_EMAIL = sa.select(*USERS.c).where(USERS.c.email.like(_param("email")))
USER_BY_GOOGLE_ID = sa.select(*USERS.c).where(USERS.c.google_id == _param("google_id"))
USAGE_OF_THE_DAY = sa.select(sa.func.count()).select_from(USAGE).where(
    USAGE.c.user_id == _param("user_id"), USAGE.c.action == _param("action"),
    USAGE.c.created_at >= _param("midnight"), USAGE.c.created_at < _param("next_midnight"))
PUBLIC_TIMELINE = _paged(sa.select(*HISTORY.c).where(HISTORY.c.is_code_public == sa.true()).order_by(*_NEWEST_FIRST))
USER_HISTORY = _paged(sa.select(*HISTORY.c).where(HISTORY.c.user_id == _param("user_id")).order_by(*_NEWEST_FIRST))
PROBLEM = sa.select(*PROBLEMS.c).where(PROBLEMS.c.platform == _param("platform"),
                                      PROBLEMS.c.problem_id == _param("number"))
TESTCASES_OF_PROBLEM = sa.select(*TEST_CASES.c).where(TEST_CASES.c.problem_id == _param("problem_row_id")) \
    .order_by(TEST_CASES.c.id)
JOB_BY_ID = {job_type: sa.select(*table.c).where(table.c.id == _param("job_id")) for job_type, table in JOBS.items()}
PROGRESS_OF_JOB = sa.select(*PROGRESS.c) \
    .select_from(PROGRESS.join(CONTENT_TYPES, CONTENT_TYPES.c.id == PROGRESS.c.content_type_id)) \
    .where(CONTENT_TYPES.c.model == _param("model"), PROGRESS.c.object_id == _param("job_id")) \
    .order_by(PROGRESS.c.created_at, PROGRESS.c.id)
USERS_OF_PLAN = sa.select(*USERS.c).where(USERS.c.subscription_plan_id == _param("plan_id")).order_by(USERS.c.id)
PROBLEMS_NEEDING_REVIEW = sa.select(*PROBLEMS.c).where(PROBLEMS.c.needs_review == sa.true()).order_by(PROBLEMS.c.id)


def iexact(value: str) -> str:
    """The LIKE pattern Django's MySQL backend makes of an `__iexact` value."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def utc_midnight(now: _dt.datetime) -> _dt.datetime:
    return _dt.datetime.combine(now.date(), _dt.time())


def _rows(conn: sa.Connection, statement: sa.Select, params: dict) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(statement, params)]


def _one(conn: sa.Connection, statement: sa.Select, params: dict) -> dict | None:
    rows = _rows(conn, statement, params)
    return rows[0] if rows else None


def _page(conn: sa.Connection, statement: sa.Select, params: dict) -> tuple[list[dict], bool]:
    """Page `page` (from 1) of `page_size` rows, and whether another follows."""
    size = params["page_size"]
    rows = _rows(conn, statement, {**params, "limit": size + 1, "offset": (params["page"] - 1) * size})
    return rows[:size], len(rows) > size


def rate_limit(conn, params):
    midnight = utc_midnight(params["now"])
    next_midnight = midnight + _dt.timedelta(days=1)
    count = conn.execute(USAGE_OF_THE_DAY, {"user_id": params["user_id"], "action": params["action"],
                                            "midnight": midnight, "next_midnight": next_midnight}).scalar_one()
    return params["limit"] == UNLIMITED or count < params["limit"], count, next_midnight


def problem_with_testcases(conn, params):
    problem = _one(conn, PROBLEM, params)
    if problem is None:
        return None, []
    return problem, _rows(conn, TESTCASES_OF_PROBLEM, {"problem_row_id": problem["id"]})


FORMS: dict[str, Callable[[sa.Connection, dict], object]] = {
    "rate_limit": rate_limit,
    "login_email": lambda conn, p: _one(conn, USER_BY_EMAIL, {"email": iexact(p["email"])}),
    "login_google_id": lambda conn, p: _one(conn, USER_BY_GOOGLE_ID, p),
    "user_by_id": lambda conn, p: _one(conn, USER_BY_ID, p),
    "public_timeline": lambda conn, p: _page(conn, PUBLIC_TIMELINE, p),
    "user_history": lambda conn, p: _page(conn, USER_HISTORY, p),
    "problem": lambda conn, p: _one(conn, PROBLEM, p),
    "problem_with_testcases": problem_with_testcases,
    "job_status": lambda conn, p: _one(conn, JOB_BY_ID[p["job_type"]], p),
    "job_progress": lambda conn, p: _rows(conn, PROGRESS_OF_JOB, {**p, "model": JOB_MODEL_BY_TYPE[p["job_type"]]}),
    "admin_users_by_plan": lambda conn, p: _rows(conn, USERS_OF_PLAN, p),
    "admin_problems_needing_review": lambda conn, p: _rows(conn, PROBLEMS_NEEDING_REVIEW, p),
}

STATEMENTS: dict[str, tuple[sa.Select, ...]] = {
    "rate_limit": (USAGE_OF_THE_DAY,),
    "login_email": (USER_BY_EMAIL,),
    "login_google_id": (USER_BY_GOOGLE_ID,),
    "user_by_id": (USER_BY_ID,),
    "public_timeline": (PUBLIC_TIMELINE,),
    "user_history": (USER_HISTORY,),
    "problem": (PROBLEM,),
    "problem_with_testcases": (PROBLEM, TESTCASES_OF_PROBLEM),
    "job_status": tuple(JOB_BY_ID.values()),
    "job_progress": (PROGRESS_OF_JOB,),
    "admin_users_by_plan": (USERS_OF_PLAN,),
    "admin_problems_needing_review": (PROBLEMS_NEEDING_REVIEW,),
}


def sql(key: str) -> list[str]:
    """The SQL text of a pattern's MySQL form, as MySQL receives it (named parameters)."""
    dialect = mysql.dialect(paramstyle="named")
    return [" ".join(str(statement.compile(dialect=dialect)).split()) for statement in STATEMENTS[key]]
