"""What check-reads prints and writes: per access pattern the calls, how many answers were equal,
deliberately different or different, each side's latency beside the original guide's figure,
the declared differences apart, and the differences themselves (both answers, in --report).

Answers go into the JSON in canonical form, exactly: integers as numbers, other numbers as
their exact text, binary as base64, sets as sorted lists; a password hash only as a digest
(the report is for tickets and dashboards).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import sys
from decimal import Decimal

from reports.text_table import format_table
from schema.entities import ITEM_SPECS

SECRET_ATTRIBUTES = frozenset(a.short for spec in ITEM_SPECS.values() for a in spec.attributes
                              if a.column == "password")
_PARAMS_LEFT_OUT = ("now", "cursor")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the value below which `fraction` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def latency(milliseconds: list[float]) -> dict | None:
    if not milliseconds:
        return None
    return {"p50": round(percentile(milliseconds, 0.5), 2), "p99": round(percentile(milliseconds, 0.99), 2)}


def answer_json(value: object, name: str = "") -> object:
    """A canonical answer as JSON values (see the module's docstring)."""
    if name in SECRET_ATTRIBUTES and isinstance(value, str):
        return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        return sorted((answer_json(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): answer_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [answer_json(v) for v in value]
    return value


def params_json(params: dict) -> dict:
    """A question's parameters as JSON (its instant is the report's; cursors are opaque)."""
    return {k: (v.isoformat() if isinstance(v, (_dt.date, _dt.datetime)) else v)
            for k, v in params.items() if k not in _PARAMS_LEFT_OUT}


def _ms(side: dict | None, which: str) -> object:
    return "-" if side is None else side[which]


def print_report(report: dict, out=None) -> None:
    out = out or sys.stdout
    print(f"check-reads: {report['mysql']} against {report['dynamodb']}; up to {report['sample']} keys per "
          f"pattern at {report['now']}, {report['seconds']} s", file=out)
    rows = [[p["key"], p["calls"], p["equal"], p["deliberate"], p["different"],
             *(_ms(p["latency_ms"][side], which) for side in ("mysql", "dynamodb") for which in ("p50", "p99")),
             p["guide_ms"] or ""] for p in report["patterns"]]
    print(format_table(["pattern", "calls", "equal", "deliberate", "different", "MySQL p50 ms", "p99",
                        "DynamoDB p50 ms", "p99", "original guide ms"], rows), file=out)
    declared = [(p["key"], d) for p in report["patterns"] for d in p["declared_differences"] if d["answers"]]
    if declared:
        print("declared differences (made on purpose; listed apart):", file=out)
        for key, difference in declared:
            print(f"  {key} {difference['name']}: {difference['answers']:,} answers; {difference['why']}", file=out)
    differing = [p for p in report["patterns"] if p["different"]]
    for p in differing:
        for found in p["differences"][:3]:
            print(f"  {p['key']} {found['sample']} {found['params']}: differs at {', '.join(found['paths'])}",
                  file=out)
    if differing:
        listed = ", ".join(f"{p['key']} ({p['different']:,})" for p in differing)
        print(f"check-reads: {report['different']:,} of {report['calls']:,} answers differ: {listed}"
              " (both answers of each in --report)", file=out)
    else:
        print(f"check-reads: every answer matches ({report['calls']:,} compared)", file=out)
