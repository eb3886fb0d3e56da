"""What cutover and rollback print: the verify inside the freeze, and the freeze itself."""

from __future__ import annotations

import datetime as _dt
import sys


def print_verify(verify: dict, out=sys.stdout) -> None:
    if verify["mode"] == "full":
        print(f"verify (full): {verify['differing']} item(s) differ", file=out)
        return
    print(f"verify: {verify['changed_rows']:,} row(s) changed since the last full verify ({verify['changes']:,} "
          f"changes since {verify['since']}) and {verify['sampled_rows']:,} sampled; "
          f"{verify['differing']} item(s) differ", file=out)
    for record in verify["differences"]:
        paths = f" [{', '.join(record['paths'])}]" if record.get("paths") else ""
        print(f"  {record['class']} {record['tp']} {record['PK']} {record['SK']}{paths}", file=out)


def print_cut_over(record, phases, out=sys.stdout) -> None:
    at = _dt.datetime.fromtimestamp(record.at, _dt.timezone.utc).isoformat()
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.seconds.items())
    print(f"cut over at {at}, MySQL at binlog {record.binlog['file']}:{record.binlog['pos']}; stream "
          f"{record.stream_arn}", file=out)
    print(f"the freeze took {phases.total:.1f} s inside this command ({steps})", file=out)
    print("switch the application now: its reads and writes go to the table (repositories/); schedule "
          "`algoitny-etl reverse-sync` to keep MySQL in step through the validation period", file=out)
