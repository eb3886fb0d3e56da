"""What every driver shares: exit codes, configuration from flags, Beam runtime facts."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
import uuid

from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from connectors import metrics
from connectors.dynamodb.batch_writer import MAX_BATCH_ITEMS
from connectors.dynamodb.beam_io import WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.retry import RetryPolicy
from connectors.errors import ConfigError, RunStopped
from connectors.files.json_lines import remove_empty_beam_temp_dirs
from connectors.mysql.config import MySQLConfig
from pipelines.runners import RunnerRefused, check_runner, is_distributed
from schema.entities import sources_for
from schema.state_items import utc_stamp

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_CANNOT_RUN = 2


def mysql_config(args: argparse.Namespace) -> MySQLConfig:
    return MySQLConfig.resolve(getattr(args, "mysql_url", None),
                               password_secret=getattr(args, "mysql_password_secret", None))


def warn_if_password_travels(config: MySQLConfig, pipeline_options: PipelineOptions) -> None:
    if config.has_password and is_distributed(pipeline_options):
        print("warning: the password in the MySQL URL travels inside the pipeline to the workers; give them "
              "MYSQL_PASSWORD (or --mysql-password-secret) in their own environment instead", file=sys.stderr)


def dynamodb_config(args: argparse.Namespace) -> DynamoDBConfig:
    return DynamoDBConfig.resolve(args.endpoint_url, args.table, args.aws_region)


def tables_for(args: argparse.Namespace) -> tuple[str, ...]:
    """The source tables of --entity."""
    try:
        return sources_for(args.entity or "all")
    except ValueError as error:
        raise ConfigError(str(error)) from None


def beam_options(args: argparse.Namespace, beam_args: list[str]) -> PipelineOptions:
    """Beam's options from the Beam flags, on a runner the tool runs on (runners.check_runner)."""
    pipeline_options = PipelineOptions(beam_args)
    try:
        check_runner(pipeline_options, args.allow_untested_runner)
    except RunnerRefused as error:
        raise ConfigError(str(error)) from None
    warn_if_password_travels(mysql_config(args), pipeline_options)
    return pipeline_options


def worker_count(options: PipelineOptions) -> int:
    """Workers the runner will run (the DirectRunner's worker count, else Dataflow's), at least 1."""
    values = options.get_all_options()
    return max(1, int(values.get("direct_num_workers") or values.get("max_num_workers")
                      or values.get("num_workers") or 1))


def temp_path(options: PipelineOptions, name: str) -> str:
    """A per-run path under --temp_location (a shared filesystem on distributed runners)."""
    base = options.get_all_options().get("temp_location") or tempfile.gettempdir()
    return f"{base.rstrip('/')}/algoitny-etl-{uuid.uuid4().hex[:12]}/{name}"


def counters(result) -> dict[str, int]:
    """Our Beam counters by name, summed over steps (committed where the runner has it)."""
    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(metrics.NAMESPACE))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        name = counter.key.metric.name
        totals[name] = totals.get(name, 0) + int(value or 0)
    return totals


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


_LOG = logging.getLogger(__name__)
_WHILE_RUNNING = re.compile(r"\s*\[while running '[^']*'\]")


def _stop_classes() -> set[str]:
    found, pending = set(), [RunStopped]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def stop_message(error: BaseException) -> str:
    """Why a pipeline failed, in the words of the error raised in the worker, whatever the runner.

    The DirectRunner re-raises the worker's exception (its message suffixed with the step); the
    portable runners report it as text inside their own error. A RunStopped is found by class
    name in that text; any other failure is summed up by its last line."""
    text = str(error)
    names = "|".join(sorted(_stop_classes()))
    found = re.findall(rf"(?:^|[\s.])(?:{names}): (.+)", text)
    if isinstance(error, RunStopped) or not found:
        message = text if isinstance(error, RunStopped) else \
            f"the pipeline failed: {next((l for l in reversed(text.splitlines()) if l.strip()), type(error).__name__)}"
    else:
        message = found[-1]
    return _WHILE_RUNNING.sub("", message).strip()


def run_pipeline(pipeline):
    """Run a pipeline to its end; RunStopped with the worker's own message if it fails, on any runner."""
    try:
        result = pipeline.run()
        state = result.wait_until_finish()
    except Exception as error:  # noqa: BLE001 - every failure of a pipeline stops the run with its reason
        if not isinstance(error, RunStopped):
            _LOG.info("the pipeline failed", exc_info=True)
        raise RunStopped(stop_message(error)) from error
    if state is not None and str(state).rsplit(".", 1)[-1] not in ("DONE", "UNKNOWN"):
        raise RunStopped(f"the pipeline ended in state {state}")
    return result
