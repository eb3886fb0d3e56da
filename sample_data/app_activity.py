"""The application after cut-over: its writes through repositories/ to the table, for rehearsing
and testing reverse sync.

Users sign up and log in with rate-limited usage, change their email, set and clear a Google
id; history is added and made public or private; problems are edited and given test cases;
jobs progress; plans change; a user who signed up in the burst is deleted again. The choices
are deterministic for a seed; new emails carry a tag unique to the burst. Existing rows are
found through the repositories' own reads, as the application would.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter

from repositories import (
    JobRepository, ProblemRepository, SearchHistoryRepository, SubscriptionPlanRepository, UsageLogRepository,
    UserRepository,
)
from repositories.base import IdAllocator


class AppActivity:
    def __init__(self, table, rng: random.Random, tag: str):
        ids = IdAllocator(table)
        self.users, self.usage = UserRepository(table), UsageLogRepository(table, ids)
        self.history, self.problems = SearchHistoryRepository(table, ids), ProblemRepository(table, ids)
        self.jobs, self.plans = JobRepository(table, ids), SubscriptionPlanRepository(table)
        self._ids, self._rng, self._tag = ids, rng, tag
        self._serial = 0
        self._known_users = [u["user_id"] for u in self.users.list_users(limit=50)[0]]
        self._problems = self.problems.list_completed_problems(limit=20)[0]  # listings are Scans: once
        self._plans = self.plans.list_plans()[0]
        self._signed_up: list[int] = []
        self._active: set[int] = set()  # users with history or usage: never deleted (see delete_new_user)

    def _unique(self) -> str:
        self._serial += 1
        return f"{self._tag}-{self._serial}"

    def _user(self) -> int:
        return self._rng.choice(self._known_users)

    def sign_up(self) -> None:
        user_id = self._ids.next_id("users")
        unique = self._unique()
        self.users.create_user({"user_id": user_id, "email": f"App.{unique}@Example.com", "name": f"App {unique}",
                                "is_active": True, "is_staff": False, "password": "pbkdf2_sha256$x",
                                "google_id": f"g-{unique}" if self._rng.random() < 0.5 else None})
        self._signed_up.append(user_id)
        self._known_users.append(user_id)

    def log_in_and_use(self) -> None:
        user_id = self._user()
        user = self.users.get_user_by_id(user_id)
        if user is not None:
            self.users.get_user_by_email(user["email"].upper())  # a login in another letter case
            self.usage.consume(user_id, self._rng.choice(("hint", "execution")), limit=5)
            self._active.add(user_id)

    def change_email(self) -> None:
        self.users.update_user(self._user(), {"email": f"moved.{self._unique()}@example.org"})

    def change_google_id(self) -> None:
        user_id = self._user()
        current = self.users.get_user_by_id(user_id)
        if current is not None:
            self.users.update_user(user_id, {"google_id": None if current.get("google_id") else f"g-{self._unique()}"})

    def search(self) -> None:
        if not self._problems:
            return
        problem, user_id = self._rng.choice(self._problems), self._user()
        self._active.add(user_id)
        self.history.create_history({
            "user_id": user_id, "problem_id": problem["id"], "platform": problem["platform"],
            "problem_number": problem["problem_id"], "problem_title": problem["title"], "language": "python",
            "code": "print(input())", "result_summary": {"passed": 1, "failed": 0}, "passed_count": 1,
            "failed_count": 0, "total_count": 1, "is_code_public": self._rng.random() < 0.5, "metadata": {}})

    def publish(self) -> None:
        entries = self.history.list_user_history(self._user(), limit=5)[0]
        if entries:
            entry = self._rng.choice(entries)
            self.history.update_public_status(entry["id"], not entry["is_code_public"])

    def edit_problem(self) -> None:
        if self._problems:
            problem = self._rng.choice(self._problems)
            self.problems.update_problem(problem["platform"], problem["problem_id"],
                                         {"title": f"Edited {self._unique()}"})
            self.problems.add_testcase(problem["platform"], problem["problem_id"], "1 2", "3")

    def progress_job(self) -> None:
        for job_type in ("script_generation", "problem_extraction"):
            for job_id in range(1, 6):
                if self.jobs.get_job(job_type, job_id) is not None:
                    self.jobs.add_progress(job_type, job_id, "step", f"progress {self._unique()}", "in_progress")
                    return

    def change_plan(self) -> None:
        if self._plans:
            plan = self._rng.choice(self._plans)
            self.plans.update_plan(plan["id"], {"description": f"Changed {self._unique()}"})

    def delete_new_user(self) -> bool:
        """A user who signed up in the burst and used nothing is deleted again. (Django deletes a
        user's history and usage with it, on_delete=CASCADE; UserRepository.delete_user deletes the
        user's own items only, so deleting an active user would leave rows MySQL refuses.)"""
        idle = [u for u in self._signed_up if u not in self._active]
        if not idle:
            return False
        self._signed_up.remove(idle[0])
        self._known_users.remove(idle[0])
        self.users.delete_user(idle[0])
        return True


OPERATIONS = ("sign_up", "log_in_and_use", "change_email", "change_google_id", "search", "publish", "edit_problem",
              "progress_job", "change_plan", "delete_new_user")


def app_burst(table, rounds: int, seed: int = 7) -> Counter:
    """`rounds` rounds of every operation (a new user each round; after the first, one who has used
    nothing yet deleted, where there is one); returns how many of each ran."""
    activity = AppActivity(table, random.Random(seed), uuid.uuid4().hex[:6])
    done: Counter = Counter()
    for round_number in range(rounds):
        for name in OPERATIONS:
            if name == "delete_new_user" and round_number == 0:
                continue
            if getattr(activity, name)() is not False:  # False: it found nothing to do
                done[name] += 1
    return done
