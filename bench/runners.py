"""Benchmark: migrate on the DirectRunner against the local Flink cluster, same data, same run.

    python -m bench.runners [--scale 20] [--rounds 3]

Each round, alternating the order: the sample database (scale 20, on the test suite's plain
MariaDB) migrated into a fresh table on each runner. Per run: wall time of the whole command,
items/s, the time from starting the command to the first item in the table (polled), and the
peak resident memory of each process: the launching command's process tree, and on Flink
each TaskManager with the SDK workers it started, the JobManager and Beam's job server. The
Flink cluster (scripts/engines.py up flink: two TaskManagers of two slots) is started first
if it is not running. No target: on 2 cores shared with DynamoDB Local, Flink cannot beat one
process; the figures say what its overhead is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import support
from connectors.dynamodb import clients
from sample_data.generate import SeedCounts
from schema.state_items import STATE_TYPES
from tests.support.engines import ENGINES, FLINK_DIR, FlinkCluster

DIRECT: list[str] = []


class FirstWrite(threading.Thread):
    """Polls the table until it holds a migrated item (not the tool's own state); when that was."""

    def __init__(self, config, started: float):
        super().__init__(daemon=True)
        self.client, self.table, self.started = clients.client(config), config.table, started
        self.seconds: float | None = None
        self.done = threading.Event()

    def run(self):
        names = {f":t{n}": {"S": tp} for n, tp in enumerate(sorted(STATE_TYPES))}
        while not self.done.is_set():
            page = self.client.scan(TableName=self.table, Limit=20, Select="COUNT",
                                    FilterExpression=f"NOT tp IN ({', '.join(names)})", ExpressionAttributeValues=names)
            if page["Count"]:
                self.seconds = time.monotonic() - self.started
                return
            self.done.wait(0.05)  # pacing: a poll every 50 ms


class FlinkMemory(threading.Thread):
    """Peak RSS (MB) of each Flink process tree while a run lasts, by pid file name."""

    def __init__(self):
        super().__init__(daemon=True)
        self.pids = {p.stem: int(p.read_text().strip()) for p in FLINK_DIR.glob("*.pid")}
        self.pids = {name: pid for name, pid in self.pids.items() if Path(f"/proc/{pid}").exists()}
        self.peak = {name: 0.0 for name in self.pids}
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], support._tree_rss_kb(pid) / 1024)
            self.done.wait(0.1)  # pacing: a sample every 100 ms


def migrate(source, table: str, runner_args: list[str], flink: bool) -> dict:
    config = support.fresh_table(table)
    path = tempfile.mktemp(suffix=".json")
    memory = FlinkMemory() if flink else None
    watcher = FirstWrite(config, time.monotonic())
    watcher.start()
    if memory:
        memory.start()
    launched = time.time()
    run = support.cli("migrate", "--report", path, *support.flags(source, table), *runner_args)
    watcher.done.set()
    if memory:
        memory.done.set()
        memory.join()
    assert run.returncode == 0, run.stdout[-3000:]
    with open(path) as handle:
        items = json.load(handle)["totals"]["items"]
    support.drop_table(config)
    taskmanagers = {k: v for k, v in (memory.peak if memory else {}).items() if k.startswith("taskmanager")}
    job = FlinkCluster.finished_jobs()[-1] if flink else None  # Flink's own account of the job
    return {"submitted_after": job["start-time"] / 1000 - launched if job else None,
            "job_seconds": job["duration"] / 1000 if job else None,
            "seconds": run.seconds, "items": items, "rate": items / run.seconds, "first_write": watcher.seconds,
            "launcher_mb": run.peak_rss_mb, "taskmanager_mb": max(taskmanagers.values(), default=0.0),
            "jobmanager_mb": memory.peak.get("jobmanager", 0.0) if memory else 0.0,
            "job_server_mb": memory.peak.get("job-server", 0.0) if memory else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    support.local_services_up()
    subprocess.run([sys.executable, str(ENGINES), "up", "flink"], check=True)
    source = support.seed_database(f"algoitny_bench_runners_{args.scale}", SeedCounts.for_scale(args.scale))
    runs: dict[str, list[dict]] = {"DirectRunner": [], "FlinkRunner": []}
    contenders = [("DirectRunner", DIRECT, False), ("FlinkRunner", FlinkCluster.beam_args, True)]
    for round_number in range(args.rounds):
        for name, runner_args, flink in (contenders if round_number % 2 == 0 else contenders[::-1]):
            result = migrate(source, "bench_runners", runner_args, flink)
            runs[name].append(result)
            print(f"  {name}: {result['items']:,} items in {result['seconds']:.1f} s ({result['rate']:,.0f}/s), "
                  f"first write at {result['first_write']:.1f} s, launcher {result['launcher_mb']:.0f} MB, "
                  f"TaskManager {result['taskmanager_mb']:.0f} MB")

    def med(name, key):
        values = [r[key] for r in runs[name] if r[key] is not None]
        return support.median(values) if values else float("nan")

    print(f"\n| runner (median of {args.rounds}) | wall (s) | items/s | first write (s) | launcher peak RSS (MB) | "
          "TaskManager + its SDK workers, peak (MB) | JobManager (MB) | job server (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in runs:
        print(f"| {name} | {med(name, 'seconds'):.1f} | {med(name, 'rate'):,.0f} | {med(name, 'first_write'):.1f} | "
              f"{med(name, 'launcher_mb'):.0f} | {med(name, 'taskmanager_mb'):.0f} | {med(name, 'jobmanager_mb'):.0f} "
              f"| {med(name, 'job_server_mb'):.0f} |")
    print(f"\nFlink: the job started {med('FlinkRunner', 'submitted_after'):.1f} s after the command (start-up, "
          f"staging, submission) and ran {med('FlinkRunner', 'job_seconds'):.1f} s on the cluster (SDK harness "
          "start-up included)")
    print(f"\nFlink / DirectRunner wall time: {med('FlinkRunner', 'seconds') / med('DirectRunner', 'seconds'):.2f}x")


if __name__ == "__main__":
    main()
