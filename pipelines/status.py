"""`algoitny-etl status [--json] [--max-lag SECONDS]`: where the migration stands, at a glance.

Per source table: the migrate run that loaded it, its sync checkpoint and how far it is behind
MySQL now (bytes of binary log not yet read; seconds: 0 when caught up, else since the
checkpoint last moved), and its last clean deep verify. Unfinished migrate runs with their key
ranges done; the last sync run's outcome; the leases; the cut-over; reverse sync's checkpoints
and last run. It reads only the tool's own state items and asks MySQL where its log stands:
no rows, no scan, so it answers in about a second on a table of any size, and imports no Beam.

Exit 0 healthy; 1 when a lag exceeds --max-lag, the last (reverse) sync failed or a checkpoint's
binary log is purged; 2 when it cannot read.
"""

from __future__ import annotations

import json
import sys
import time

import sqlalchemy as sa
from botocore.exceptions import BotoCoreError, ClientError

from connectors.dynamodb import clients
from connectors.dynamodb.hints import explain as explain_dynamodb
from connectors.errors import ConfigError
from connectors.mysql import binlog, engines
from connectors.mysql.binlog import BinlogPosition
from connectors.mysql.binlog_positions import bytes_behind
from connectors.mysql.hints import explain as explain_mysql
from pipelines import basics, options
from reports import status_report
from schema.entities import SOURCE_SPECS, entity_of_item_type
from schema.state_items import RUNNING
from state.cutover import CutoverStore
from state.migration_runs import RunStore
from state.reverse_checkpoints import ReverseState
from state.sync_checkpoints import SyncState

DESCRIPTION = "where the migration stands: loads, sync checkpoints and lag, verifies, leases, cut-over, reverse sync"


def _status_flags(group):
    group.add_argument("--json", action="store_true", help="print the status as JSON (for alerting)")
    group.add_argument("--max-lag", type=float, metavar="SECONDS",
                       help="exit 1 when sync (or, after cut-over, reverse sync) is further behind than this")


STATUS = options.Flags("status", _status_flags)
FLAGS = (options.SOURCE, options.TARGET, STATUS)


def mysql_side(mysql, checkpoints: dict) -> tuple[dict | None, dict]:
    """(MySQL's position now, table -> bytes of binary log after its checkpoint; None when purged)."""
    engine = engines.engine(mysql, pool_size=1)
    try:
        with engine.connect() as conn:
            try:
                now = binlog.current_position(conn)
            except binlog.BinlogUnavailable:
                return None, {}
            behind = {t: bytes_behind(conn, BinlogPosition.from_record(c.binlog))
                      for t, c in checkpoints.items() if c.binlog}
            return now.as_record(), behind
    finally:
        engine.dispose()


def gather(mysql, dynamo, now: int) -> dict:
    table = clients.table_resource(dynamo)
    runs = RunStore(dynamo, table).runs()
    syncs = SyncState(dynamo, table)
    checkpoints = syncs.checkpoints()
    cutovers = CutoverStore(dynamo, table)
    cutover, verified = cutovers.current(), cutovers.verified()
    reverse = ReverseState(dynamo, table)
    position, behind = mysql_side(mysql, checkpoints)
    tables = {}
    for name, source in SOURCE_SPECS.items():
        loaded = next((r for r in runs if r.status != RUNNING and name in r.tables), None)
        checkpoint = checkpoints.get(name)
        entry = {"entity": entity_of_item_type(source.items[0]),
                 "loaded_by": loaded.run_id if loaded else None, "loaded_at": loaded.finished if loaded else None,
                 "checkpoint": str(BinlogPosition.from_record(checkpoint.binlog)) if checkpoint and checkpoint.binlog
                 else None, "checkpoint_moved_at": checkpoint.updated if checkpoint else None,
                 "bytes_behind": behind.get(name), "purged": name in behind and behind[name] is None,
                 "verified_at": verified[name].at if name in verified else None,
                 "verified_sample_rate": verified[name].sample_rate if name in verified else None}
        entry["lag_seconds"] = (0 if entry["bytes_behind"] == 0 else
                                max(0, now - checkpoint.updated) if checkpoint and entry["bytes_behind"] else None)
        tables[name] = entry
    unfinished = []
    for run in runs:
        if run.status == RUNNING:
            done, total = RunStore(dynamo, table).progress(run)
            unfinished.append({"run_id": run.run_id, "tables": list(run.tables), "started": run.started,
                               "ranges_done": done, "ranges": total})
    last_reverse = reverse.last_run()
    reverse_state = {"checkpoints": [{"shard": c.shard_id, "sequence": c.sequence, "closed": c.closed,
                                      "moved_at": c.updated} for c in reverse.checkpoints().values()],
                     "last_run": _plain(last_reverse), "lease": _plain(reverse.lease.holder()),
                     "lag_seconds": max(0, now - int(last_reverse["fin"])) if last_reverse else None}
    return {"now": now, "table": dynamo.describe(), "source": mysql.masked(), "mysql_position": position,
            "tables": tables, "unfinished_runs": unfinished, "last_sync": _plain(syncs.last_run()),
            "sync_lease": _plain(syncs.lease.holder()),
            "cutover": None if cutover is None else {
                "status": cutover.status, "at": cutover.at, "binlog": cutover.binlog, "stream": cutover.stream_arn,
                "freeze_seconds": cutover.freeze_seconds, "rolled_back_at": cutover.rolled_back_at},
            "reverse_sync": reverse_state}


def problems(status: dict, max_lag: float | None) -> list[str]:
    """What makes the migration unhealthy now, one sentence each (empty: healthy)."""
    found = []
    cut_over = (status["cutover"] or {}).get("status") == "cut_over"
    if cut_over:
        last = status["reverse_sync"]["last_run"]
        if last is not None and not last.get("ok"):
            found.append(f"the last reverse sync ({last.get('run')}) failed with exit {last.get('exit')}")
        lag = status["reverse_sync"]["lag_seconds"]
        if max_lag is not None and lag is not None and lag > max_lag:
            found.append(f"reverse sync last ran {lag:,.0f} s ago, more than --max-lag {max_lag:g}")
        return found
    last = status["last_sync"]
    if last is not None and not last.get("ok"):
        found.append(f"the last sync ({last.get('run')}) failed with exit {last.get('exit')}")
    for name, entry in status["tables"].items():
        if entry["purged"]:
            found.append(f"{name}'s checkpoint is in a purged binary log: sync cannot go on from it")
        elif max_lag is not None and entry["lag_seconds"] is not None and entry["lag_seconds"] > max_lag:
            found.append(f"{name} is {entry['lag_seconds']:,.0f} s behind MySQL, more than --max-lag {max_lag:g}")
    return found


def _plain(item: dict | None) -> dict | None:
    """A state item's attributes as JSON takes them (DynamoDB numbers are Decimals)."""
    if item is None:
        return None
    return {k: (int(v) if hasattr(v, "to_integral_value") and v == v.to_integral_value() else
                float(v) if hasattr(v, "to_integral_value") else v) for k, v in item.items() if k not in ("PK", "SK")}


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl status", DESCRIPTION, argv, FLAGS, beam=False,
                                epilog="exit codes: 0 healthy; 1 a lag over --max-lag, a failed last run or a purged "
                                       "checkpoint; 2 could not read")
        mysql, dynamo = basics.mysql_config(args), basics.dynamodb_config(args)
        status = gather(mysql, dynamo, int(time.time()))
    except (options.UsageError, ConfigError) as error:
        print(f"status: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    except (BotoCoreError, ClientError) as error:
        print(f"status: cannot read the table's state ({dynamo.describe()}): {explain_dynamodb(error, dynamo)}",
              file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    except sa.exc.DBAPIError as error:
        print(f"status: cannot ask MySQL at {mysql.masked()}: {explain_mysql(error)}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    status["problems"] = problems(status, args.max_lag)
    status["healthy"] = not status["problems"]
    if args.json:
        print(json.dumps(status, indent=1, sort_keys=True, default=str))
    else:
        status_report.print_status(status)
    return basics.EXIT_OK if status["healthy"] else basics.EXIT_DIFFERENCES
