"""A throwaway MariaDB with the binary log on, for a test that must not share a server.

PURGE BINARY LOGS on the suite's binlog server would cut the window of every sync running at
the same time (another xdist worker's, or another checkout's against the same services), so
a test that purges gets a server of its own: made with `mariadb-install-db` in a temporary
directory and started with `/usr/sbin/mariadbd` on a free port, with the settings sync needs
(as scripts/local_services.sh starts the suite's own), and removed, data and all, at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pymysql

from tests.support.worker_pool import free_port

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"


class MariaDBMissing(RuntimeError):
    """MariaDB's server binaries are not installed."""


class ThrowawayMariaDB:
    """`with ThrowawayMariaDB() as server:` a MariaDB at `server.url` (root, no password, no
    database selected), binary log on with ROW/FULL/FULL, gone when the block ends."""

    def __init__(self, start_timeout: float = 60):
        self.port = free_port()
        self.url = f"mysql+pymysql://root@127.0.0.1:{self.port}/"
        self._timeout = start_timeout
        self._dir: str | None = None
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "ThrowawayMariaDB":
        if not (shutil.which(INSTALL_DB) and os.access(MARIADBD, os.X_OK)):
            raise MariaDBMissing(f"this test starts a MariaDB of its own and needs {INSTALL_DB} and {MARIADBD}: "
                                 "`scripts/local_services.sh up tests` installs them (apt-get install mariadb-server)")
        self._dir = tempfile.mkdtemp(prefix="algoitny-mariadb-")
        data = os.path.join(self._dir, "data")
        installed = subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={data}", "--skip-test-db",
                                    "--auth-root-authentication-method=normal"], capture_output=True, text=True)
        if installed.returncode != 0:
            self.__exit__()
            raise RuntimeError(f"{INSTALL_DB} failed:\n{installed.stdout}{installed.stderr}")
        log = os.path.join(self._dir, "mariadbd.err")
        options = [f"--datadir={data}", f"--port={self.port}", "--bind-address=127.0.0.1",
                   f"--socket={os.path.join(self._dir, 'mariadbd.sock')}", f"--log-error={log}",
                   f"--pid-file={os.path.join(self._dir, 'mariadbd.pid')}", "--character-set-server=utf8mb4",
                   "--collation-server=utf8mb4_unicode_ci", "--skip-name-resolve",
                   "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0", "--innodb-buffer-pool-size=32M",
                   f"--log-bin={os.path.join(data, 'binlog')}", "--server-id=1", "--binlog-format=ROW",
                   "--binlog-row-image=FULL", "--binlog-row-metadata=FULL"]
        if os.geteuid() == 0:
            options.append("--user=root")
        self._process = subprocess.Popen([MARIADBD, "--no-defaults", *options], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self._timeout
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = open(log, errors="replace").read()[-2000:] if os.path.exists(log) else ""
                self.__exit__()
                raise RuntimeError(f"the throwaway MariaDB did not answer on port {self.port}:\n{tail}")
            time.sleep(0.1)  # pacing: polls the starting server until it answers
        return self

    def _answers(self) -> bool:
        try:
            pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="", connect_timeout=1).close()
            return True
        except pymysql.err.OperationalError:
            return False

    def __exit__(self, *exc) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
