"""`algoitny-etl reverse-sync`: after cut-over, carry the application's writes to the table back
to MySQL from the table's stream, so that MySQL stays a complete way back through the
validation period. Run it on a schedule (deploy/), as sync was.

Each run takes reverse sync's lease (another run holds it: exit 3 at once, nothing done), reads
every shard of the stream the cut-over recorded, in lineage order, from its checkpoint up to
the stream's end as seen now (at most --max-records), applies the rows' last states to MySQL
(transforms/reverse_changes.py), sets each table's AUTO_INCREMENT above the largest id
written, then advances each shard's checkpoint in one transaction with the lease. Applying a
record twice changes nothing, so a run that dies before its checkpoints moved is simply done
again. A row MySQL refuses goes to the dead-letter file (exit 1; `replay` writes it once the
cause is fixed, from the item as it is then). No Beam here: see transforms/reverse_changes.py.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass

from connectors.dynamodb.admin import TableCheckError, check_table_ready, stream_of
from connectors.dynamodb import clients
from connectors.dynamodb.reads import items_now
from connectors.dynamodb.streams import StreamReader
from connectors.errors import ConfigError
from connectors.files.local import append_json_lines
from connectors.mysql import engines
from connectors.mysql.joins import JoinedValues
from connectors.mysql.preflight import PreflightError, check_source_tables
from connectors.mysql.row_writer import RowWriter
from pipelines import basics, options
from reports import reverse_report
from schema.entities import SOURCE_SPECS
from schema.state_items import new_run_id
from state.cutover import CutoverStore
from state.lease import LeaseKeeper
from state.reverse_checkpoints import ReverseState
from transforms.reverse_changes import ReverseChanges

DESCRIPTION = "after cutover: carry the application's writes to the table back to MySQL from the table's stream"
EXIT_CODES = (f"{options.EXIT_CODES}; {basics.EXIT_LEASE_HELD} another run holds the lease: this one did nothing "
              "(a skipped overlap on a schedule, not a failure)")
DEFAULT_MAX_RECORDS = 50_000


def _reverse_flags(group):
    group.add_argument("--mirror-ttl-deletes", action="store_true",
                       help="delete the MySQL row when DynamoDB's TTL deletes its item (by default the row is kept: "
                            "it only aged out of the table)")
    group.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS,
                       help="stream records one run reads at most (the next run goes on after them)")
    group.add_argument("--lease-seconds", type=int, default=600,
                       help="how long the run's lease lasts unless renewed (renewed every third of it)")


REVERSE = options.Flags("reverse sync", _reverse_flags)
FLAGS = (options.SOURCE, options.TARGET, options.DEAD_LETTER, options.REPORT, REVERSE)


@dataclass(frozen=True)
class ReverseSettings:
    mysql: object
    dynamo: object
    dead_letter_path: str
    report_path: str | None
    mirror_ttl_deletes: bool
    max_records: int
    lease_seconds: int
    run_id: str

    def __post_init__(self):
        if self.max_records < 1:
            raise ConfigError("--max-records must be at least 1")
        if self.lease_seconds < 30:
            raise ConfigError("--lease-seconds must be at least 30")


def settings_from(args) -> ReverseSettings:
    now = int(time.time())
    return ReverseSettings(basics.mysql_config(args), basics.dynamodb_config(args),
                           basics.dead_letter_path(args.dead_letter, now, "reverse-sync"), args.report_path,
                           args.mirror_ttl_deletes, args.max_records, args.lease_seconds, new_run_id(now, "reverse-"))


def stream_in_force(settings: ReverseSettings) -> str:
    """The stream the cut-over recorded, still the table's: else what was written since is not in it."""
    cutover = CutoverStore(settings.dynamo).current()
    if cutover is None or not cutover.in_force:
        raise ConfigError("no cut-over is in force: reverse sync follows the table only after `algoitny-etl cutover` "
                          "(and stops at `algoitny-etl rollback`)")
    arn = stream_of(settings.dynamo)
    if arn != cutover.stream_arn:
        raise ConfigError(f"the table's stream is {arn or 'off'}, not {cutover.stream_arn} which the cut-over "
                          "recorded: the changes in between are not in any stream. Mend MySQL with `algoitny-etl "
                          "verify --deep --repair --to mysql` (application frozen), then record the cut-over again")
    return arn


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl reverse-sync", DESCRIPTION, argv, FLAGS, beam=False, epilog=EXIT_CODES)
        settings = settings_from(args)
        check_table_ready(settings.dynamo)
        check_source_tables(settings.mysql, tuple(SOURCE_SPECS), allow_unmapped=True)
        arn = stream_in_force(settings)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"reverse-sync: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    state = ReverseState(settings.dynamo)
    owner = basics.owner(settings.run_id)
    return basics.scheduled_run(
        "reverse-sync", state, owner, settings.lease_seconds,
        lambda lease: reverse_sync(settings, arn, state, owner, lease),
        lambda started, code, report: state.record_run(reverse_report.outcome(settings.run_id, started, code, report)),
        "no checkpoint was advanced; the next run reads these records again")


def reverse_sync(settings: ReverseSettings, arn: str, state: ReverseState, owner: str,
                 lease: LeaseKeeper) -> tuple[int, dict]:
    """One run: read, apply, advance. (exit code, report)."""
    started = time.monotonic()
    engine = engines.engine(settings.mysql)
    try:
        client = clients.client(settings.dynamo)
        changes = ReverseChanges(RowWriter(engine, JoinedValues(engine, SOURCE_SPECS)), settings.mirror_ttl_deletes,
                                 fetch=lambda keys: items_now(client, settings.dynamo.table, keys))
        reader = StreamReader(settings.dynamo)
        checkpoints = state.checkpoints(arn)
        read: dict[str, tuple[str | None, bool]] = {}  # shard -> (last sequence read, closed and read to its end)
        records = 0
        for shard in reader.shards(arn):
            current = checkpoints.get(shard.shard_id)
            if current is not None and current.closed:
                continue
            for batch in reader.read_shard(arn, shard, current.sequence if current else None):
                for record in batch.records:
                    changes.add(record)
                records += len(batch.records)
                last = batch.records[-1]["dynamodb"]["SequenceNumber"] if batch.records else (
                    current.sequence if current else None)
                read[shard.shard_id] = (last, batch.closed)
                if records >= settings.max_records:
                    break
            if records >= settings.max_records:
                break
        outcome = changes.apply()
    finally:
        engine.dispose()
    if outcome.dead_letters:
        basics.ensure_parent(settings.dead_letter_path)
        append_json_lines(settings.dead_letter_path, outcome.dead_letters)
    lease.check()
    for shard_id, (sequence, closed) in read.items():
        state.advance(owner, checkpoints.get(shard_id), sequence, closed, arn, shard_id)
    report = reverse_report.build(outcome, records, len(read), time.monotonic() - started,
                                  settings.dead_letter_path if outcome.dead_letters else None)
    reverse_report.print_report(report)
    if settings.report_path:
        with open(settings.report_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, sort_keys=True)
        print(f"report: {settings.report_path}")
    if outcome.dead_letters:
        print(f"reverse-sync: {len(outcome.dead_letters)} row(s) MySQL refused; each is in "
              f"{settings.dead_letter_path} with its reason (`algoitny-etl replay` writes them once fixed)",
              file=sys.stderr)
        return basics.EXIT_DIFFERENCES, report
    print(f"reverse-sync: MySQL holds every change the stream had ({records:,} records)")
    return basics.EXIT_OK, report
