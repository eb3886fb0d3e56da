"""The access patterns the table serves (DESIGN.md §4), as data, each beside the read the Django
application makes for it today and the repository call that replaces it.

The data-model document lists them; check-reads (pipelines/read_parity.py) runs each one's
MySQL form (connectors/mysql/read_patterns.py, SQLAlchemy Core with the ORM's semantics) and
its repository call (repositories/parity.py) on a sample of keys and compares the answers
(schema/read_answers.py); tests/integration/test_migration_end_to_end.py exercises each on
migrated items. `key` is the name `check-reads --pattern` and the shadow-read wrapper use.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema.read_answers import (
    BY_JOB_TYPE, EMAIL_COLLATION, EXPIRED_HIDDEN, GOOGLE_ID_COLLATION, LIST, ONE, PAGE, PROBLEM_WITH_TESTCASES,
    RATE_LIMIT, SCAN_ORDER, Deliberate, Shape, Verdict, compare,
)


@dataclass(frozen=True)
class AccessPattern:
    key: str
    name: str
    index: str  # "table", "GSI1" or "GSI2"
    request: str
    item_types: tuple[str, ...]
    django: str  # what the application runs for it today
    repository_call: str  # what replaces it
    answer: Shape
    order: str = ""  # the order the answer promises; "" for none
    page_size: int | None = None  # rows per page, for paginated patterns
    guide_ms: str = ""  # the original migration guide's latency figure on AWS
    deliberate: tuple[Deliberate, ...] = ()  # differences the move makes on purpose

    @property
    def reads_whole_table(self) -> bool:
        """Answered by a Scan (the admin listings): its cost grows with the table."""
        return self.request.startswith("Scan")

    def compare(self, control: object, candidate: object, params: dict) -> Verdict:
        """The MySQL answer against the repository's, in canonical form (schema/read_answers.py)."""
        return compare(self.answer, self.deliberate, control, candidate, params)


NEWEST_FIRST = "newest first: created_at descending, ties by id descending (the index's `<ts>#<id:12>` sort key)"

ACCESS_PATTERNS = (
    AccessPattern(
        "rate_limit", "Rate limit: today's count of one action for one user", "table",
        "Query PK = USR#<user_id>#ULOG#<today> AND begins_with(SK, 'ULOG#<action>#'), Select=COUNT", ("ulog",),
        "UsageLog.objects.filter(user_id=user_id, action=action, created_at__gte=midnight, "
        "created_at__lt=midnight + timedelta(days=1)).count(), allowed = limit == -1 or count < limit "
        "(midnight UTC; limit from the user's plan)",
        "UsageLogRepository(table).check_rate_limit(user_id, action, limit) (consume() checks and records in one "
        "step)",
        Shape(RATE_LIMIT), guide_ms="1–3"),
    AccessPattern(
        "login_email", "Login by email (any letter case)", "GSI1", "Query GSI1PK = EMAIL#<lower(email)>", ("usr",),
        "User.objects.get(email__iexact=email)", "UserRepository(table).get_user_by_email(email)",
        Shape(ONE, "usr"), guide_ms="3–5", deliberate=(EMAIL_COLLATION,)),
    AccessPattern(
        "login_google_id", "Login by Google id", "GSI1", "Query GSI1PK = GID#<google_id>, then GetItem of the user",
        ("usr_gid", "usr"), "User.objects.get(google_id=google_id)",
        "UserRepository(table).get_user_by_google_id(google_id)", Shape(ONE, "usr"), guide_ms="3–5",
        deliberate=(GOOGLE_ID_COLLATION,)),
    AccessPattern(
        "user_by_id", "User by id (the signed-in user, on every request)", "table",
        "GetItem PK = USR#<id>, SK = META, ConsistentRead", ("usr",), "User.objects.get(pk=user_id)",
        "UserRepository(table).get_user_by_id(user_id)", Shape(ONE, "usr")),
    AccessPattern(
        "public_timeline", "Public history timeline, newest first, paginated", "GSI2",
        "Query GSI2PK = HIST#PUBLIC, ScanIndexForward=false, then BatchGetItem (GSI2 is KEYS_ONLY)", ("hist",),
        "Paginator(SearchHistory.objects.filter(is_code_public=True).order_by('-created_at', '-id'), 20)"
        ".page(n)",
        "SearchHistoryRepository(table).list_public_history(limit=20, cursor=cursor)", Shape(PAGE, "hist"),
        order=NEWEST_FIRST, page_size=20, guide_ms="10–20"),
    AccessPattern(
        "user_history", "A user's history, newest first, paginated", "GSI1",
        "Query GSI1PK = HIST#USR#<user_id>, ScanIndexForward=false", ("hist",),
        "Paginator(SearchHistory.objects.filter(user_id=user_id).order_by('-created_at', '-id'), 20).page(n)",
        "SearchHistoryRepository(table).list_user_history(user_id, limit=20, cursor=cursor)", Shape(PAGE, "hist"),
        order=NEWEST_FIRST, page_size=20),
    AccessPattern(
        "problem", "Problem by platform and number", "table", "GetItem PK = PROB#<platform>#<number>, SK = META",
        ("prob",), "Problem.objects.get(platform=platform, problem_id=number)",
        "ProblemRepository(table).get_problem(platform, number)", Shape(ONE, "prob"), guide_ms="1–3"),
    AccessPattern(
        "problem_with_testcases", "Problem with its test cases", "table", "Query PK = PROB#<platform>#<number>",
        ("prob", "tc"),
        "problem = Problem.objects.get(platform=platform, problem_id=number); "
        "TestCase.objects.filter(problem=problem).order_by('id')",
        "ProblemRepository(table).get_problem_with_testcases(platform, number)", Shape(PROBLEM_WITH_TESTCASES),
        order="test cases by id (the `TC#<id:12>` sort key)"),
    AccessPattern(
        "job_status", "Job status", "table", "GetItem PK = SGJ#<id> | PEJ#<id>, SK = META, ConsistentRead",
        ("sgj", "pej"), "ScriptGenerationJob.objects.get(pk=job_id) (ProblemExtractionJob for extraction jobs)",
        "JobRepository(table).get_job(job_type, job_id)", Shape(ONE, BY_JOB_TYPE)),
    AccessPattern(
        "job_progress", "A job's progress history, oldest first", "table",
        "Query PK = SGJ#<id> | PEJ#<id> AND begins_with(SK, 'JPH#'), live items only", ("jph",),
        "JobProgressHistory.objects.filter(content_type=ContentType.objects.get_for_model(job), "
        "object_id=job_id).order_by('created_at', 'id')",
        "JobRepository(table).get_progress(job_type, job_id)", Shape(LIST, "jph"),
        order="oldest first: created_at, ties by id (the `JPH#<ts>#<id:12>` sort key)",
        deliberate=(EXPIRED_HIDDEN,)),
    AccessPattern(
        "admin_users_by_plan", "Admin: the users of a plan", "table",
        "Scan with a filter on tp and dat.plan (admin only; reads the whole table)", ("usr",),
        "User.objects.filter(subscription_plan_id=plan_id).order_by('id'), 100 to a page (the admin's "
        "list_per_page)",
        "UserRepository(table).list_users(limit=100, cursor=cursor, plan_id=plan_id), every page",
        Shape(LIST, "usr"), page_size=100, deliberate=(SCAN_ORDER,)),
    AccessPattern(
        "admin_problems_needing_review", "Admin: problems needing review", "table",
        "Scan with a filter on tp and dat.nrv (admin only; reads the whole table)", ("prob",),
        "Problem.objects.filter(needs_review=True).order_by('id'), 100 to a page",
        "ProblemRepository(table).list_problems_needing_review(limit=100, cursor=cursor), every page",
        Shape(LIST, "prob"), page_size=100, deliberate=(SCAN_ORDER,)),
)

PATTERNS_BY_KEY = {pattern.key: pattern for pattern in ACCESS_PATTERNS}


def patterns_named(names: str | None) -> tuple[AccessPattern, ...]:
    """The patterns of a comma-separated list of keys (None or "all": every one), in catalogue order."""
    wanted = [n.strip() for n in (names or "all").split(",") if n.strip()]
    if "all" in wanted:
        return ACCESS_PATTERNS
    unknown = [n for n in wanted if n not in PATTERNS_BY_KEY]
    if unknown or not wanted:
        raise ValueError(f"unknown access pattern {', '.join(unknown) or '(none given)'}; choose from all, "
                         f"{', '.join(PATTERNS_BY_KEY)}")
    return tuple(p for p in ACCESS_PATTERNS if p.key in wanted)
