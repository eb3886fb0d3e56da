"""What every command shares without Beam: its flags turned into settings, exit
codes, configuration of both sides, write settings, dead-letter and temporary paths, and each
command's scratch folder. Imported by commands that run no pipeline (status, reverse sync), so
nothing here imports Beam: options objects are read through their `get_all_options()`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
from typing import TYPE_CHECKING

from connectors.dynamodb.batch_writer import MAX_BATCH_ITEMS, WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError, RunStopped
from connectors.files.local import remove_empty_beam_temp_dirs
from connectors.mysql.config import MySQLConfig
from connectors.retry import RetryPolicy
from schema.entities import sources_for
from schema.state_items import utc_stamp
from state.cutover import CutoverStore
from state.lease import LeaseKeeper

if TYPE_CHECKING:  # annotations only: this module never imports Beam
    from apache_beam.options.pipeline_options import PipelineOptions


EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_CANNOT_RUN = 2
EXIT_LEASE_HELD = 3  # another run holds the lease: this one did nothing


def mysql_config(args: argparse.Namespace) -> MySQLConfig:
    return MySQLConfig.resolve(getattr(args, "mysql_url", None),
                               password_secret=getattr(args, "mysql_password_secret", None))


def dynamodb_config(args: argparse.Namespace) -> DynamoDBConfig:
    return DynamoDBConfig.resolve(args.endpoint_url, args.table, args.aws_region)


def tables_for(args: argparse.Namespace) -> tuple[str, ...]:
    """The source tables of --entity."""
    try:
        return sources_for(args.entity or "all")
    except ValueError as error:
        raise ConfigError(str(error)) from None


class NoBeamFlags:
    """The options of a run given no Beam flags, read without importing Beam: Beam's defaults (no
    --temp_location, one worker). A command that may have nothing to do (sync) decides that first
    and imports Beam only to run a pipeline, where these become PipelineOptions([])."""

    def get_all_options(self) -> dict:
        return {}


NO_BEAM_FLAGS = NoBeamFlags()


def worker_count(options: PipelineOptions) -> int:
    """Workers the runner will run (the DirectRunner's worker count, else Dataflow's), at least 1."""
    values = options.get_all_options()
    return max(1, int(values.get("direct_num_workers") or values.get("max_num_workers")
                      or values.get("num_workers") or 1))


def temp_path(options: PipelineOptions, name: str) -> str:
    """A per-run path under --temp_location (a shared filesystem on distributed runners)."""
    base = options.get_all_options().get("temp_location") or tempfile.gettempdir()
    return f"{base.rstrip('/')}/algoitny-etl-{uuid.uuid4().hex[:12]}/{name}"


def capped_batch_size(requested: int) -> int:
    """More than BatchWriteItem's 25 is capped (the original guide's own example passes 50)."""
    if requested > MAX_BATCH_ITEMS:
        print(f"warning: --batch-size {requested} is more than BatchWriteItem takes; using {MAX_BATCH_ITEMS}",
              file=sys.stderr)
        return MAX_BATCH_ITEMS
    return requested


def writer_settings(args: argparse.Namespace, pipeline_options: PipelineOptions,
                    dynamo: DynamoDBConfig) -> WriterSettings:
    """The WriteOptions flags as one worker's writer settings (the write rate split across workers)."""
    if args.max_write_rate is not None and args.max_write_rate <= 0:
        raise ConfigError("--max-write-rate must be positive")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be between 1 and {MAX_BATCH_ITEMS} (BatchWriteItem's limit)")
    if args.write_concurrency < 1:
        raise ConfigError("--write-concurrency must be at least 1")
    return WriterSettings(
        batch_size=capped_batch_size(args.batch_size),
        concurrency=args.write_concurrency,
        write_units_per_second=args.max_write_rate / worker_count(pipeline_options) if args.max_write_rate else None,
        policy=RetryPolicy(max_attempts=args.write_max_attempts, max_elapsed_seconds=args.write_max_seconds),
        consumed_capacity={"total": True, "none": False}.get(args.consumed_capacity, not dynamo.is_local),
    )


DEAD_LETTER_DIR = "dead-letters"


def dead_letter_path(given: str | None, now: int, command: str) -> str:
    """--dead-letter, or dead-letters/<command>-<time>-<pid>.jsonl; a local path made absolute,
    since workers elsewhere (a Flink TaskManager's) write it from another working directory."""
    if not given:
        given = os.path.join(DEAD_LETTER_DIR, f"{command}-{utc_stamp(now)}-{os.getpid()}.jsonl")
    return given if "://" in given else os.path.abspath(given)


@contextlib.contextmanager
def scratch_space():
    """A temporary folder of this command's own, for Beam's and the tool's temporary files
    (staging, the results a pipeline hands the driver), removed when the command ends, whatever
    the outcome; and no empty `beam-temp-*` folder left among the dead letters."""
    scratch = tempfile.mkdtemp(prefix="algoitny-etl-")
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = scratch  # TMPDIR: for the DirectRunner's worker processes too
    try:
        yield scratch
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        shutil.rmtree(scratch, ignore_errors=True)
        remove_empty_beam_temp_dirs(DEAD_LETTER_DIR)


def ensure_parent(path: str) -> None:
    """Local dead-letter paths get their directory; Beam filesystems (s3://, gs://) need none."""
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def owner(run_id: str) -> str:
    """Who holds a lease: the run, on which machine, in which process."""
    return f"{run_id}@{socket.gethostname()}:{os.getpid()}"


def held_by(lease_item: dict) -> str:
    until = _dt.datetime.fromtimestamp(int(lease_item.get("exp", 0)), _dt.timezone.utc).isoformat()
    return f"another run holds the lease ({lease_item.get('own')}, until {until})"


def scheduled_run(command: str, store, owner: str, lease_seconds: int, work, record, not_advanced: str) -> int:
    """The frame of a run on a schedule (sync, reverse-sync): take `store.lease` (held by another
    run: exit 3 at once, nothing done); `work(lease)` -> (exit code, report) while a LeaseKeeper
    renews it; a RunStopped is exit 2 with its message and `not_advanced` (unless the table was cut
    over, which advances nothing by design); `record(started, code, report)` the run's outcome in
    the table; the lease released. Returns the exit code."""
    held = store.lease.take(owner, lease_seconds)
    if held is not None:
        print(f"{command}: {held_by(held)}; this run did nothing (exit {EXIT_LEASE_HELD}: skipped)", file=sys.stderr)
        return EXIT_LEASE_HELD
    started = int(time.time())
    with LeaseKeeper(store.lease, owner, lease_seconds) as lease:
        try:
            code, report = work(lease)
        except RunStopped as error:
            print(f"{command}: {error}", file=sys.stderr)
            if not isinstance(error, CutOver):
                print(f"{command}: {not_advanced}", file=sys.stderr)
            code, report = EXIT_CANNOT_RUN, {"error": str(error)}
        record(started, code, report)
    return code


def refuse_if_cut_over(dynamo: DynamoDBConfig, command: str) -> None:
    """After a cut-over the application writes to the table: MySQL must not be carried over it."""
    cutover = CutoverStore(dynamo).current()
    if cutover is not None and cutover.in_force:
        at = _dt.datetime.fromtimestamp(cutover.at, _dt.timezone.utc).isoformat()
        raise CutOver(f"the table was cut over at {at}: the application writes to it now, so {command} would "
                      "carry a stale MySQL over its writes. Run `algoitny-etl reverse-sync` to keep MySQL in step, "
                      "or `algoitny-etl rollback` to go back to MySQL (then sync runs again)")


class CutOver(RunStopped):
    """The command would write MySQL's data over the application's writes to the table."""
