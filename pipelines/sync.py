"""`algoitny-etl sync`: carry MySQL's inserts, updates and deletes to the table, one bounded
window per run, until cut-over. Run it on a schedule (deploy/).

Each run takes the lease (another run holds it: exit 3 at once, nothing done), reads each
table's checkpoint and the source's current binlog position (the window's end: what commits
later is the next run's), reads the binary log once from the oldest checkpoint it needs and
applies each table's changes past that table's own checkpoint (transforms/sync_changes.py).
Only when every change of the window is written are the checkpoints advanced to the end, in
one transaction with the lease. A change that cannot be written goes to the dead-letter file;
the checkpoint then stays and the run exits 1, unless --advance-past-dead-letters.

`--changes watermark`: for servers whose binlog cannot be read, rows updated since the last
run (updated_at, with a look-back for late commits) or added since (by id). The report says
what this mode cannot see.
"""

from __future__ import annotations

import datetime as _dt
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.batch_writer import WriterSettings
from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError, RunStopped
from connectors.mysql import binlog, engines
from connectors.mysql.binlog import BinlogPosition
from connectors.mysql.binlog_positions import BinlogWindow
from connectors.mysql.config import MySQLConfig
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, options
from reports import sync_report, writes
from schema.entities import SOURCE_SPECS, item_types_for, tables_read_with
from schema.state_items import new_run_id
from state.lease import LeaseKeeper
from state.sync_checkpoints import Checkpoint, SyncState

if TYPE_CHECKING:  # annotations only: Beam is imported when a window holds something to carry
    from apache_beam.options.pipeline_options import PipelineOptions

DESCRIPTION = "carry MySQL's changes since the last run (binary log) to the table; run it on a schedule"
FLAGS = (options.SOURCE, options.TARGET, options.ENTITY, options.DRY_RUN,
                  options.DEAD_LETTER, options.REPORT, options.WRITE, options.SYNC,
                  options.RUNNER)
EXIT_CODES = (f"{options.EXIT_CODES}; {basics.EXIT_LEASE_HELD} another run holds the lease: this one did nothing "
              "(a skipped overlap on a schedule, not a failure)")


class SyncCannotRun(RunStopped):
    """The run cannot start; the message says what to do."""


@dataclass(frozen=True)
class SyncSettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    tables: tuple[str, ...]
    mode: str
    dry_run: bool
    dead_letter_path: str
    summary_path: str
    now: int
    writer: WriterSettings
    advance_past_dead_letters: bool = False
    lease_seconds: int = 600
    lookback_seconds: int = 300
    report_path: str | None = None
    run_id: str = ""

    def __post_init__(self):
        if self.lease_seconds < 30:
            raise ConfigError("--lease-seconds must be at least 30")
        if self.lookback_seconds < 0:
            raise ConfigError("--lookback-seconds cannot be negative")


def settings_from(args, pipeline_options: PipelineOptions) -> SyncSettings:
    now = int(time.time())
    dynamo = basics.dynamodb_config(args)
    return SyncSettings(
        mysql=basics.mysql_config(args), dynamo=dynamo, tables=basics.tables_for(args), mode=args.changes,
        dry_run=args.dry_run, dead_letter_path=basics.dead_letter_path(args.dead_letter, now, "sync"),
        summary_path=basics.temp_path(pipeline_options, "sync-summary.jsonl"), now=now,
        writer=basics.writer_settings(args, pipeline_options, dynamo),
        advance_past_dead_letters=args.advance_past_dead_letters, lease_seconds=args.lease_seconds,
        lookback_seconds=args.lookback_seconds, report_path=args.report_path,
        run_id=new_run_id(now, "sync-"))


def checkpoints_for(state: SyncState, tables: tuple[str, ...], mode: str) -> dict[str, Checkpoint]:
    found = state.checkpoints()
    field = "binlog" if mode == "binlog" else "watermark"
    missing = [t for t in tables if t not in found or not getattr(found[t], field)]
    if missing:
        how = "against a server with the binlog on" if mode == "binlog" else ""
        raise SyncCannotRun(f"no sync checkpoint for {', '.join(missing)}: run `algoitny-etl migrate` for "
                            f"{'it' if len(missing) == 1 else 'them'} first {how}(it records where the source "
                            "stood when it started)".replace("  ", " "))
    return {t: found[t] for t in tables}


def binlog_window(settings: SyncSettings, checkpoints: dict[str, Checkpoint]) -> BinlogWindow:
    starts = {t: BinlogPosition.from_record(c.binlog) for t, c in checkpoints.items()}
    start = min(starts.values(), key=BinlogPosition.order)
    engine = engines.engine(settings.mysql)
    try:
        with engine.connect() as conn:
            binlog.check_server(conn)
            end = binlog.current_position(conn)
            binlog.check_not_purged(conn, start)
    finally:
        engine.dispose()
    return BinlogWindow(start, end, tables_read_with(settings.tables))


def run(argv: list[str] | None = None) -> int:
    try:
        args, beam_args = options.parse("algoitny-etl sync", DESCRIPTION, argv, FLAGS, epilog=EXIT_CODES)
        pipeline_options = _beam_options(args, beam_args) if beam_args else basics.NO_BEAM_FLAGS
        settings = settings_from(args, pipeline_options)
        check_table_ready(settings.dynamo)
        check_source_tables(settings.mysql, settings.tables)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"sync: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    state = SyncState(settings.dynamo)
    owner = basics.owner(settings.run_id)

    def work(lease):
        basics.refuse_if_cut_over(settings.dynamo, "sync")
        return sync(settings, pipeline_options, state, owner, lease)

    return basics.scheduled_run(
        "sync", state, owner, settings.lease_seconds, work,
        lambda started, code, report: state.record_run(sync_report.outcome(settings.run_id, started, code, report)),
        "the checkpoint was not advanced; the next run reads this window again")


def _beam_options(args, beam_args: list[str]) -> PipelineOptions:
    from pipelines import execution  # Beam: only when Beam flags are given

    return execution.beam_options(args, beam_args)


def _pipelines():
    """sync's Beam half, imported only when a window holds something to carry."""
    from pipelines import sync_pipelines

    return sync_pipelines


def sync(settings: SyncSettings, pipeline_options: PipelineOptions, state: SyncState, owner: str,
         lease: LeaseKeeper) -> tuple[int, dict]:
    """One window: (exit code, report)."""
    started = time.monotonic()
    checkpoints = checkpoints_for(state, settings.tables, settings.mode)
    basics.ensure_parent(settings.dead_letter_path)
    if settings.mode == "binlog":
        window = binlog_window(settings, checkpoints)
        span = {"from": str(window.start), "to": str(window.end)}
        print(f"sync {', '.join(settings.tables)}: binlog {window.start} -> {window.end}"
              + (" (DRY RUN: nothing is written)" if settings.dry_run else ""))
        build = (lambda p: _pipelines().build_binlog_pipeline(p, settings, window, checkpoints)) \
            if window.start.order() < window.end.order() else None
        new_marks = {t: Checkpoint(t, window.end.as_record(), c.watermark, c.version + 1, settings.now,
                                   settings.run_id) for t, c in checkpoints.items()}
    else:
        marks = binlog.start_marks(settings.mysql, [(t, SOURCE_SPECS[t].key, SOURCE_SPECS[t].key_is_integer)
                                                     for t in settings.tables])[1]
        oldest = min(c.watermark["since"] for c in checkpoints.values())
        span = {"from": _dt.datetime.fromtimestamp(oldest, _dt.timezone.utc).isoformat(),
                "to": _dt.datetime.fromtimestamp(settings.now, _dt.timezone.utc).isoformat()}
        print(f"sync {', '.join(settings.tables)}: watermark mode, rows changed since {span['from']} "
              f"(less {settings.lookback_seconds} s of look-back)")
        build = lambda p: _pipelines().build_watermark_pipeline(p, settings, checkpoints)  # noqa: E731
        new_marks = {t: Checkpoint(t, c.binlog, marks[t], c.version + 1, settings.now, settings.run_id)
                     for t, c in checkpoints.items()}
    records, dead, write_figures = [], 0, None
    if build is not None:
        records, dead, write_figures = _pipelines().run_window(settings, pipeline_options, build)
    by_type, overall, last_commit = sync_report.summarize(records)
    advance = not settings.dry_run and (not dead or settings.advance_past_dead_letters)
    if advance:
        lease.check()
        state.advance(owner, [(checkpoints[t], new_marks[t]) for t in settings.tables])
    lag = max(0.0, time.time() - last_commit) if last_commit else None
    report = sync_report.build(settings.mode, item_types_for(settings.tables), by_type, overall, span, lag,
                               time.monotonic() - started, settings.dry_run, advance,
                               settings.dead_letter_path if dead else None, write_figures)
    sync_report.print_report(report)
    if settings.report_path:
        writes.write_json(report, settings.report_path)
        print(f"report: {settings.report_path}")
    if dead:
        print(f"sync: {dead} change(s) could not be written; each is in {settings.dead_letter_path} with its reason"
              + ("; the checkpoint advanced past them (--advance-past-dead-letters)" if advance else
                 "; the checkpoint stays, so the next run tries this window again"), file=sys.stderr)
        return basics.EXIT_DIFFERENCES, report
    if not settings.dry_run:
        print("sync: the table is in step with the source up to " + span["to"])
    return basics.EXIT_OK, report


if __name__ == "__main__":
    sys.exit(run())
