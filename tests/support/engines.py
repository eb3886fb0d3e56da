"""The engines the suite shares, which scripts/engines.py starts (`make test` first): the Flink
session cluster (Beam flags for it, and what its REST API says about the jobs the tests ran)
and the Spark standalone cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "scripts" / "engines.py"
FLINK_DIR = ROOT / ".local" / "engines" / "flink"
REST_PORT = int(os.environ.get("FLINK_REST_PORT", "18081"))
JOB_PORT = int(os.environ.get("FLINK_JOB_PORT", "18099"))
TASKMANAGERS = 2
SPARK_UI_PORT = int(os.environ.get("SPARK_UI_PORT", "18180"))
SPARK_JOB_PORT = int(os.environ.get("SPARK_JOB_PORT", "18199"))


def _get(path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{REST_PORT}{path}", timeout=10) as response:
        return json.load(response)


class FlinkCluster:
    """The running cluster: `up()` starts it if needed (through scripts/engines.py)."""

    def up(self) -> "FlinkCluster":
        result = subprocess.run([sys.executable, str(ENGINES), "up", "flink", "--taskmanagers", str(TASKMANAGERS)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"the Flink cluster would not start:\n{result.stdout}{result.stderr}")
        return self

    beam_args = ["--runner", "FlinkRunner", "--job_endpoint", f"localhost:{JOB_PORT}", "--environment_type", "PROCESS",
                 "--environment_config", json.dumps({"command": str(ROOT / "scripts" / "beam-sdk-worker")}),
                 "--parallelism", str(TASKMANAGERS)]
    """The FlinkRunner through the shared job server; each TaskManager starts its own SDK workers."""

    @staticmethod
    def taskmanagers() -> list[str]:
        return [tm["id"] for tm in _get("/taskmanagers")["taskmanagers"]]

    @staticmethod
    def finished_jobs() -> list[dict]:
        """Every job the cluster finished or failed, newest last."""
        jobs = [j for j in _get("/jobs/overview")["jobs"] if j["state"] in ("FINISHED", "FAILED", "CANCELED")]
        return sorted(jobs, key=lambda j: j["end-time"])

    @staticmethod
    def records_by_taskmanager(job_id: str) -> dict[str, dict[str, int]]:
        """vertex name -> {TaskManager id: records read} for every vertex of the job."""
        found = {}
        for vertex in _get(f"/jobs/{job_id}")["vertices"]:
            per_tm = _get(f"/jobs/{job_id}/vertices/{vertex['id']}/taskmanagers")["taskmanagers"]
            found[vertex["name"]] = {tm["taskmanager-id"]: int(tm["metrics"]["read-records"]) for tm in per_tm}
        return found

    @staticmethod
    def cancel_running_jobs(timeout: float = 60) -> None:
        """What an operator does after killing a launcher: the job it submitted runs on without it."""
        running = [j["jid"] for j in _get("/jobs/overview")["jobs"] if j["state"] not in ("FINISHED", "FAILED",
                                                                                          "CANCELED")]
        for job_id in running:
            urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{REST_PORT}/jobs/{job_id}?mode=cancel", method="PATCH"), timeout=10).close()
        deadline = time.monotonic() + timeout
        while any(j["state"] not in ("FINISHED", "FAILED", "CANCELED") for j in _get("/jobs/overview")["jobs"]):
            assert time.monotonic() < deadline, "a Flink job would not cancel"
            time.sleep(0.5)  # pacing: polls the REST API until every job has ended

    @staticmethod
    def failures(job_id: str) -> list[str]:
        """The failures the job recovered from (or died of), oldest first, in Flink's words."""
        history = _get(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries", [])
        return [entry.get("exceptionName", "") + ": " + entry.get("stacktrace", "").split("\n", 1)[0]
                for entry in reversed(history)]

    @staticmethod
    def taskmanager_pids() -> list[int]:
        pids = []
        for pid_file in sorted(FLINK_DIR.glob("taskmanager-*.pid")):
            pid = int(pid_file.read_text())
            try:
                os.kill(pid, 0)
                pids.append(pid)
            except OSError:
                pass
        return pids

    def kill_taskmanager(self) -> int:
        """SIGKILL one TaskManager JVM (the newest), as a crashed machine would die."""
        pid = self.taskmanager_pids()[-1]
        os.kill(pid, signal.SIGKILL)
        return pid

    def restore(self, timeout: float = 90) -> None:
        """Back to TASKMANAGERS registered TaskManagers, starting new ones for the dead."""
        missing = TASKMANAGERS - len(self.taskmanager_pids())
        for _ in range(missing):
            subprocess.run([sys.executable, str(ENGINES), "taskmanager", "flink"], check=True, capture_output=True)
        deadline = time.monotonic() + timeout
        while len(self.taskmanagers()) != TASKMANAGERS:
            assert time.monotonic() < deadline, f"Flink has {len(self.taskmanagers())} TaskManagers, not {TASKMANAGERS}"
            time.sleep(0.5)  # pacing: polls the REST API until the new TaskManagers registered


class SparkCluster:
    """Spark 3.5 standalone (a master, one worker) and Beam's Spark job server: `up()` starts them
    if needed (scripts/engines.py)."""

    def up(self) -> "SparkCluster":
        result = subprocess.run([sys.executable, str(ENGINES), "up", "spark"], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"the Spark cluster would not start:\n{result.stdout}{result.stderr}")
        return self

    beam_args = ["--runner", "SparkRunner", "--job_endpoint", f"localhost:{SPARK_JOB_PORT}",
                 "--environment_type", "PROCESS",
                 "--environment_config", json.dumps({"command": str(ROOT / "scripts" / "beam-sdk-worker")})]
    """The SparkRunner through the shared job server; each executor starts its own SDK workers."""

    @staticmethod
    def finished_apps() -> list[dict]:
        """Every application the master saw end, newest last."""
        with urllib.request.urlopen(f"http://127.0.0.1:{SPARK_UI_PORT}/json/", timeout=10) as response:
            return sorted(json.load(response)["completedapps"], key=lambda app: app["starttime"])

    @staticmethod
    def cancel_running_jobs(timeout: float = 120) -> None:
        """What an operator does after killing a launcher: the job it submitted runs on in the job
        server without it. Cancelled through Beam's job API, every job the job server runs."""
        import grpc
        from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc

        ended = {beam_job_api_pb2.JobState.DONE, beam_job_api_pb2.JobState.FAILED,
                 beam_job_api_pb2.JobState.CANCELLED}
        with grpc.insecure_channel(f"localhost:{SPARK_JOB_PORT}") as channel:
            jobs = beam_job_api_pb2_grpc.JobServiceStub(channel)

            def running() -> list[str]:
                return [job.job_id for job in jobs.GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=10).job_info
                        if job.state not in ended]

            for job_id in running():
                jobs.Cancel(beam_job_api_pb2.CancelJobRequest(job_id=job_id), timeout=30)
            deadline = time.monotonic() + timeout
            while running():
                assert time.monotonic() < deadline, "a Spark job would not cancel"
                time.sleep(0.5)  # pacing: polls the job service until every job has ended
