"""Running a command's pipeline: Beam's options on a runner the tool runs on, the run itself with
the worker's own message when it fails (on any runner), and the counters it leaves."""

from __future__ import annotations

import argparse
import logging
import re
import sys

from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from connectors import metrics
from connectors.errors import ConfigError, RunStopped
from connectors.mysql.config import MySQLConfig
from pipelines.runners import RunnerRefused, check_runner, is_distributed
from pipelines.basics import mysql_config


def warn_if_password_travels(config: MySQLConfig, pipeline_options: PipelineOptions) -> None:
    if config.has_password and is_distributed(pipeline_options):
        print("warning: the password in the MySQL URL travels inside the pipeline to the workers; give them "
              "MYSQL_PASSWORD (or --mysql-password-secret) in their own environment instead", file=sys.stderr)


def beam_options(args: argparse.Namespace, beam_args: list[str]) -> PipelineOptions:
    """Beam's options from the Beam flags, on a runner the tool runs on (runners.check_runner)."""
    pipeline_options = PipelineOptions(beam_args)
    try:
        check_runner(pipeline_options, args.allow_untested_runner)
    except RunnerRefused as error:
        raise ConfigError(str(error)) from None
    warn_if_password_travels(mysql_config(args), pipeline_options)
    return pipeline_options


def counters(result) -> dict[str, int]:
    """Our Beam counters by name, summed over steps (committed where the runner has it)."""
    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(metrics.NAMESPACE))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        name = counter.key.metric.name
        totals[name] = totals.get(name, 0) + int(value or 0)
    return totals


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
