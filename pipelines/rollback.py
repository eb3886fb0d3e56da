"""`algoitny-etl rollback`: the way back, run with the application frozen again.

1. it takes reverse sync's lease and sync's (a scheduled run of either is then skipped, exit 3);
2. the last reverse-sync window: every change the stream holds is in MySQL (dead letters:
   exit 1, nothing recorded);
3. verify, item by item, the rows reverse sync wrote since the cut-over (MySQL's binary log
   between the cut-over's position and now says which) and a fixed random sample, as cutover
   does; --full-verify verifies everything. Any difference: exit 1, nothing recorded;
4. the rollback recorded, and every table's sync checkpoint set to MySQL's position now, in one
   transaction with sync's lease: MySQL and the table are equal there. The application goes back
   to MySQL; `sync` may run again (from that position), and the cut-over can be tried again later.

--dry-run makes every check and records nothing (the reverse-sync window is still applied:
MySQL only gains the application's writes).
"""

from __future__ import annotations

import sys
import time

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.errors import ConfigError, RunStopped
from connectors.mysql import binlog_positions
from connectors.mysql.binlog import BinlogPosition, BinlogUnavailable
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, options, reverse_sync, sync
from reports import cutover_report
from schema.entities import SOURCE_SPECS
from schema.state_items import new_run_id
from state.cutover import ROLLED_BACK, CutoverStore
from state.lease import LeaseKeeper, write_while_held
from state.reverse_checkpoints import ReverseState
from state.sync_checkpoints import Checkpoint, SyncState
from transforms.row_verify import check_changed_rows

DESCRIPTION = "go back to MySQL after a cut-over: the last reverse-sync window, verify, and sync may run again"


def _rollback_flags(group):
    group.add_argument("--full-verify", action="store_true",
                       help="verify every item inside the freeze instead of what reverse sync wrote and a sample")
    group.add_argument("--sample", type=int, default=100, help="random rows per table verified besides the written ones")
    group.add_argument("--lease-seconds", type=int, default=600, help="how long the leases last unless renewed")


ROLLBACK = options.Flags("rollback", _rollback_flags)
FLAGS = (options.SOURCE, options.TARGET, options.DRY_RUN, options.DEAD_LETTER, ROLLBACK, options.RUNNER)


def run(argv: list[str] | None = None) -> int:
    now = int(time.time())
    run_id = new_run_id(now, "rollback-")
    try:
        args, beam_args = options.parse("algoitny-etl rollback", DESCRIPTION, argv, FLAGS, epilog=sync.EXIT_CODES)
        mysql, dynamo = basics.mysql_config(args), basics.dynamodb_config(args)
        check_table_ready(dynamo)
        check_source_tables(mysql, tuple(SOURCE_SPECS), allow_unmapped=True)
        cutover = CutoverStore(dynamo)
        current = cutover.current()
        if current is None or not current.in_force:
            raise ConfigError("no cut-over is in force: there is nothing to roll back")
        reverse_settings = reverse_sync.ReverseSettings(
            mysql, dynamo, basics.dead_letter_path(args.dead_letter, now, "rollback"), None, False,
            reverse_sync.DEFAULT_MAX_RECORDS * 100, args.lease_seconds, run_id)
        arn = reverse_sync.stream_in_force(reverse_settings)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"rollback: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    owner = basics.owner(run_id)
    reverse, syncs = ReverseState(dynamo), SyncState(dynamo)
    for lease in (reverse.lease, syncs.lease):
        held = lease.take(owner, args.lease_seconds)
        if held is not None:
            reverse.lease.release(owner)
            print(f"rollback: {basics.held_by(held)}: stop the scheduled runs and run rollback again "
                  f"(exit {basics.EXIT_LEASE_HELD})", file=sys.stderr)
            return basics.EXIT_LEASE_HELD
    with LeaseKeeper(reverse.lease, owner, args.lease_seconds) as reverse_lease, \
            LeaseKeeper(syncs.lease, owner, args.lease_seconds) as sync_lease:
        try:
            return roll_back(args, reverse_settings, arn, reverse, syncs, cutover, current, owner, reverse_lease,
                             sync_lease, beam_args)
        except (RunStopped, ConfigError, BinlogUnavailable) as error:
            print(f"rollback: {error}", file=sys.stderr)
            print("rollback: nothing was recorded; the cut-over stands", file=sys.stderr)
            return basics.EXIT_CANNOT_RUN


def roll_back(args, settings, arn, reverse, syncs, cutover, current, owner, reverse_lease, sync_lease,
              beam_args) -> int:
    started = time.monotonic()
    code, _ = reverse_sync.reverse_sync(settings, arn, reverse, owner, reverse_lease)
    if code != basics.EXIT_OK:
        print("rollback: the last reverse-sync window did not write everything; replay its dead letters and run "
              "rollback again", file=sys.stderr)
        return code
    now = int(time.time())
    position = binlog_positions.position_now(settings.mysql)
    if args.full_verify:
        from pipelines import execution
        from pipelines.cutover import full_check

        check = full_check(settings.mysql, settings.dynamo, now, execution.beam_options(args, beam_args))
    else:
        check = check_changed_rows(settings.mysql, settings.dynamo, BinlogPosition.from_record(current.binlog),
                                   position, args.sample, now)
    cutover_report.print_verify(check)
    if check["differing"]:
        print(f"rollback: {check['differing']} item(s) differ between MySQL and the table; nothing was recorded. "
              "Mend MySQL (`algoitny-etl verify --deep --repair --to mysql`) and run rollback again", file=sys.stderr)
        return basics.EXIT_DIFFERENCES
    if args.dry_run:
        print(f"rollback (DRY RUN): every check passed in {time.monotonic() - started:.1f} s; nothing was recorded")
        return basics.EXIT_OK
    reverse_lease.check()
    sync_lease.check()
    record = _rolled_back(current, now, position.as_record(), owner)
    checkpoints = syncs.checkpoints()
    marks = [{"Put": {"TableName": syncs.table.name, "Item": Checkpoint(
        t, position.as_record(), checkpoints[t].watermark if t in checkpoints else None,
        (checkpoints[t].version if t in checkpoints else 0) + 1, now, owner).item()}} for t in SOURCE_SPECS]
    write_while_held(syncs.table, syncs.lease, owner, [
        {"Put": {"TableName": syncs.table.name, "Item": record.item(), "ConditionExpression": "#ver = :ver",
                 "ExpressionAttributeNames": {"#ver": "ver"}, "ExpressionAttributeValues": {":ver": current.version}}},
        *marks])
    print(f"rolled back: MySQL holds every write the application made to the table since the cut-over; sync's "
          f"checkpoints are at {position} ({time.monotonic() - started:.1f} s)")
    print("switch the application back to MySQL now; `algoitny-etl sync` (on its schedule) keeps the table in step "
          "again, and cutover can be tried again later")
    return basics.EXIT_OK


def _rolled_back(current, at: int, position: dict, owner: str):
    from dataclasses import replace

    return replace(current, status=ROLLED_BACK, rolled_back_at=at, rollback_binlog=position,
                   version=current.version + 1, by=owner)
