#!/usr/bin/env python3
"""Beam's distributed engines on this machine, fetched and started by the project itself.

  scripts/engines.py fetch flink            # the job server's jars and Flink, into .local/engines (cached)
  scripts/engines.py up flink [--taskmanagers N]
  scripts/engines.py taskmanager flink      # one more TaskManager (after one was killed)
  scripts/engines.py down flink | status flink
  scripts/engines.py fetch prism | up prism | down prism | status prism
  scripts/engines.py fetch spark | up spark | down spark | status spark

Flink: a session cluster of Flink 1.19.0 (the version Beam 2.62.0's FlinkRunner is built for):
one JobManager and N TaskManagers (default 2) as separate JVMs on 127.0.0.1, with a fixed-delay
restart strategy, plus Beam's Flink job server (FlinkJobServerDriver) in front of it. Its jars
come from Maven Central, each checked against scripts/engine-locks/ (sha256); Flink's own
distribution (flink-dist is not on Maven Central) from PyPI's apache-flink-libraries sdist,
pinned by sha256. A manifest-only jar, .local/engines/flink/job-server.jar, lets
`--runner FlinkRunner --flink_job_server_jar` start a job server of its own.

Prism: Beam's portable local runner, built with `go install` from the Go module proxy at the
SDK's version, started as a job server.

Spark: a standalone Spark 3.5 cluster (one master, one worker of 2 cores, separate JVMs on
127.0.0.1) from PyPI's pyspark (its jars; pip install --target, pinned by sha256, never into
the project's virtual environment), plus Beam's Spark job server (SparkJobServerDriver of
beam-runners-spark-3, whose jars come from Maven Central, checked against scripts/engine-locks/,
on one classpath with Spark's own, the newer of two versions of a jar kept).

Every failure stops with exit 2 and says what to do; a failed start leaves nothing running.
Ports (environment): FLINK_REST_PORT 18081, FLINK_JOB_PORT 18099 (+ artifact 18098, expansion
18097), PRISM_JOB_PORT 18073 (+1 its web UI), SPARK_MASTER_PORT 17077, SPARK_UI_PORT 18180 (+1 the
worker's), SPARK_JOB_PORT 18199 (+ artifact 18198, expansion 18197). MAVEN_REPOSITORY overrides https://repo1.maven.org/maven2.
Standard library only: it runs before the project's virtual environment exists.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local" / "engines"
LOCKS = ROOT / "scripts" / "engine-locks"
BEAM_VERSION = "2.62.0"  # == apache-beam in setup.py: Beam guarantees nothing across versions
MAVEN = os.environ.get("MAVEN_REPOSITORY", "https://repo1.maven.org/maven2").rstrip("/")

FLINK_VERSION = "1.19.0"
FLINK_DIST = ("https://files.pythonhosted.org/packages/6e/08/b36307d608aa76f14bfc972a0b1ff15920cdee54414864c9dca4cff5d"
              "065/apache-flink-libraries-1.19.0.tar.gz",
              "bb3115c1c63702f95c3f89d5d952e9d98e26fd35b980a265d139790a6ea2c2a2")
FLINK_LOCK = LOCKS / f"flink-1.19-job-server-{BEAM_VERSION}.lock"
FLINK = LOCAL / "flink"
FLINK_REST_PORT = int(os.environ.get("FLINK_REST_PORT", "18081"))
FLINK_JOB_PORT = int(os.environ.get("FLINK_JOB_PORT", "18099"))
FLINK_RPC_PORT = int(os.environ.get("FLINK_RPC_PORT", "16123"))
PRISM = LOCAL / "prism"
PRISM_JOB_PORT = int(os.environ.get("PRISM_JOB_PORT", "18073"))
SPARK_VERSION = "3.5.7"
PYSPARK_SHA256 = "80e36514e0c5c126d35a26adf4f405cd4a69de96a8ea8a3c1e9a65fce2fb4eaa"  # pyspark-3.5.7.tar.gz
SPARK_LOCK = LOCKS / f"spark-3-job-server-{BEAM_VERSION}.lock"
SPARK = LOCAL / "spark"
SPARK_MASTER_PORT = int(os.environ.get("SPARK_MASTER_PORT", "17077"))
SPARK_UI_PORT = int(os.environ.get("SPARK_UI_PORT", "18180"))
SPARK_JOB_PORT = int(os.environ.get("SPARK_JOB_PORT", "18199"))

# What Flink's own bin/ scripts give a Java 17 JVM (env.java.opts.all of its config.yaml).
JAVA_OPENS = [f"--add-exports={m}=ALL-UNNAMED" for m in (
    "java.base/sun.net.util", "java.rmi/sun.rmi.registry", "jdk.compiler/com.sun.tools.javac.api",
    "jdk.compiler/com.sun.tools.javac.file", "jdk.compiler/com.sun.tools.javac.parser",
    "jdk.compiler/com.sun.tools.javac.tree", "jdk.compiler/com.sun.tools.javac.util",
    "java.security.jgss/sun.security.krb5")] + [f"--add-opens={m}=ALL-UNNAMED" for m in (
    "java.base/java.lang", "java.base/java.net", "java.base/java.io", "java.base/java.nio", "java.base/sun.nio.ch",
    "java.base/java.lang.reflect", "java.base/java.text", "java.base/java.time", "java.base/java.util",
    "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic", "java.base/java.util.concurrent.locks")]


class Stop(Exception):
    """The command cannot go on; the message says what to do (exit 2)."""


def say(message: str) -> None:
    print(message, flush=True)


# --- fetching, pinned -----------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, sha256: str, target: Path) -> Path:
    """`url` into `target`, once: a file already there with the right sha256 is kept."""
    if target.exists() and _sha256(target) == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise Stop(f"cannot fetch {url}: {error}. Is the registry reachable from here (a proxy, MAVEN_REPOSITORY)?")
    got = _sha256(partial)
    if got != sha256:
        partial.unlink(missing_ok=True)
        raise Stop(f"{url} has sha256 {got}, not the pinned {sha256}: refusing it (a changed or corrupted file)")
    partial.replace(target)
    return target


@dataclass(frozen=True)
class Jar:
    group: str
    artifact: str
    version: str
    classifier: str
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.artifact}-{self.version}{'-' + self.classifier if self.classifier else ''}.jar"

    @property
    def url(self) -> str:
        return f"{MAVEN}/{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.file_name}"


def locked_jars(lock: Path) -> list[Jar]:
    jars = []
    for line in lock.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            coordinates, sha256, _ = line.split()
            group, artifact, version, classifier = coordinates.split(":")
            jars.append(Jar(group, artifact, version, classifier, sha256))
    return jars


def fetch_jars(lock: Path, folder: Path) -> list[Path]:
    jars = locked_jars(lock)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda jar: download(jar.url, jar.sha256, folder / jar.file_name), jars))


def manifest_jar(jar: Path, main_class: str, class_path: list[Path]) -> None:
    """A jar holding only a manifest: its Main-Class, and a Class-Path relative to the jar."""
    jar.parent.mkdir(parents=True, exist_ok=True)
    relative = " ".join(os.path.relpath(p, jar.parent) for p in class_path)
    lines = ["Manifest-Version: 1.0", f"Main-Class: {main_class}", f"Class-Path: {relative}"]
    wrapped = []
    for line in lines:  # manifest lines are at most 72 bytes; a continuation starts with a space
        wrapped.append(line[:70])
        rest = line[70:]
        while rest:
            wrapped.append(" " + rest[:69])
            rest = rest[69:]
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "\r\n".join(wrapped) + "\r\n")


def fetch_flink() -> None:
    started = time.monotonic()
    jars = fetch_jars(FLINK_LOCK, LOCAL / "maven")
    manifest_jar(FLINK / "job-server.jar", "org.apache.beam.runners.flink.FlinkJobServerDriver", jars)
    home = FLINK / f"flink-{FLINK_VERSION}"
    if not (home / "lib" / f"flink-dist-{FLINK_VERSION}.jar").exists():
        sdist = download(*FLINK_DIST, LOCAL / "downloads" / FLINK_DIST[0].rsplit("/", 1)[1])
        shutil.rmtree(home, ignore_errors=True)
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                parts = Path(member.name).parts  # apache-flink-libraries-1.19.0/deps/{lib,bin}/...
                if len(parts) >= 4 and parts[1] == "deps" and parts[2] in ("lib", "bin") and member.isfile():
                    member.name = str(Path(*parts[2:]))
                    archive.extract(member, home)
    say(f"flink: Beam {BEAM_VERSION} job server ({len(jars)} jars) and Flink {FLINK_VERSION} in {FLINK} "
        f"({time.monotonic() - started:.0f} s)")


def fetch_prism() -> Path:
    binary = PRISM / "bin" / "prism"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if not go:
        raise Stop("Prism is built with Go (go install from the Go module proxy), and `go` is not installed: install "
                   "Go 1.21+ (Debian/Ubuntu: apt-get install -y golang)")
    started = time.monotonic()
    env = {**os.environ, "GOBIN": str(binary.parent), "GOPATH": str(LOCAL / "go"),
           "GOMODCACHE": str(LOCAL / "go" / "mod"), "GOCACHE": str(LOCAL / "go" / "cache"),
           # The checksum database answers 404 for Beam's v2.62.0 module: only that module skips it.
           "GONOSUMDB": "github.com/apache/beam", "GOFLAGS": "-mod=mod"}
    module = f"github.com/apache/beam/sdks/v2/go/cmd/prism@v{BEAM_VERSION}"
    result = subprocess.run([go, "install", module], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Stop(f"go install {module} failed:\n{result.stderr[-2000:]}")
    say(f"prism: built {module} into {binary} ({time.monotonic() - started:.0f} s)")
    return binary


# --- processes ------------------------------------------------------------------------------

def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(name: str, command: list[str], folder: Path, env: dict | None = None) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / f"{name}.log", "ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               cwd=folder, env={**os.environ, **(env or {})}, start_new_session=True)
    (folder / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def stop(pid_file: Path, seconds: float = 20) -> bool:
    """Stop the process a pid file names and wait until it is gone; False if it was not running."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return False
    pid_file.unlink(missing_ok=True)
    if not alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def wait_for(what: str, ready, seconds: float, pids: list[int], logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        dead = [pid for pid in pids if not alive(pid)]
        if dead:
            raise Stop(f"{what}: a process exited at start; see {', '.join(map(str, logs))}")
        time.sleep(0.5)
    raise Stop(f"{what} was not ready within {seconds:.0f} s; see {', '.join(map(str, logs))}")


def rest(port: int, path: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def java() -> str:
    found = shutil.which("java")
    if not found:
        raise Stop("Flink needs Java 17 (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)")
    return found


# --- Flink ----------------------------------------------------------------------------------

def flink_config(taskmanager_slots: int) -> str:
    tmp = FLINK / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    settings = {
        "jobmanager.rpc.address": "127.0.0.1", "jobmanager.rpc.port": FLINK_RPC_PORT,
        "jobmanager.bind-host": "127.0.0.1", "jobmanager.memory.process.size": "1024m",
        "taskmanager.bind-host": "127.0.0.1", "taskmanager.host": "127.0.0.1",
        "taskmanager.memory.process.size": "1792m", "taskmanager.numberOfTaskSlots": taskmanager_slots,
        # A migrate of every entity is one job of many stages, each with its own network channels.
        "taskmanager.memory.network.min": "320m", "taskmanager.memory.network.max": "320m",
        "rest.address": "127.0.0.1", "rest.bind-address": "127.0.0.1", "rest.port": FLINK_REST_PORT,
        "blob.server.port": FLINK_RPC_PORT + 3, "parallelism.default": 2, "io.tmp.dirs": str(tmp),
        # A job's tasks go to every TaskManager, not first to fill one.
        "cluster.evenly-spread-out-slots": "true",
        # A task that fails (a TaskManager killed) is restarted from the start of its work. The
        # attempts must outlast the heartbeat timeout: until then the JobManager still places
        # restarted tasks on the dead TaskManager, and each such attempt fails at once.
        "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": 4,
        "restart-strategy.fixed-delay.delay": "3 s",
        # A lost TaskManager is noticed in seconds, not in the default 50.
        "heartbeat.interval": 2000, "heartbeat.timeout": 6000,
    }
    return "".join(f"{key}: {value}\n" for key, value in settings.items())


LOG4J = """rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = File
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


def _flink_home() -> Path:
    return FLINK / f"flink-{FLINK_VERSION}"


def _classpath() -> str:
    return str(_flink_home() / "lib" / "*")


def _conf() -> Path:
    return FLINK / "conf"


def taskmanager_count() -> int | None:
    overview = rest(FLINK_REST_PORT, "/overview")
    return overview.get("taskmanagers") if overview else None


def start_taskmanager() -> int:
    """One TaskManager JVM, with the memory settings Flink's bin/taskmanager.sh would compute."""
    conf, home = _conf(), _flink_home()
    result = subprocess.run([java(), "-cp", f"{home / 'bin' / 'bash-java-utils.jar'}:{_classpath()}",
                             "org.apache.flink.runtime.util.bash.BashJavaUtils", "GET_TM_RESOURCE_PARAMS",
                             "--configDir", str(conf)], capture_output=True, text=True)
    values = [line.split(":", 1)[1] for line in result.stdout.splitlines()
              if line.startswith("BASH_JAVA_UTILS_EXEC_RESULT:")]
    if result.returncode != 0 or len(values) < 2:
        raise Stop(f"Flink could not compute a TaskManager's memory settings:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
    jvm, dynamic = values[0].split(), values[1].split()
    existing = sorted(FLINK.glob("taskmanager-*.pid"))
    number = 1 + max([int(p.stem.rsplit("-", 1)[1]) for p in existing] or [0])
    name = f"taskmanager-{number}"
    return start(name, [java(), *jvm, *JAVA_OPENS, f"-Dlog.file={FLINK / (name + '.flink.log')}",
                        f"-Dlog4j.configurationFile=file:{conf / 'log4j.properties'}", "-cp", _classpath(),
                        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", str(conf),
                        *dynamic], FLINK)


def flink_up(taskmanagers: int) -> None:
    if taskmanager_count() is not None and port_open(FLINK_JOB_PORT):
        say(f"flink: already running (REST http://127.0.0.1:{FLINK_REST_PORT}, {taskmanager_count()} TaskManager(s), "
            f"job server localhost:{FLINK_JOB_PORT})")
        return
    taken = [p for p in (FLINK_REST_PORT, FLINK_RPC_PORT, FLINK_JOB_PORT, FLINK_JOB_PORT - 1, FLINK_JOB_PORT - 2)
             if port_open(p)]
    if taken:
        raise Stop(f"port {', '.join(map(str, taken))} is in use by something else: stop it, or choose other ports "
                   "(FLINK_REST_PORT, FLINK_RPC_PORT, FLINK_JOB_PORT), or `scripts/engines.py down flink` if it is "
                   "a half-started cluster of ours")
    fetch_flink()
    conf = _conf()
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "flink-conf.yaml").write_text(flink_config(taskmanager_slots=2))
    (conf / "log4j.properties").write_text(LOG4J)
    started = time.monotonic()
    try:
        pids = [start("jobmanager", [java(), "-Xmx768m", *JAVA_OPENS, f"-Dlog.file={FLINK / 'jobmanager.flink.log'}",
                                     f"-Dlog4j.configurationFile=file:{conf / 'log4j.properties'}", "-cp", _classpath(),
                                     "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                                     "--configDir", str(conf)], FLINK)]
        pids += [start_taskmanager() for _ in range(taskmanagers)]
        logs = [FLINK / "jobmanager.log", FLINK / "jobmanager.flink.log"]
        wait_for(f"Flink (REST on {FLINK_REST_PORT}, {taskmanagers} TaskManagers)",
                 lambda: taskmanager_count() == taskmanagers, 90, pids, logs)
        pids.append(start("job-server", [java(), "-Xmx512m", "-cp", str(FLINK / "job-server.jar"),
                                         "org.apache.beam.runners.flink.FlinkJobServerDriver",
                                         f"--flink-master=127.0.0.1:{FLINK_REST_PORT}", f"--job-port={FLINK_JOB_PORT}",
                                         f"--artifact-port={FLINK_JOB_PORT - 1}",
                                         f"--expansion-port={FLINK_JOB_PORT - 2}",
                                         f"--artifacts-dir={FLINK / 'artifacts'}"], FLINK))
        wait_for(f"Beam's Flink job server (port {FLINK_JOB_PORT})", lambda: port_open(FLINK_JOB_PORT), 60, pids,
                 [FLINK / "job-server.log"])
    except (Stop, OSError):
        flink_down(quiet=True)
        raise
    say(f"flink: Flink {FLINK_VERSION} session cluster up in {time.monotonic() - started:.0f} s: REST "
        f"http://127.0.0.1:{FLINK_REST_PORT}, {taskmanagers} TaskManagers, Beam {BEAM_VERSION} job server "
        f"localhost:{FLINK_JOB_PORT} (logs in {FLINK})")


def flink_down(quiet: bool = False) -> None:
    stopped = [f.stem for f in [FLINK / "job-server.pid", *sorted(FLINK.glob("taskmanager-*.pid")),
                                FLINK / "jobmanager.pid"] if stop(f)]
    if not quiet:
        say(f"flink: stopped {', '.join(stopped)}" if stopped else "flink: not running")


def flink_status() -> int:
    count = taskmanager_count()
    if count is None:
        say("flink: down")
        return 1
    say(f"flink: up, REST http://127.0.0.1:{FLINK_REST_PORT}, {count} TaskManager(s); job server "
        f"{'up' if port_open(FLINK_JOB_PORT) else 'down'} on localhost:{FLINK_JOB_PORT}")
    return 0


# --- Prism ----------------------------------------------------------------------------------

def _prism_ours() -> bool:
    """Whether our Prism runs, on PRISM_JOB_PORT."""
    try:
        pid, port = (int(f.read_text()) for f in (PRISM / "prism.pid", PRISM / "prism.port"))
    except (OSError, ValueError):
        return False
    return alive(pid) and port == PRISM_JOB_PORT


def prism_up() -> None:
    if port_open(PRISM_JOB_PORT):
        if _prism_ours():
            say(f"prism: already running (job server localhost:{PRISM_JOB_PORT})")
            return
        raise Stop(f"port {PRISM_JOB_PORT} is in use by something else: stop it or set PRISM_JOB_PORT")
    if port_open(PRISM_JOB_PORT + 1):
        raise Stop(f"port {PRISM_JOB_PORT + 1} (Prism's web UI, the job port + 1) is in use by something else: stop "
                   "it or set PRISM_JOB_PORT")
    stop(PRISM / "prism.pid")  # one Prism per checkout: ours on another port, or no longer listening, goes
    binary = fetch_prism()
    try:
        pid = start("prism", [str(binary), f"--job_port={PRISM_JOB_PORT}", f"--web_port={PRISM_JOB_PORT + 1}",
                              "--idle_shutdown_timeout=0s", "--log_kind=text"], PRISM)
        (PRISM / "prism.port").write_text(str(PRISM_JOB_PORT))
        wait_for(f"Prism (port {PRISM_JOB_PORT})", lambda: port_open(PRISM_JOB_PORT), 60, [pid], [PRISM / "prism.log"])
    except (Stop, OSError):
        stop(PRISM / "prism.pid")
        raise
    say(f"prism: Beam {BEAM_VERSION}'s Prism up, job server localhost:{PRISM_JOB_PORT}")


def prism_down() -> None:
    say("prism: stopped" if stop(PRISM / "prism.pid") else "prism: not running")


def prism_status() -> int:
    if not port_open(PRISM_JOB_PORT):
        say("prism: down")
        return 1
    say(f"prism: up, job server localhost:{PRISM_JOB_PORT}")
    return 0


# --- Spark ----------------------------------------------------------------------------------

# What Spark's launcher gives a Java 17 JVM (launcher/JavaModuleOptions.java).
SPARK_OPENS = ["-XX:+IgnoreUnrecognizedVMOptions", "-Djdk.reflect.useDirectMethodHandle=false"] + [
    f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
        "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
        "sun.security.action", "sun.util.calendar")]


def _spark_home() -> Path:
    return SPARK / "pyspark" / "pyspark"


def _jar_version(name: str) -> tuple[str, tuple]:
    """(artifact, comparable version) of a jar's file name: jackson-core-2.15.4.jar -> (jackson-core, (2, 15, 4))."""
    stem = name[:-4]
    cut = next((i for i in range(len(stem) - 1) if stem[i] == "-" and stem[i + 1].isdigit()), len(stem))
    return stem[:cut], tuple(int(n) for n in "".join(c if c.isdigit() else " " for c in stem[cut:]).split())


def merged_classpath(folder: Path, *jars: Path) -> None:
    """`folder` holding a link to each jar, of two versions of one artifact the newer only."""
    newest: dict[str, tuple[tuple, Path]] = {}
    for jar in jars:
        artifact, version = _jar_version(jar.name)
        if artifact not in newest or version > newest[artifact][0]:
            newest[artifact] = (version, jar)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for _, jar in newest.values():
        (folder / jar.name).symlink_to(jar.resolve())


def fetch_spark() -> None:
    started = time.monotonic()
    home = _spark_home()
    if not (home / "jars" / f"spark-core_2.12-{SPARK_VERSION}.jar").exists():
        requirements = SPARK / "pyspark-requirements.txt"
        requirements.parent.mkdir(parents=True, exist_ok=True)
        requirements.write_text(f"pyspark=={SPARK_VERSION} --hash=sha256:{PYSPARK_SHA256}\n")
        shutil.rmtree(SPARK / "pyspark", ignore_errors=True)
        venv = ROOT / ".venv" / "bin" / "python"  # its pip, where python3 has none; installs outside it
        python = str(venv) if venv.exists() else sys.executable
        result = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--require-hashes",
                                 "--target", str(SPARK / "pyspark"), "-r", str(requirements)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(SPARK / "pyspark", ignore_errors=True)
            raise Stop(f"pip could not install pyspark {SPARK_VERSION} into {SPARK / 'pyspark'} (is PyPI reachable, "
                       f"and pip installed: python3 -m pip --version?):\n{result.stderr[-2000:]}")
    # Spark's launcher takes its jars from SPARK_HOME/jars only in a release: an executor's
    # command is built by the worker with it.
    (home / "RELEASE").write_text(f"Spark {SPARK_VERSION} (PyPI's pyspark)\n")
    jars = fetch_jars(SPARK_LOCK, LOCAL / "maven")
    merged_classpath(SPARK / "classpath", *jars, *sorted((home / "jars").glob("*.jar")))
    say(f"spark: Spark {SPARK_VERSION} in {home}, Beam {BEAM_VERSION} job server ({len(jars)} jars) on "
        f"{SPARK / 'classpath'} ({time.monotonic() - started:.0f} s)")


def spark_workers() -> int | None:
    master = rest(SPARK_UI_PORT, "/json/")
    return master.get("aliveworkers") if master else None


def _spark_ports() -> str:
    return f"{SPARK_MASTER_PORT} {SPARK_UI_PORT} {SPARK_JOB_PORT}"


def _spark_ours() -> bool:
    """Whether our cluster and job server run, on these ports."""
    try:
        pids = [int((SPARK / f"{name}.pid").read_text()) for name in ("master", "worker", "job-server")]
        return all(map(alive, pids)) and (SPARK / "ports").read_text() == _spark_ports()
    except (OSError, ValueError):
        return False


def spark_up() -> None:
    if _spark_ours() and spark_workers() and port_open(SPARK_JOB_PORT):
        say(f"spark: already running (master spark://127.0.0.1:{SPARK_MASTER_PORT}, job server "
            f"localhost:{SPARK_JOB_PORT})")
        return
    ports = (SPARK_MASTER_PORT, SPARK_UI_PORT, SPARK_UI_PORT + 1, SPARK_JOB_PORT, SPARK_JOB_PORT - 1,
             SPARK_JOB_PORT - 2)
    taken = [p for p in ports if port_open(p)]
    if taken:
        raise Stop(f"port {', '.join(map(str, taken))} is in use by something else: stop it, or choose other ports "
                   "(SPARK_MASTER_PORT, SPARK_UI_PORT, SPARK_JOB_PORT), or `scripts/engines.py down spark` if it is "
                   "a half-started cluster of ours")
    fetch_spark()
    home = _spark_home()
    env = {"SPARK_HOME": str(home), "SPARK_SCALA_VERSION": "2.12", "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(SPARK), "SPARK_WORKER_DIR": str(SPARK / "work")}
    spark_jars = str(home / "jars" / "*")
    master = f"spark://127.0.0.1:{SPARK_MASTER_PORT}"
    started = time.monotonic()
    spark_down(quiet=True)  # one cluster per checkout: ours on other ports, or half-started, goes
    (SPARK / "ports").write_text(_spark_ports())
    try:
        pids = [start("master", [java(), "-Xmx512m", *SPARK_OPENS, "-cp", spark_jars,
                                 "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                 "--port", str(SPARK_MASTER_PORT), "--webui-port", str(SPARK_UI_PORT)], SPARK, env)]
        # Each application's executor copies every jar Beam stages (about 410 MB) into its own
        # folder under work/: the worker deletes the folders of ended applications after a minute.
        cleanup = ["-Dspark.worker.cleanup.enabled=true", "-Dspark.worker.cleanup.interval=60",
                   "-Dspark.worker.cleanup.appDataTtl=60"]
        pids.append(start("worker", [java(), "-Xmx512m", *SPARK_OPENS, *cleanup, "-cp", spark_jars,
                                     "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                     "--webui-port", str(SPARK_UI_PORT + 1), "--cores", "2", "--memory", "2g",
                                     "--work-dir", str(SPARK / "work"), master], SPARK, env))
        wait_for(f"Spark (master {master}, one worker)", lambda: spark_workers() == 1, 90, pids,
                 [SPARK / "master.log", SPARK / "worker.log"])
        # Executors put the job server's classpath first too: after Spark's own jars (Guava 14),
        # the Guava 33 Beam's GCS options need lost a task to a NoSuchMethodError in each job.
        classpath = str(SPARK / "classpath" / "*")
        pids.append(start("job-server", [java(), "-Xmx1g", *SPARK_OPENS, f"-Dspark.executor.extraClassPath={classpath}",
                                         "-cp", classpath,
                                         "org.apache.beam.runners.spark.SparkJobServerDriver",
                                         f"--spark-master-url={master}", f"--job-port={SPARK_JOB_PORT}",
                                         f"--artifact-port={SPARK_JOB_PORT - 1}",
                                         f"--expansion-port={SPARK_JOB_PORT - 2}",
                                         f"--artifacts-dir={SPARK / 'artifacts'}"], SPARK, env))
        wait_for(f"Beam's Spark job server (port {SPARK_JOB_PORT})", lambda: port_open(SPARK_JOB_PORT), 90, pids,
                 [SPARK / "job-server.log"])
    except (Stop, OSError):
        spark_down(quiet=True)
        raise
    say(f"spark: Spark {SPARK_VERSION} up in {time.monotonic() - started:.0f} s: master {master} (UI "
        f"http://127.0.0.1:{SPARK_UI_PORT}), one worker of 2 cores, Beam {BEAM_VERSION} job server "
        f"localhost:{SPARK_JOB_PORT} (logs in {SPARK})")


def spark_down(quiet: bool = False) -> None:
    stopped = [f.stem for f in (SPARK / "job-server.pid", SPARK / "worker.pid", SPARK / "master.pid") if stop(f)]
    if not quiet:
        say(f"spark: stopped {', '.join(stopped)}" if stopped else "spark: not running")


def spark_status() -> int:
    workers = spark_workers()
    if workers is None:
        say("spark: down")
        return 1
    say(f"spark: up, master spark://127.0.0.1:{SPARK_MASTER_PORT}, {workers} worker(s); job server "
        f"{'up' if port_open(SPARK_JOB_PORT) else 'down'} on localhost:{SPARK_JOB_PORT}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/engines.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("fetch", "up", "down", "status", "taskmanager"))
    parser.add_argument("engine", choices=("flink", "prism", "spark"))
    parser.add_argument("--taskmanagers", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        if args.engine == "flink":
            actions = {"fetch": fetch_flink, "up": lambda: flink_up(args.taskmanagers), "down": flink_down,
                       "status": flink_status, "taskmanager": start_taskmanager}
        elif args.engine == "spark":
            actions = {"fetch": fetch_spark, "up": spark_up, "down": spark_down, "status": spark_status}
        else:
            actions = {"fetch": fetch_prism, "up": prism_up, "down": prism_down, "status": prism_status}
        if args.action not in actions:
            raise Stop(f"{args.engine} has no {args.action}")
        result = actions[args.action]()
        return result if isinstance(result, int) and args.action == "status" else 0
    except Stop as error:
        print(f"engines: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
