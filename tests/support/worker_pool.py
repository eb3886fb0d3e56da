"""A Beam SDK worker pool for the PortableRunner, started and stopped by the tests themselves.

`python -m apache_beam.runners.worker.worker_pool_main` starts SDK harness workers on request
from the job service: the same Fn API harness Flink, Spark and Dataflow run. The pool starts
`python` from PATH, so this interpreter's directory goes first on it. Workers take their
credentials and settings from their own environment, as they would in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WorkerPool:
    """`env`: changes to the workers' environment (a value of None removes the variable)."""

    def __init__(self, env: dict[str, str | None] | None = None):
        self.port = free_port()
        self._env = env or {}
        self._process: subprocess.Popen | None = None

    @property
    def beam_args(self) -> list[str]:
        return ["--runner", "PortableRunner", "--job_endpoint", "embed", "--environment_type", "EXTERNAL",
                "--environment_config", f"localhost:{self.port}"]

    def __enter__(self) -> "WorkerPool":
        env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
        for name, value in self._env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        self._process = subprocess.Popen(
            [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={self.port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the worker pool exited at start ({self._process.returncode})")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.2)  # pacing: polls the pool's port until it listens
        self.__exit__()
        raise RuntimeError(f"the worker pool did not listen on port {self.port} within 60 s")

    def __exit__(self, *exc) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
