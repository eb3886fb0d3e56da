"""Each access pattern's repository call, and its answer compared with MySQL's, for moving reads.

`CANDIDATES[key](repositories, params)` makes the repository call that replaces the pattern's
Django query (schema/access_patterns.py says which) and returns what the application gets;
`verdict` compares that with the query's answer (rows with the table's column names, in the
shapes of schema/read_answers.py). check-reads runs both; the application uses
`same_answer` as the shadow-read wrapper's `compare`:

    from repositories.parity import same_answer
    from repositories.shadow import shadow
    user = shadow("login_email",
                  control=lambda: User.objects.filter(email__iexact=email).values().first(),
                  candidate=lambda: users.get_user_by_email(email),
                  compare=same_answer("login_email", email=email))

`same_answer` takes the control's answer as the Django query gives it (`.values()` rows;
a page as (rows, page.has_next())) and the candidate's as the repository returns it.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import Callable

from repositories.base import utc_now
from repositories.history import SearchHistoryRepository
from repositories.jobs import JobRepository
from repositories.problems import ProblemRepository
from repositories.usage import UsageLogRepository
from repositories.users import UserRepository, as_row
from schema.access_patterns import PATTERNS_BY_KEY
from schema.read_answers import Verdict


class Repositories:
    """The application's repositories over one table, made when first used."""

    def __init__(self, table):
        self.table = table

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.table)

    @cached_property
    def usage(self) -> UsageLogRepository:
        return UsageLogRepository(self.table)

    @cached_property
    def history(self) -> SearchHistoryRepository:
        return SearchHistoryRepository(self.table)

    @cached_property
    def problems(self) -> ProblemRepository:
        return ProblemRepository(self.table)

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(self.table)


def every_page(list_page: Callable[..., tuple[list, str | None]], page_size: int) -> list:
    """All the rows of a paginated listing, following its cursors."""
    rows, cursor = list_page(limit=page_size, cursor=None)
    while cursor is not None:
        more, cursor = list_page(limit=page_size, cursor=cursor)
        rows += more
    return rows


def _size(key: str) -> int:
    return PATTERNS_BY_KEY[key].page_size


CANDIDATES: dict[str, Callable[[Repositories, dict], object]] = {
    "rate_limit": lambda r, p: r.usage.check_rate_limit(p["user_id"], p["action"], p["limit"], now=p["now"]),
    "login_email": lambda r, p: r.users.get_user_by_email(p["email"]),
    "login_google_id": lambda r, p: r.users.get_user_by_google_id(p["google_id"]),
    "user_by_id": lambda r, p: r.users.get_user_by_id(p["user_id"]),
    "public_timeline": lambda r, p: r.history.list_public_history(limit=p["page_size"], cursor=p.get("cursor")),
    "user_history": lambda r, p: r.history.list_user_history(p["user_id"], limit=p["page_size"],
                                                             cursor=p.get("cursor")),
    "problem": lambda r, p: r.problems.get_problem(p["platform"], p["number"]),
    "problem_with_testcases": lambda r, p: r.problems.get_problem_with_testcases(p["platform"], p["number"]),
    "job_status": lambda r, p: r.jobs.get_job(p["job_type"], p["job_id"]),
    "job_progress": lambda r, p: r.jobs.get_progress(p["job_type"], p["job_id"], now=p["now"]),
    "admin_users_by_plan": lambda r, p: every_page(
        partial(r.users.list_users, plan_id=p["plan_id"]), _size("admin_users_by_plan")),
    "admin_problems_needing_review": lambda r, p: every_page(
        r.problems.list_problems_needing_review, _size("admin_problems_needing_review")),
}

# Users come back with `user_id` for `id` (as in the migration guide); the rest as rows already.
_AS_ROWS: dict[str, Callable[[object], object]] = {
    "login_email": as_row, "login_google_id": as_row, "user_by_id": as_row,
    "admin_users_by_plan": lambda users: [as_row(user) for user in users],
}


def verdict(key: str, control: object, candidate: object, **params) -> Verdict:
    """The Django/MySQL answer against the repository's, for pattern `key` (`params`: the read's
    own, where a declared difference needs them: `email`, `google_id`; `now` defaults to the clock)."""
    candidate = _AS_ROWS.get(key, lambda answer: answer)(candidate)
    params.setdefault("now", utc_now())
    return PATTERNS_BY_KEY[key].compare(control, candidate, params)


def same_answer(key: str, **params) -> Callable[[object, object], bool]:
    """A `compare` for the shadow-read wrapper: True when the answers match, deliberate
    differences (declared on the pattern) seen past."""
    if key not in PATTERNS_BY_KEY:
        raise ValueError(f"unknown access pattern {key!r}; choose from {', '.join(PATTERNS_BY_KEY)}")
    return lambda control, candidate: verdict(key, control, candidate, **params).matches
