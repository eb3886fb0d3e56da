"""What `status` prints: one line per source table, then the runs, leases, cut-over and reverse sync."""

from __future__ import annotations

import datetime as _dt
import sys

from reports.text_table import format_table


def _when(epoch: int | float | None) -> str:
    return "-" if epoch is None else _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _lag(entry: dict) -> str:
    if entry["purged"]:
        return "PURGED"
    if entry["lag_seconds"] is None:
        return "-"
    return f"{entry['lag_seconds']:,} s ({entry['bytes_behind']:,} B)"


def print_status(status: dict, out=sys.stdout) -> None:
    rows = [[f"{e['entity']}/{name}", e["loaded_by"] or "-", e["checkpoint"] or "-", _lag(e),
             _when(e["verified_at"]) + ("" if e["verified_sample_rate"] in (None, 1) else
                                        f" ({e['verified_sample_rate']:g})")]
            for name, e in status["tables"].items()]
    print(f"{status['table']} <- {status['source']}; MySQL's binlog now: "
          f"{status['mysql_position']['file'] + ':' + str(status['mysql_position']['pos']) if status['mysql_position'] else 'unreadable'}",
          file=out)
    print(format_table(["entity/table", "loaded by", "sync checkpoint", "behind", "verified"], rows), file=out)
    for run in status["unfinished_runs"]:
        print(f"unfinished migrate run {run['run_id']}: {run['ranges_done']} of {run['ranges']} key ranges done "
              f"(`algoitny-etl migrate --resume {run['run_id']}`)", file=out)
    last = status["last_sync"]
    if last:
        print(f"last sync: {last.get('run')} at {_when(last.get('fin'))}, exit {last.get('exit')}"
              + (f", {last.get('evt')} changes" if "evt" in last else f": {last.get('err', '')}"), file=out)
    for name in ("sync_lease",):
        lease = status[name]
        print(f"sync lease: {'held by ' + lease['own'] + ' until ' + _when(lease['exp']) if lease else 'free'}", file=out)
    cutover = status["cutover"]
    if cutover is None:
        print("cut-over: not yet", file=out)
    elif cutover["status"] == "cut_over":
        print(f"cut-over: at {_when(cutover['at'])} (freeze {cutover['freeze_seconds']:.1f} s); stream "
              f"{cutover['stream']}", file=out)
        reverse = status["reverse_sync"]
        last = reverse["last_run"]
        print(f"reverse sync: {len(reverse['checkpoints'])} shard checkpoint(s); last run "
              + (f"{last.get('run')} at {_when(last.get('fin'))}, exit {last.get('exit')}, {last.get('rec', 0)} records"
                 if last else "none yet"), file=out)
    else:
        print(f"cut-over: rolled back at {_when(cutover['rolled_back_at'])} (cut over at {_when(cutover['at'])})",
              file=out)
    print("healthy" if status["healthy"] else "UNHEALTHY: " + "; ".join(status["problems"]), file=out)
