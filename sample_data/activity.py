"""A burst of AlgoItny application activity on sample data already in MySQL: what the app does
while a migration runs and until cut-over, for rehearsing sync and testing it.

New users sign up and log in, change their email and Google id (set, changed, cleared);
problems are added with test cases, edited, renamed (a new problem number moves the problem
and its test cases to a new key) and deleted; history rows are added, made public or private
and given hints; usage logs pile up; jobs progress and finish; task results come and go.
The choices are deterministic for a seed; new emails, problem numbers and task ids carry a
tag unique to the burst, so bursts can follow one another. Transactions of a few statements,
as the app commits them.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import uuid
from collections import Counter

import sqlalchemy as sa

from connectors.mysql import engines
from connectors.mysql.config import MySQLConfig
from sample_data.generate import LANGUAGES, PLATFORMS

DEFAULT_MIX = (0.7, 0.2, 0.1)  # inserts, updates, deletes


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


class Activity:
    """Row changes against the sample schema; each operation returns the rows it changed."""

    def __init__(self, conn: sa.Connection, rng: random.Random, tag: str):
        self._conn, self._rng, self._tag = conn, rng, tag
        self._serial = 0

    def _sql(self, statement: str, **params):
        return self._conn.execute(sa.text(statement), params)

    def _pick(self, table: str, where: str = "1=1") -> int | None:
        """A random existing id of `table` (by key range: cheap on large tables)."""
        low, high = self._sql(f"SELECT MIN(id), MAX(id) FROM `{table}` WHERE {where}").one()
        if low is None:
            return None
        return self._sql(f"SELECT id FROM `{table}` WHERE id >= :at AND {where} ORDER BY id LIMIT 1",
                         at=self._rng.randint(int(low), int(high))).scalar()

    def _unique(self) -> str:
        self._serial += 1
        return f"{self._tag}-{self._serial}"

    # --- inserts ---

    def sign_up(self) -> int:
        now, unique = _now(), self._unique()
        google = None if self._rng.random() < 0.5 else f"g-{unique}"
        self._sql("INSERT INTO users (password, last_login, is_superuser, email, name, picture, google_id, is_active, "
                  "is_staff, created_at, updated_at, subscription_plan_id, subscription_plan_id_dynamodb) VALUES "
                  "('!', NULL, 0, :email, :name, '', :google, 1, 0, :now, :now, 1, NULL)",
                  email=f"New.User+{unique}@Example.com", name=f"신규 {unique}", google=google, now=now)
        return 1

    def add_problem(self) -> int:
        now, unique = _now(), self._unique()
        problem_id = self._sql(
            "INSERT INTO problems (platform, problem_id, title, problem_url, tags, solution_code, language, "
            "constraints, is_completed, is_deleted, deleted_at, deleted_reason, metadata, needs_review, review_notes, "
            "verified_by_admin, reviewed_at, created_at) VALUES (:platform, :number, :title, NULL, '[\"dp\"]', NULL, "
            ":lang, NULL, 0, 0, NULL, NULL, :meta, 1, NULL, 0, NULL, :now)",
            platform=self._rng.choice(PLATFORMS), number=f"n{unique}", title=f"새 문제 {unique}",
            lang=self._rng.choice(LANGUAGES), meta=json.dumps({"difficulty": "silver"}), now=now).lastrowid
        cases = self._rng.randint(1, 3)
        for n in range(cases):
            self._sql("INSERT INTO test_cases (problem_id, input, output, created_at) VALUES (:p, :i, :o, :now)",
                      p=problem_id, i=f"{n} {n}\n", o=f"{2 * n}\n", now=now)
        return 1 + cases

    def search(self) -> int:
        user, problem = self._pick("users"), self._pick("problems")
        if user is None or problem is None:
            return 0
        platform, number = self._sql("SELECT platform, problem_id FROM problems WHERE id = :p", p=problem).one()
        self._sql("INSERT INTO search_history (user_id, user_identifier, problem_id, platform, problem_number, "
                  "problem_title, language, code, result_summary, passed_count, failed_count, total_count, "
                  "is_code_public, test_results, hints, metadata, created_at) VALUES (:u, :ident, :p, :platform, "
                  ":number, '제목', 'python', 'print(1)', '{\"passed\": 1}', 1, 0, 1, :public, NULL, NULL, '{}', :now)",
                  u=user, ident=f"user-{user}", p=problem, platform=platform, number=number,
                  public=self._rng.random() < 0.3, now=_now())
        return 1

    def use(self) -> int:
        user = self._pick("users")
        if user is None:
            return 0
        self._sql("INSERT INTO usage_logs (user_id, action, problem_id, metadata, created_at) VALUES "
                  "(:u, :action, NULL, :meta, :now)", u=user, action=self._rng.choice(("hint", "execution")),
                  meta=json.dumps({"lang": "python"}), now=_now())
        return 1

    def start_job(self) -> int:
        now, unique = _now(), self._unique()
        table, model = self._rng.choice((("script_generation_jobs", "scriptgenerationjob"),
                                         ("problem_extraction_jobs", "problemextractionjob")))
        if table == "script_generation_jobs":
            job = self._sql("INSERT INTO script_generation_jobs (platform, problem_id, title, problem_url, tags, "
                            "solution_code, language, constraints, generator_code, status, celery_task_id, "
                            "error_message, created_at, updated_at) VALUES ('baekjoon', :n, :t, NULL, '[]', NULL, "
                            "'python', '', NULL, 'PENDING', NULL, NULL, :now, :now)", n=unique, t=unique,
                            now=now).lastrowid
        else:
            job = self._sql("INSERT INTO problem_extraction_jobs (platform, problem_id, problem_url, "
                            "problem_identifier, status, celery_task_id, error_message, created_at, updated_at) "
                            "VALUES ('baekjoon', :n, :url, :n, 'PENDING', NULL, NULL, :now, :now)", n=unique,
                            url=f"https://www.acmicpc.net/problem/{unique}", now=now).lastrowid
        content_type = self._sql("SELECT id FROM django_content_type WHERE model = :m", m=model).scalar()
        self._sql("INSERT INTO job_progress_history (content_type_id, object_id, step, message, status, created_at) "
                  "VALUES (:ct, :job, 'queued', '대기 중', 'started', :now)", ct=content_type, job=job, now=now)
        return 2

    def finish_task(self) -> int:
        now = _now()
        self._sql("INSERT INTO task_results (task_id, status, result, traceback, created_at, updated_at) VALUES "
                  "(:t, 'SUCCESS', '{\"ok\": true}', NULL, :now, :now)", t=f"task-{self._unique()}", now=now)
        return 1

    # --- updates ---

    def log_in(self) -> int:
        user = self._pick("users")
        return 0 if user is None else self._sql(
            "UPDATE users SET last_login = :now, updated_at = :now WHERE id = :u", u=user, now=_now()).rowcount

    def change_email(self) -> int:
        user = self._pick("users")
        return 0 if user is None else self._sql(
            "UPDATE users SET email = :email, updated_at = :now WHERE id = :u",
            email=f"Changed.{self._unique()}@Example.org", u=user, now=_now()).rowcount

    def change_google_id(self) -> int:
        user = self._pick("users")
        value = None if self._rng.random() < 0.4 else f"g-{self._unique()}"
        return 0 if user is None else self._sql(
            "UPDATE users SET google_id = :g, updated_at = :now WHERE id = :u", g=value, u=user, now=_now()).rowcount

    def edit_problem(self) -> int:
        problem = self._pick("problems")
        return 0 if problem is None else self._sql(
            "UPDATE problems SET title = :t, metadata = :m, needs_review = 0 WHERE id = :p", t=f"수정 {self._unique()}",
            m=json.dumps({"difficulty": "gold", "edited": True}), p=problem).rowcount

    def rename_problem(self) -> int:
        """A new problem number: the problem and all its test cases move to a new key."""
        problem = self._pick("problems")
        return 0 if problem is None else self._sql(
            "UPDATE problems SET problem_id = :n WHERE id = :p", n=f"r{self._unique()}", p=problem).rowcount

    def publish_history(self) -> int:
        history = self._pick("search_history")
        return 0 if history is None else self._sql(
            "UPDATE search_history SET is_code_public = 1 - is_code_public WHERE id = :h", h=history).rowcount

    def add_hint(self) -> int:
        history = self._pick("search_history")
        return 0 if history is None else self._sql(
            "UPDATE search_history SET hints = :hints WHERE id = :h",
            hints=json.dumps(["경계값을 확인하세요", self._unique()], ensure_ascii=False), h=history).rowcount

    def progress_job(self) -> int:
        table = self._rng.choice(("script_generation_jobs", "problem_extraction_jobs"))
        job = self._pick(table)
        return 0 if job is None else self._sql(
            f"UPDATE `{table}` SET status = :s, updated_at = :now WHERE id = :j",
            s=self._rng.choice(("PROCESSING", "COMPLETED", "FAILED")), j=job, now=_now()).rowcount

    # --- deletes ---

    def forget_log(self) -> int:
        log = self._pick("usage_logs")
        return 0 if log is None else self._sql("DELETE FROM usage_logs WHERE id = :l", l=log).rowcount

    def delete_history(self) -> int:
        history = self._pick("search_history")
        return 0 if history is None else self._sql("DELETE FROM search_history WHERE id = :h", h=history).rowcount

    def delete_test_case(self) -> int:
        case = self._pick("test_cases")
        return 0 if case is None else self._sql("DELETE FROM test_cases WHERE id = :c", c=case).rowcount

    def delete_problem(self) -> int:
        """A problem nothing refers to (no history, no usage): its test cases go first, as Django does."""
        unused = ("NOT EXISTS (SELECT 1 FROM search_history h WHERE h.problem_id = problems.id) AND "
                  "NOT EXISTS (SELECT 1 FROM usage_logs u WHERE u.problem_id = problems.id)")
        problem = self._pick("problems", unused)
        if problem is None:
            return 0
        cases = self._sql("DELETE FROM test_cases WHERE problem_id = :p", p=problem).rowcount
        return cases + self._sql("DELETE FROM problems WHERE id = :p", p=problem).rowcount

    def drop_task(self) -> int:
        task = self._sql("SELECT task_id FROM task_results ORDER BY task_id LIMIT 1 OFFSET :n",
                         n=self._rng.randint(0, 20)).scalar()
        return 0 if task is None else self._sql("DELETE FROM task_results WHERE task_id = :t", t=task).rowcount

    def drop_progress(self) -> int:
        row = self._pick("job_progress_history")
        return 0 if row is None else self._sql("DELETE FROM job_progress_history WHERE id = :r", r=row).rowcount


INSERTS = ("sign_up", "add_problem", "search", "use", "use", "use", "start_job", "finish_task")
UPDATES = ("log_in", "change_email", "change_google_id", "edit_problem", "rename_problem", "publish_history",
           "add_hint", "progress_job")
DELETES = ("forget_log", "delete_history", "delete_test_case", "delete_problem", "drop_task", "drop_progress")


def burst(config: MySQLConfig, changes: int, seed: int = 7, mix: tuple[float, float, float] = DEFAULT_MIX,
          per_transaction: int = 20) -> Counter:
    """About `changes` row changes, inserts/updates/deletes in the proportions of `mix`; what was done."""
    rng = random.Random(seed)
    burst_tag = uuid.uuid4().hex[:8]
    engine = engines.engine(config)
    done: Counter = Counter()
    try:
        while sum(done.values()) < changes:
            with engine.begin() as conn:
                activity = Activity(conn, rng, f"{burst_tag}t{sum(done.values())}")
                for _ in range(per_transaction):
                    group = rng.choices((INSERTS, UPDATES, DELETES), weights=mix)[0]
                    operation = rng.choice(group)
                    done[operation] += getattr(activity, operation)()
    finally:
        engine.dispose()
    return done
