"""Realistic AlgoItny sample rows for every table, deterministic for a given seed and `now`.

Times are placed away from the TTL edges (usage logs live 0-80 days / expired 100-150 days
old; job progress and task results live 0-25 / expired 35-60 days), so a row never flips
between live and expired in the seconds between a migration and its checks.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import uuid
from dataclasses import dataclass
from typing import Iterator

PLATFORMS = ("baekjoon", "codeforces", "programmers", "leetcode")
LANGUAGES = ("python", "cpp", "java", "javascript")
TAGS = ("dp", "greedy", "graph", "bfs", "dfs", "math", "string", "implementation", "binary-search", "구현", "자료 구조")
KOREAN_TITLES = ("A+B", "피보나치 수", "최단경로", "LCS", "토마토", "미로 탐색", "숨바꼭질", "단어 정렬", "스택 수열", "N-Queen")
NAMES = ("김민준", "이서연", "Park Ji-hoon", "최지우", "Alex Kim", "정하윤", "Maria García", "O'Brien", "🐍 Pythonista", "")
CONTENT_TYPES = (
    ("admin", "logentry"), ("users", "user"), ("problems", "problem"),
    ("jobs", "scriptgenerationjob"), ("jobs", "problemextractionjob"),
)
JOB_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "FAILED")
PROGRESS_STATUSES = ("started", "in_progress", "completed", "failed")


@dataclass(frozen=True)
class SeedCounts:
    users: int
    problems: int
    search_history: int
    usage_logs: int
    script_generation_jobs: int
    problem_extraction_jobs: int
    task_results: int

    @classmethod
    def for_scale(cls, scale: int) -> "SeedCounts":
        if scale < 1:
            raise ValueError("--scale must be at least 1")
        return cls(users=40 * scale, problems=15 * scale, search_history=80 * scale, usage_logs=400 * scale,
                   script_generation_jobs=6 * scale, problem_extraction_jobs=6 * scale, task_results=10 * scale)


class SampleData:
    """Rows per table as dicts, generated lazily (a million usage logs never sit in memory)."""

    def __init__(self, counts: SeedCounts, now: _dt.datetime, seed: int = 42):
        self.counts = counts
        self.now = now.replace(tzinfo=None)
        self.seed = seed

    def _rng(self, table: str) -> random.Random:
        return random.Random(f"{self.seed}:{table}")

    def _ago(self, rng: random.Random, min_days: float, max_days: float) -> _dt.datetime:
        return self.now - _dt.timedelta(seconds=rng.uniform(min_days * 86400, max_days * 86400))

    def _today(self, rng: random.Random) -> _dt.datetime:
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight + _dt.timedelta(seconds=rng.uniform(0, max(1.0, (self.now - midnight).total_seconds() - 1)))

    def tables(self) -> dict[str, Iterator[dict]]:
        """Table -> rows, parents before children."""
        return {
            "django_content_type": self.content_types(),
            "subscription_plans": self.plans(),
            "users": self.users(),
            "problems": self.problems(),
            "test_cases": self.test_cases(),
            "search_history": self.search_history(),
            "usage_logs": self.usage_logs(),
            "script_generation_jobs": self.script_jobs(),
            "problem_extraction_jobs": self.extraction_jobs(),
            "job_progress_history": self.job_progress(),
            "task_results": self.task_results(),
        }

    def content_types(self) -> Iterator[dict]:
        for index, (app, model) in enumerate(CONTENT_TYPES, start=1):
            yield {"id": index, "app_label": app, "model": model}

    def plans(self) -> Iterator[dict]:
        created = self.now - _dt.timedelta(days=400)
        for plan_id, name, hints, runs, problems, view_all, register in (
            (1, "Free", 5, 50, 10, False, False),
            (2, "Pro", 50, 500, -1, True, False),
            (3, "Admin", -1, -1, -1, True, True),
        ):
            yield {"id": plan_id, "name": name, "description": f"{name} plan — 하루 힌트 {hints}회",
                   "max_hints_per_day": hints, "max_executions_per_day": runs, "max_problems": problems,
                   "can_view_all_problems": view_all, "can_register_problems": register, "is_active": True,
                   "created_at": created, "updated_at": created + _dt.timedelta(days=plan_id, microseconds=123456)}

    def users(self) -> Iterator[dict]:
        rng = self._rng("users")
        for user_id in range(1, self.counts.users + 1):
            created = self._ago(rng, 1, 365)
            # Mixed-case addresses: login by email must be case-insensitive.
            local = rng.choice(("user", "Kim.MinJun", "PARK", "dev+algo", "o'neil"))
            email = f"{local}{user_id}@{rng.choice(('example.com', 'Example.COM', 'gmail.com'))}"
            yield {
                "id": user_id,
                "password": f"pbkdf2_sha256$600000${uuid.UUID(int=rng.getrandbits(128)).hex[:22]}$"
                            f"{uuid.UUID(int=rng.getrandbits(128)).hex}=",
                "last_login": None if rng.random() < 0.2 else self._ago(rng, 0, 30),
                "is_superuser": user_id == 1,
                "email": email,
                "name": rng.choice(NAMES),
                "picture": "" if rng.random() < 0.3 else f"https://lh3.googleusercontent.com/a/{user_id}",
                "google_id": None if rng.random() < 0.4 else str(100000000000000000000 + user_id * 7919),
                "is_active": rng.random() > 0.05,
                "is_staff": user_id <= 2,
                "created_at": created,
                "updated_at": created + _dt.timedelta(days=rng.uniform(0, 1)),
                "subscription_plan_id": None if rng.random() < 0.1 else rng.choice((1, 1, 1, 2, 3)),
                "subscription_plan_id_dynamodb": None if rng.random() < 0.5 else rng.choice((1, 2, 3)),
            }

    def _problem_key(self, problem_id: int) -> tuple[str, str]:
        return PLATFORMS[problem_id % len(PLATFORMS)], str(1000 + problem_id)

    def problems(self) -> Iterator[dict]:
        rng = self._rng("problems")
        for problem_id in range(1, self.counts.problems + 1):
            platform, number = self._problem_key(problem_id)
            deleted = rng.random() < 0.1
            reviewed = rng.random() < 0.5
            created = self._ago(rng, 10, 300)
            yield {
                "id": problem_id, "platform": platform, "problem_id": number,
                "title": f"{rng.choice(KOREAN_TITLES)} {problem_id}",
                "problem_url": None if rng.random() < 0.1 else f"https://www.acmicpc.net/problem/{number}",
                "tags": json.dumps(rng.sample(TAGS, rng.randint(0, 3)), ensure_ascii=False),
                "solution_code": None if rng.random() < 0.2 else _code(rng, problem_id),
                "language": None if rng.random() < 0.1 else rng.choice(LANGUAGES),
                "constraints": None if rng.random() < 0.1 else "1 ≤ N ≤ 100,000\n시간 제한 1초",
                "is_completed": rng.random() < 0.7,
                "is_deleted": deleted,
                "deleted_at": self._ago(rng, 0, 5) if deleted else None,
                "deleted_reason": "중복 문제 (duplicate)" if deleted else None,
                "metadata": json.dumps({
                    "difficulty": rng.choice(("bronze", "silver", "gold", "platinum")),
                    "time_limit": rng.choice((0.5, 1, 2.5)),
                    "memory_limit_mb": rng.choice((128, 256, 512)),
                    "stats": {"submissions": rng.randint(0, 10**6), "ratio": round(rng.random(), 4),
                              "history": [rng.randint(0, 100) for _ in range(rng.randint(0, 3))]},
                    "source": None if rng.random() < 0.5 else "KOI 2023 🏆",
                }, ensure_ascii=False),
                "needs_review": rng.random() < 0.2,
                "review_notes": None if rng.random() < 0.7 else "테스트 케이스 확인 필요",
                "verified_by_admin": reviewed,
                "reviewed_at": self._ago(rng, 0, 10) if reviewed else None,
                "created_at": created,
            }

    def test_cases(self) -> Iterator[dict]:
        rng = self._rng("test_cases")
        testcase_id = 0
        for problem_id in range(1, self.counts.problems + 1):
            for _ in range(rng.randint(1, 6)):
                testcase_id += 1
                a, b = rng.randint(-10**9, 10**9), rng.randint(-10**9, 10**9)
                yield {"id": testcase_id, "problem_id": problem_id, "input": f"{a} {b}\n",
                       "output": "" if rng.random() < 0.05 else f"{a + b}\n",
                       "created_at": self._ago(rng, 1, 300)}

    def search_history(self) -> Iterator[dict]:
        rng = self._rng("search_history")
        for history_id in range(1, self.counts.search_history + 1):
            problem_id = rng.randint(1, self.counts.problems)
            platform, number = self._problem_key(problem_id)
            user_id = None if rng.random() < 0.15 else rng.randint(1, self.counts.users)
            total = rng.randint(1, 10)
            passed = rng.randint(0, total)
            yield {
                "id": history_id, "user_id": user_id,
                "user_identifier": f"user-{user_id}" if user_id else f"anon-{rng.getrandbits(32):08x}",
                "problem_id": problem_id, "platform": platform, "problem_number": number,
                "problem_title": f"{rng.choice(KOREAN_TITLES)} {problem_id}",
                "language": rng.choice(LANGUAGES), "code": _code(rng, history_id),
                "result_summary": json.dumps({"passed": passed, "failed": total - passed, "total": total,
                                              "time_ms": round(rng.uniform(1, 2000), 3)}),
                "passed_count": passed, "failed_count": total - passed, "total_count": total,
                "is_code_public": rng.random() < 0.35,
                "test_results": None if rng.random() < 0.1 else json.dumps(
                    [{"input": "1 2", "expected": "3", "actual": "3" if i < passed else "4",
                      "passed": i < passed} for i in range(total)]),
                "hints": None if rng.random() < 0.5 else json.dumps(
                    ["경계값을 확인하세요", "Use 64-bit integers"][: rng.randint(1, 2)], ensure_ascii=False),
                "metadata": json.dumps({"client": rng.choice(("web", "extension")), "v": 2}),
                "created_at": self._ago(rng, 0, 200),
            }

    def usage_logs(self) -> Iterator[dict]:
        rng = self._rng("usage_logs")
        for log_id in range(1, self.counts.usage_logs + 1):
            band = rng.random()
            if band < 0.15:
                created = self._today(rng)
            elif band < 0.75:
                created = self._ago(rng, 1, 80)
            else:
                created = self._ago(rng, 100, 150)  # expired: TTL is 90 days
            action = "hint" if rng.random() < 0.4 else "execution"
            yield {"id": log_id, "user_id": rng.randint(1, self.counts.users), "action": action,
                   "problem_id": None if rng.random() < 0.1 else rng.randint(1, self.counts.problems),
                   "metadata": json.dumps({"lang": rng.choice(LANGUAGES), "ms": rng.randint(1, 3000)}),
                   "created_at": created}

    def _jobs(self, table: str, count: int) -> Iterator[tuple[random.Random, int, str, _dt.datetime]]:
        rng = self._rng(table)
        for job_id in range(1, count + 1):
            yield rng, job_id, rng.choice(JOB_STATUSES), self._ago(rng, 0, 60)

    def script_jobs(self) -> Iterator[dict]:
        for rng, job_id, status, created in self._jobs("script_generation_jobs", self.counts.script_generation_jobs):
            platform, number = self._problem_key(job_id)
            yield {"id": job_id, "platform": platform, "problem_id": number,
                   "title": f"{rng.choice(KOREAN_TITLES)} {job_id}",
                   "problem_url": None if rng.random() < 0.2 else f"https://www.acmicpc.net/problem/{number}",
                   "tags": json.dumps(rng.sample(TAGS, 2), ensure_ascii=False),
                   "solution_code": None if rng.random() < 0.3 else _code(rng, job_id),
                   "language": rng.choice(LANGUAGES), "constraints": "1 ≤ N ≤ 10^5",
                   "generator_code": _code(rng, job_id) if status == "COMPLETED" else None,
                   "status": status,
                   "celery_task_id": None if status == "PENDING" else str(uuid.UUID(int=rng.getrandbits(128))),
                   "error_message": "Traceback: TimeoutError" if status == "FAILED" else None,
                   "created_at": created, "updated_at": created + _dt.timedelta(minutes=rng.uniform(0, 30))}

    def extraction_jobs(self) -> Iterator[dict]:
        for rng, job_id, status, created in self._jobs("problem_extraction_jobs", self.counts.problem_extraction_jobs):
            platform, number = self._problem_key(job_id + 500)
            yield {"id": job_id, "platform": platform, "problem_id": number,
                   "problem_url": f"https://codeforces.com/problemset/problem/{number}/A",
                   "problem_identifier": f"{platform}:{number}", "status": status,
                   "celery_task_id": None if status == "PENDING" else str(uuid.UUID(int=rng.getrandbits(128))),
                   "error_message": "요청 시간 초과" if status == "FAILED" else None,
                   "created_at": created, "updated_at": created + _dt.timedelta(minutes=rng.uniform(0, 30))}

    def job_progress(self) -> Iterator[dict]:
        rng = self._rng("job_progress_history")
        progress_id = 0
        model_ids = {model: index for index, (_, model) in enumerate(CONTENT_TYPES, start=1)}
        for model, count in (("scriptgenerationjob", self.counts.script_generation_jobs),
                             ("problemextractionjob", self.counts.problem_extraction_jobs)):
            for job_id in range(1, count + 1):
                started = self._ago(rng, 0, 25) if rng.random() < 0.7 else self._ago(rng, 35, 60)
                for step_index in range(rng.randint(2, 5)):
                    progress_id += 1
                    yield {"id": progress_id, "content_type_id": model_ids[model], "object_id": job_id,
                           "step": ("queued", "fetching", "generating", "validating", "done")[step_index],
                           "message": f"단계 {step_index + 1}: {'ok' if rng.random() < 0.9 else 'retrying…'}",
                           "status": PROGRESS_STATUSES[min(step_index, 2)],
                           "created_at": started + _dt.timedelta(seconds=step_index * 7.5)}

    def task_results(self) -> Iterator[dict]:
        rng = self._rng("task_results")
        for _ in range(self.counts.task_results):
            failed = rng.random() < 0.2
            created = self._ago(rng, 0, 25) if rng.random() < 0.7 else self._ago(rng, 35, 60)
            yield {"task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                   "status": "FAILURE" if failed else rng.choice(("SUCCESS", "PENDING")),
                   "result": None if rng.random() < 0.2 else json.dumps({"ok": not failed, "count": rng.randint(0, 99)}),
                   "traceback": "Traceback (most recent call last):\n  ValueError: boom" if failed else None,
                   "created_at": created, "updated_at": created + _dt.timedelta(seconds=rng.uniform(0, 60))}


def _code(rng: random.Random, salt: int) -> str:
    return rng.choice((
        f"import sys\ninput = sys.stdin.readline\na, b = map(int, input().split())\nprint(a + b)  # {salt}\n",
        f"#include <bits/stdc++.h>\nint main(){{long long a,b;std::cin>>a>>b;std::cout<<a+b;}} // {salt}\n",
        f"// 풀이 {salt}: 투 포인터 🚀\nconsole.log(require('fs').readFileSync(0,'utf8').split(' ').map(Number).reduce((a,b)=>a+b));\n",
    ))
