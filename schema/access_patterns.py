"""The access patterns the table serves (DESIGN.md §4), as data: the data-model document lists
them, and tests/integration/test_migration_end_to_end.py exercises each on migrated items."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessPattern:
    name: str
    index: str  # "table", "GSI1" or "GSI2"
    request: str
    item_types: tuple[str, ...]
    served_by: str


ACCESS_PATTERNS = (
    AccessPattern("Rate limit: today's count of one action for one user", "table",
                  "Query PK = USR#<user_id>#ULOG#<today> AND begins_with(SK, 'ULOG#<action>#'), Select=COUNT",
                  ("ulog",), "UsageLogRepository.check_rate_limit, consume"),
    AccessPattern("Login by email (any letter case)", "GSI1", "Query GSI1PK = EMAIL#<lower(email)>",
                  ("usr",), "UserRepository.get_user_by_email"),
    AccessPattern("Login by Google id", "GSI1", "Query GSI1PK = GID#<google_id>, then GetItem of the user",
                  ("usr_gid", "usr"), "UserRepository.get_user_by_google_id"),
    AccessPattern("Public history timeline, newest first, paginated", "GSI2",
                  "Query GSI2PK = HIST#PUBLIC, ScanIndexForward=false, then BatchGetItem (GSI2 is KEYS_ONLY)",
                  ("hist",), "SearchHistoryRepository.list_public_history"),
    AccessPattern("A user's history, newest first", "GSI1",
                  "Query GSI1PK = HIST#USR#<user_id>, ScanIndexForward=false", ("hist",),
                  "SearchHistoryRepository.list_user_history"),
    AccessPattern("Problem by platform and number", "table", "GetItem PK = PROB#<platform>#<number>, SK = META",
                  ("prob",), "ProblemRepository.get_problem"),
    AccessPattern("Problem with its test cases", "table", "Query PK = PROB#<platform>#<number>",
                  ("prob", "tc"), "ProblemRepository.get_problem_with_testcases"),
    AccessPattern("Job status", "table", "GetItem PK = SGJ#<id> | PEJ#<id>, SK = META", ("sgj", "pej"),
                  "JobRepository.get_job"),
    AccessPattern("A job's progress history", "table", "Query PK = SGJ#<id> | PEJ#<id> AND begins_with(SK, 'JPH#')",
                  ("jph",), "JobRepository.get_progress"),
    AccessPattern("Admin: users (by plan), problems needing review", "table",
                  "Scan with a filter on tp and dat.* (admin only; may read the whole table)", ("usr", "prob"),
                  "UserRepository.list_users, ProblemRepository.list_problems_needing_review"),
)
