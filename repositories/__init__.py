"""The application's data-access layer over the single table (DESIGN.md §4).

Each repository takes a boto3 Table resource, as in the original migration guide:

    from repositories import UserRepository, client
    users = UserRepository(client.table())
    users.get_user_by_email("John.Doe@Example.com")
"""

from repositories.base import (  # noqa: F401
    AlreadyExists,
    Conflict,
    DuplicateEmail,
    DuplicateGoogleId,
    IdAllocator,
    NotFound,
    RepositoryError,
)
from repositories.history import SearchHistoryRepository  # noqa: F401
from repositories.jobs import JobRepository  # noqa: F401
from repositories.plans import SubscriptionPlanRepository  # noqa: F401
from repositories.problems import ProblemRepository  # noqa: F401
from repositories.usage import UsageLogRepository  # noqa: F401
from repositories.users import UserRepository  # noqa: F401
