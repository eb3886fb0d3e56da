"""Runner conformance: every command, on the DirectRunner in one process, on the DirectRunner
with two worker processes, on the PortableRunner with an EXTERNAL worker pool the tests start
themselves, on the FlinkRunner against a real Flink session cluster (a JobManager and two
TaskManagers, scripts/engines.py) whose TaskManagers start SDK workers of their own, and on
the SparkRunner against Beam's Spark job server and a Spark standalone cluster (a master, one
worker, scripts/engines.py) whose executor starts SDK workers of its own: the same
reports, the same dead letters, a clean deep verify; an error raised in a worker ends the run
with exit 2 and the same message everywhere. On Flink the work must spread over both
TaskManagers, and a TaskManager killed mid-load must cost nothing but time. (Prism 2.62.0 ran
this suite too, and once, under load, ended a run whose writes DynamoDB refused with success:
pipelines/runners.py refuses it.)
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import URL, make_url

from tests.integration.helpers import (
    connection_flags, count_type, execute, kill_when, new_table, run_cli, seeded, start_migrate, wait_while_running,
)
from tests.support.engines import FlinkCluster, SparkCluster
from tests.support.fault_proxy import FaultPlan, FaultProxy
from tests.support.worker_pool import WorkerPool

pytestmark = pytest.mark.integration

RUNNERS = {
    "direct": [],
    "multi_process": ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
    "portable": "worker_pool",  # the worker pool's own flags
    "flink": "flink",  # the shared cluster's
    "spark": "spark",  # the shared cluster's
}


@pytest.fixture(scope="module")
def worker_pool():
    with WorkerPool() as pool:
        yield pool


@pytest.fixture(scope="session")
def flink() -> FlinkCluster:
    return FlinkCluster().up()


@pytest.fixture(scope="session")
def spark() -> SparkCluster:
    return SparkCluster().up()


@dataclass(frozen=True)
class Runner:
    name: str
    args: list[str]


# Every Flink test runs on one xdist worker (pytest.ini: --dist loadgroup): they share one
# cluster, kill its TaskManagers and cancel its running jobs.
ON_FLINK = pytest.mark.xdist_group("flink")
# And every Spark test: they share one cluster of one 2-core worker, and cancel its running jobs.
ON_SPARK = pytest.mark.xdist_group("spark")
GROUPS = {"flink": [ON_FLINK], "spark": [ON_SPARK]}


@pytest.fixture(params=[pytest.param(name, marks=GROUPS.get(name, [])) for name in RUNNERS])
def runner(request) -> Runner:
    flags = RUNNERS[request.param]
    return Runner(request.param, request.getfixturevalue(flags).beam_args if isinstance(flags, str) else flags)


def new_target(new_table_config):
    return new_table(new_table_config, "runner")


def test_every_command_answers_alike(runner, seeded_binlog_database, new_table_config, tmp_path):
    source = seeded_binlog_database()
    execute(source, "SET FOREIGN_KEY_CHECKS = 0",
            "INSERT INTO test_cases (id, problem_id, input, output, created_at) "
            "VALUES (900001, 424242, 'in', 'out', UTC_TIMESTAMP(6))")  # a poison row: its problem does not exist
    target = new_target(new_table_config)
    flags = [*connection_flags(source, target), *runner.args]
    dead = tmp_path / "dead.jsonl"

    code, out, err = run_cli("migrate", "--rows-per-range", "40", "--dead-letter", str(dead), "--report",
                             str(tmp_path / "m.json"), *flags)
    assert code == 1, out + err
    if runner.name == "flink":
        assert_the_work_spread_over_every_taskmanager()
    assert [(r["table"], r["key"], r["code"]) for r in map(json.loads, dead.open())] == \
        [("test_cases", 900001, "missing_parent")]
    report = json.loads((tmp_path / "m.json").read_text())
    rows = {t: execute(source, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("users", "problems", "test_cases")}
    assert report["entities"]["usr"]["written"] == rows["users"]
    assert report["entities"]["prob"]["written"] == rows["problems"]
    assert report["entities"]["tc"]["written"] == rows["test_cases"] - 1
    assert report["totals"]["dead_letters"] == 1

    execute(source, "INSERT INTO problems (id, platform, problem_id, title, tags, is_completed, is_deleted, metadata, "
                    "needs_review, verified_by_admin, created_at) VALUES (424242, 'baekjoon', 'p424242', 'found', '[]', "
                    "1, 0, '{}', 0, 0, UTC_TIMESTAMP(6))")  # the cause fixed at the source
    code, out, err = run_cli("replay", str(dead), "--dead-letter", str(tmp_path / "still.jsonl"), *flags)
    assert code == 0, out + err
    code, out, err = run_cli("sync", "--report", str(tmp_path / "s.json"), *flags)
    assert code == 0, out + err
    assert json.loads((tmp_path / "s.json").read_text())["entities"]["prob"]["puts"] == 1  # the new problem
    code, out, err = run_cli("verify", "--report", str(tmp_path / "v.json"), *flags)
    assert code == 0, out + err
    counts = json.loads((tmp_path / "v.json").read_text())
    assert counts["ok"] and counts["entities"]["tc"]["target"] == rows["test_cases"] > 0  # the replayed one too
    code, out, err = run_cli("verify", "--deep", "--report", str(tmp_path / "d.json"), *flags)
    assert code == 0, out + err
    deep = json.loads((tmp_path / "d.json").read_text())
    assert deep["ok"] and deep["entities"]["tc"]["ok"] == rows["test_cases"]


def test_a_killed_load_resumes_clean(runner, seeded_binlog_database, new_table_config, tmp_path):
    source = seeded_binlog_database()
    target = new_target(new_table_config)
    flags = [*connection_flags(source, target), *runner.args]
    first = start_migrate("--rows-per-range", "40", "--max-write-rate", "120", *flags)
    kill_when(first, lambda: count_type(target, "mig_done") >= 2)
    if runner.name == "flink":
        FlinkCluster.cancel_running_jobs()  # the job outlives its launcher: the operator cancels it
    if runner.name == "spark":
        SparkCluster.cancel_running_jobs()  # likewise
    code, out, err = run_cli("migrate", "--resume", "--report", str(tmp_path / "m.json"), *flags)
    assert code == 0, out + err
    run = json.loads((tmp_path / "m.json").read_text())["run"]
    assert run["resumed"] and run["skipped_ranges"] >= 2, run  # the ranges done before the kill were not read again
    code, out, err = run_cli("verify", "--deep", "--report", str(tmp_path / "d.json"), *flags)
    assert code == 0 and json.loads((tmp_path / "d.json").read_text())["ok"], out + err


# How a worker's error reaches the launcher is the runner's (raised in-process, or text inside a
# portable runner's own error): one refusal on every runner; which error it is changes nothing
# there, so the second only where the tool runs by default.
@pytest.mark.parametrize("runner, refusal", [
    *[pytest.param(name, "UnrecognizedClientException", marks=GROUPS.get(name, []))  # credentials
      for name in RUNNERS],
    ("direct", "ResourceNotFoundException"),  # the table went away after the pre-flight
], indirect=["runner"])
def test_an_error_in_a_worker_ends_the_run_alike(runner, refusal, seeded_database, new_table_config):
    source = seeded_database()
    target = new_target(new_table_config)
    with FaultProxy(target.endpoint_url, FaultPlan(refuse=refusal)) as proxy:
        code, out, err = run_cli("migrate", "--entity", "plans", "--mysql-url", source.url, "--endpoint-url",
                                 proxy.url, "--table", target.table, *runner.args)
    assert code == 2, out + err
    assert f"migrate: stopped: DynamoDB refused a BatchWriteItem to {target.table}: {refusal}" in err
    assert proxy.counts.injected.get("refuse", 0) >= 1, proxy.counts  # refused by DynamoDB, not stopped before


def assert_the_work_spread_over_every_taskmanager():
    """The last job read key ranges and wrote items on each TaskManager: Flink honoured the
    Reshuffle between splitting and reading (it may treat one as a hint in batch, apache/beam#30621)."""
    job = FlinkCluster.finished_jobs()[-1]
    assert job["state"] == "FINISHED", job
    by_vertex = FlinkCluster.records_by_taskmanager(job["jid"])
    taskmanagers = set(FlinkCluster.taskmanagers())
    # Flink names a fused vertex after its Beam steps: "Read <table>/ReadKeyRange", and the
    # writer's "Write" among a table's mapping steps ("{Map users, ..., Write, SizeStats}").
    for step, names in {"read": ("ReadKeyRange",), "write": ("Write,", "Write}")}.items():
        per_tm: dict[str, int] = {}
        for vertex, counts in by_vertex.items():
            if any(name in vertex for name in names):
                for tm, records in counts.items():
                    per_tm[tm] = per_tm.get(tm, 0) + records
        assert set(per_tm) == taskmanagers and all(per_tm.values()), (step, per_tm)


@ON_FLINK
def test_a_taskmanager_killed_mid_load_costs_only_time(flink, seeded_binlog_database, new_table_config, tmp_path):
    """Flink restarts the failed tasks; their writes are puts of the same items, so a replayed
    bundle duplicates nothing, and a range is recorded done only by an attempt that wrote it all."""
    source = seeded_binlog_database(scale=2)
    target = new_target(new_table_config)
    flags = [*connection_flags(source, target), *flink.beam_args]
    load = start_migrate("--rows-per-range", "40", "--max-write-rate", "150", "--report", str(tmp_path / "m.json"),
                         *flags)
    try:
        wait_while_running(load, lambda: count_type(target, "mig_done") >= 2, 240, "the kill point")
        killed = flink.kill_taskmanager()
        output, _ = load.communicate(timeout=600)
        assert load.returncode == 0, output
    finally:
        if load.poll() is None:
            load.kill()
        flink.restore()
    assert killed not in flink.taskmanager_pids()
    job = flink.finished_jobs()[-1]
    assert job["state"] == "FINISHED" and flink.failures(job["jid"]), job  # it lost tasks and recovered
    ranges = json.loads((tmp_path / "m.json").read_text())["run"]["ranges"]
    done = count_type(target, "mig_done")
    assert done == ranges, (done, ranges)  # every range recorded once its items were all written, and no more
    code, out, err = run_cli("verify", "--deep", "--report", str(tmp_path / "d.json"),
                             *connection_flags(source, target))
    assert code == 0 and json.loads((tmp_path / "d.json").read_text())["ok"], out + err


def test_a_runner_that_would_lose_data_is_refused(seeded_database, new_table_config):
    code, out, err = run_cli("migrate", "--dry-run", "--runner", "DaskRunner", "--mysql-url",
                             seeded_database().url)
    assert code == 2 and "finish_bundle" in err and "PortableRunner" in err
    code, out, err = run_cli("verify", "--runner", "DataflowRunner")
    assert code == 2 and "--allow-untested-runner" in err and "Dataflow is out of this project's reach" in err
    assert "SparkRunner" in err  # proven above, so named among the runners it runs on
    code, out, err = run_cli("verify", "--runner", "PrismRunner", "--job_endpoint", "localhost:18073")
    assert code == 2 and "35337" in err, out + err  # Prism 2.62.0 can end a failed job as a success


def test_each_process_finds_the_mysql_password_in_its_own_environment(seeded_database, new_table_config, tmp_path,
                                                                        monkeypatch):
    source = seeded_database()
    user, password = f"etl_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex[:12]}"
    hosts = ("%", "localhost", "127.0.0.1")
    execute(source, *[f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'" for host in hosts],
            *[f"GRANT ALL ON `{source.database}`.* TO '{user}'@'{host}'" for host in hosts])
    try:
        server = make_url(source.url)
        url = URL.create(server.drivername, user, None, server.host, server.port, server.database).render_as_string()
        target = new_target(new_table_config)
        secret = tmp_path / "mysql-password"
        secret.write_text(password + "\n")
        monkeypatch.setenv("MYSQL_PASSWORD", password)  # the launching process's own
        # The workers know only the file: the password never travels inside the pipeline.
        with WorkerPool(env={"MYSQL_PASSWORD": None, "MYSQL_PASSWORD_FILE": str(secret)}) as pool:
            code, out, err = run_cli("migrate", "--entity", "plans", "--mysql-url", url, "--endpoint-url",
                                     target.endpoint_url, "--table", target.table, *pool.beam_args)
            assert code == 0, out + err
            assert "travels inside the pipeline" not in err
            assert count_type(target, "plan") == execute(source, "SELECT COUNT(*) FROM subscription_plans")[0][0]

            with_password = make_url(url).set(password=password).render_as_string(hide_password=False)
            code, out, err = run_cli("migrate", "--entity", "plans", "--dry-run", "--mysql-url", with_password,
                                     "--endpoint-url", target.endpoint_url, *pool.beam_args)
            assert code == 0 and "travels inside the pipeline to the workers" in err, out + err
        monkeypatch.delenv("MYSQL_PASSWORD")
        code, out, err = run_cli("migrate", "--entity", "plans", "--dry-run", "--mysql-url", url,
                                 "--endpoint-url", target.endpoint_url)
        assert code == 2 and "Access denied" in err, out + err
        assert password not in out + err
    finally:
        execute(source, *[f"DROP USER IF EXISTS '{user}'@'{host}'" for host in hosts])
