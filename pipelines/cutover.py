"""`algoitny-etl cutover`: the moment the application moves to the table, run once it has stopped
writing to MySQL. Every check that can refuse comes before anything is recorded:

1. it takes sync's lease (a scheduled sync is then skipped, exit 3; pause the schedule first);
2. MySQL is quiet: no row event on a mapped table for --quiet-seconds (else exit 2, naming them);
3. the last sync window, up to MySQL's position now (dead letters: exit 1);
4. verify, item by item, only what the freeze must: the rows changed since the last clean full
   `verify --deep` of every table (read from the binary log between its position and now) and a
   fixed random sample (transforms/row_verify.py), so the freeze follows the changes, not the
   table; no clean full verify younger than --max-verify-age: exit 2. --full-verify runs the
   whole deep verify inside the freeze instead. Any difference: exit 1;
5. check-reads on a sample of the patterns answered from keys: the repositories answer as MySQL
   does (a difference: exit 1); the admin listings Scan the whole table, so they are left to the
   check-reads run before the freeze;
6. the table's stream on (NEW_AND_OLD_IMAGES, enabled if it is not; if it was on already, what it
   holds is from before the cut-over and reverse sync starts after it);
7. the cut-over recorded, with one conditional write in one transaction with the lease: time,
   MySQL's binlog position, the stream. Then sync and migrate refuse to write.

It prints the time the freeze took inside the command and "switch the application now".
--dry-run makes every check (the last window is read, not written) and records nothing.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from botocore.exceptions import BotoCoreError, ClientError

from connectors.dynamodb.admin import TableCheckError, check_table_ready, enable_stream, stream_of
from connectors.dynamodb.streams import StreamReader
from connectors.errors import ConfigError, RunStopped
from connectors.mysql import binlog, binlog_positions
from connectors.mysql.binlog import BinlogPosition, BinlogUnavailable
from connectors.mysql.key_ranges import DEFAULT_ROWS_PER_RANGE
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, execution, options, sync
from pipelines.read_parity import check_reads
from pipelines.verify import VerifySettings, default_segments
from reports import cutover_report
from schema.access_patterns import ACCESS_PATTERNS
from schema.entities import SOURCE_SPECS, item_types_for, tables_read_with
from schema.state_items import new_run_id
from state.cutover import CUT_OVER, Cutover, CutoverStore
from state.lease import LeaseKeeper
from state.reverse_checkpoints import ReverseState
from state.sync_checkpoints import SyncState
from transforms.row_verify import check_changed_rows

# check-reads inside the freeze asks only the patterns answered from keys: the admin listings
# Scan the whole table, and would make the freeze grow with it (check-reads runs them before).
FREEZE_PATTERNS = tuple(p.key for p in ACCESS_PATTERNS if not p.reads_whole_table)
DESCRIPTION = "record the cut-over, once the application has stopped writing to MySQL: checks, last sync, verify"
DAY = 86_400


def _duration(text: str) -> int:
    """Seconds from `600`, `10m`, `12h` or `7d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": DAY}
    try:
        return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)
    except (ValueError, IndexError):
        raise options.UsageError(f"{text!r} is not a duration: give seconds, or a number with s, m, h or d") \
            from None


def _cutover_flags(group):
    group.add_argument("--quiet-seconds", type=int, default=10,
                       help="MySQL must have no row event on a mapped table for this long")
    group.add_argument("--max-verify-age", type=_duration, default=7 * DAY, metavar="DURATION",
                       help="the last clean full verify --deep of every table may be this old (7d, 12h, 3600)")
    group.add_argument("--full-verify", action="store_true",
                       help="verify every item inside the freeze instead of what changed since the last full verify")
    group.add_argument("--sample", type=int, default=100,
                       help="random rows per table verified besides the changed ones")
    group.add_argument("--check-reads-sample", type=int, default=20,
                       help="keys per access pattern check-reads asks both sides about (0: skip)")
    group.add_argument("--lease-seconds", type=int, default=600, help="how long the lease lasts unless renewed")


CUTOVER = options.Flags("cutover", _cutover_flags)
FLAGS = (options.SOURCE, options.TARGET, options.DRY_RUN, options.DEAD_LETTER, options.REPORT, options.WRITE, CUTOVER,
         options.RUNNER)


@dataclass
class Phases:
    """Seconds each step of the freeze took, in order."""
    seconds: dict = field(default_factory=dict)
    _at: float = field(default_factory=time.monotonic)

    def done(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._at, 2)
        self._at = now

    @property
    def total(self) -> float:
        return round(sum(self.seconds.values()), 2)


class NotQuiet(RunStopped):
    """MySQL is still written; the message names the tables."""


def wait_for_quiet(mysql, seconds: int) -> BinlogPosition:
    """MySQL's position after `seconds` in which no mapped table saw a row event (polled each second)."""
    watched = tables_read_with(tuple(SOURCE_SPECS))
    start = binlog_positions.position_now(mysql)
    deadline = time.monotonic() + seconds
    while True:
        end = binlog_positions.position_now(mysql)
        if end.order() > start.order():
            written = sorted({c.table for c in binlog.read_window(mysql, start, end, watched)
                              if isinstance(c, binlog.RowChange)})
            if written:
                raise NotQuiet(f"MySQL is still written: {', '.join(written)} changed within the last {seconds} s. "
                               "Stop the application's writes (and anything else writing these tables), then run "
                               "cutover again")
        if time.monotonic() >= deadline:
            return end
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))  # pacing: look once a second


def changed_rows_check(args, mysql, dynamo, end: BinlogPosition, now: int, proofs: dict) -> dict:
    """Step 4 without --full-verify: the rows changed since the last clean full verify, and a sample."""
    stale = [t for t in SOURCE_SPECS if t not in proofs or not proofs[t].full or not proofs[t].binlog
             or now - proofs[t].at > args.max_verify_age]
    if stale:
        raise ConfigError(
            f"no clean full `verify --deep` younger than {args.max_verify_age // 3600} h of {', '.join(stale)}: run "
            "`algoitny-etl verify --deep` before the freeze (it records what it proves; the freeze then verifies only "
            "what changed since), or cutover --full-verify")
    start = min((BinlogPosition.from_record(p.binlog) for p in proofs.values()), key=BinlogPosition.order)
    return check_changed_rows(mysql, dynamo, start, end, args.sample, now)


def full_check(mysql, dynamo, now: int, pipeline_options) -> dict:
    """Step 4 with --full-verify: the whole deep verify (a pipeline) inside the freeze."""
    from pipelines.deep_verify import find

    verify_settings = VerifySettings(
        mysql=mysql, dynamo=dynamo, tables=tuple(SOURCE_SPECS), segments=default_segments(pipeline_options),
        rows_per_range=DEFAULT_ROWS_PER_RANGE, results_path=basics.temp_path(pipeline_options, "verify.jsonl"),
        now=now, deep=True)
    findings = find(verify_settings, pipeline_options)
    types = item_types_for(tuple(SOURCE_SPECS))
    return {"mode": "full", "counts": {tp: dict(findings.counts[tp]) for tp in types},
            "differing": findings.differing(types), "differences": []}


def last_window_settings(args, pipeline_options) -> sync.SyncSettings:
    """The last sync window: every table, from the binary log, nothing past a dead letter."""
    now = int(time.time())
    dynamo = basics.dynamodb_config(args)
    return sync.SyncSettings(
        mysql=basics.mysql_config(args), dynamo=dynamo, tables=tuple(SOURCE_SPECS), mode="binlog",
        dry_run=args.dry_run, dead_letter_path=basics.dead_letter_path(args.dead_letter, now, "cutover"),
        summary_path=basics.temp_path(pipeline_options, "cutover-sync-summary.jsonl"), now=now,
        writer=basics.writer_settings(args, pipeline_options, dynamo), lease_seconds=args.lease_seconds,
        run_id=new_run_id(now, "cutover-"))


def run(argv: list[str] | None = None) -> int:
    try:
        args, beam_args = options.parse("algoitny-etl cutover", DESCRIPTION, argv, FLAGS,
                                        epilog=sync.EXIT_CODES)
        pipeline_options = execution.beam_options(args, beam_args)
        settings = last_window_settings(args, pipeline_options)
        check_table_ready(settings.dynamo)
        check_source_tables(settings.mysql, settings.tables)
        cutover = CutoverStore(settings.dynamo)
        previous = cutover.current()
        if previous is not None and previous.in_force:
            raise ConfigError(f"the table was cut over already (run {previous.by}); `algoitny-etl status` shows it")
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"cutover: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    state = SyncState(settings.dynamo)
    owner = basics.owner(settings.run_id)
    held = state.lease.take(owner, args.lease_seconds)
    if held is not None:
        print(f"cutover: {basics.held_by(held)}: pause the scheduled sync and run cutover again "
              f"(exit {basics.EXIT_LEASE_HELD})", file=sys.stderr)
        return basics.EXIT_LEASE_HELD
    report = {"dry_run": settings.dry_run}
    with LeaseKeeper(state.lease, owner, args.lease_seconds) as lease:
        try:
            code = cut_over(args, settings, pipeline_options, state, cutover, previous, owner, lease, report)
        except (RunStopped, ConfigError, BinlogUnavailable, TableCheckError) as error:
            print(f"cutover: {error}", file=sys.stderr)
            print("cutover: nothing was recorded; the application may write to MySQL again", file=sys.stderr)
            report["error"] = str(error)
            code = basics.EXIT_CANNOT_RUN
    if args.report_path:
        with open(args.report_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, sort_keys=True, default=str)
        print(f"report: {args.report_path}")
    return code


def cut_over(args, settings, pipeline_options, state, cutover, previous, owner, lease, report) -> int:
    phases = Phases()
    report["phases"] = phases.seconds
    print(f"cutover: waiting {args.quiet_seconds} s for MySQL to be quiet ...")
    wait_for_quiet(settings.mysql, args.quiet_seconds)
    phases.done("quiet")
    code, report["sync"] = sync.sync(settings, pipeline_options, state, owner, lease)
    phases.done("last_sync")
    if code != basics.EXIT_OK:
        print("cutover: the last sync window did not write everything; fix it (dead letters: replay) and run cutover "
              "again", file=sys.stderr)
        return code
    end = BinlogPosition.from_record(next(iter(state.checkpoints().values())).binlog) if not settings.dry_run \
        else binlog_positions.position_now(settings.mysql)
    if args.full_verify:
        report["verify"] = full_check(settings.mysql, settings.dynamo, settings.now, pipeline_options)
    else:
        report["verify"] = changed_rows_check(args, settings.mysql, settings.dynamo, end, settings.now,
                                              cutover.verified())
    phases.done("verify")
    cutover_report.print_verify(report["verify"])
    if report["verify"]["differing"]:
        print(f"cutover: {report['verify']['differing']} item(s) differ from MySQL; nothing was recorded. Mend them "
              "(`algoitny-etl verify --deep --repair`) and run cutover again", file=sys.stderr)
        return basics.EXIT_DIFFERENCES
    if args.check_reads_sample:
        try:
            reads = check_reads(settings.mysql, settings.dynamo, sample=args.check_reads_sample,
                                patterns=FREEZE_PATTERNS)
        except (ValueError, sa.exc.DBAPIError, BotoCoreError, ClientError) as error:
            raise RunStopped(f"check-reads could not run: {error}") from None
        report["check_reads"] = {k: reads[k] for k in ("calls", "equal", "deliberate", "different")}
        phases.done("check_reads")
        if reads["different"]:
            names = [p["pattern"] for p in reads["patterns"] if p["different"]]
            print(f"cutover: the repositories answer {reads['different']} read(s) differently from MySQL "
                  f"({', '.join(names)}); nothing was recorded. `algoitny-etl check-reads` shows them", file=sys.stderr)
            return basics.EXIT_DIFFERENCES
    if settings.dry_run:
        report["stream"] = stream_of(settings.dynamo)
        print(f"cutover (DRY RUN): every check passed in {phases.total:.1f} s; nothing was recorded, the stream is "
              f"{'on' if report['stream'] else 'off (cutover turns it on)'}")
        return basics.EXIT_OK
    arn = start_stream(settings.dynamo, owner, args.lease_seconds)
    phases.done("stream")
    lease.check()
    record = Cutover(CUT_OVER, int(time.time()), end.as_record(), arn, phases.total,
                     (previous.version + 1) if previous else 1, by=owner)
    cutover.record(state.lease, owner, record, previous)
    phases.done("record")
    report.update({"cut_over_at": record.at, "binlog": str(end), "stream_arn": arn, "freeze_seconds": phases.total})
    cutover_report.print_cut_over(record, phases)
    return basics.EXIT_OK


def start_stream(dynamo, owner: str, lease_seconds: int) -> str:
    """The stream on; if it was on already, reverse sync's checkpoints at its end now, so that
    reverse sync carries only what the application writes from the cut-over on."""
    was_on = stream_of(dynamo)
    arn = enable_stream(dynamo)
    if not was_on:
        return arn
    reverse = ReverseState(dynamo)
    held = reverse.lease.take(owner, lease_seconds)
    if held is not None:
        raise RunStopped(f"reverse sync's lease is held ({held.get('own')}): stop reverse-sync and run cutover again")
    try:
        reader = StreamReader(dynamo)
        checkpoints = reverse.checkpoints(arn)
        for shard in reader.shards(arn):
            current = checkpoints.get(shard.shard_id)
            last, closed = (current.sequence if current else None), False
            for batch in reader.read_shard(arn, shard, last):
                if batch.records:
                    last = batch.records[-1]["dynamodb"]["SequenceNumber"]
                closed = batch.closed
            if last is not None or closed:
                reverse.advance(owner, current, last, closed, arn, shard.shard_id)
    finally:
        reverse.lease.release(owner)
    return arn
