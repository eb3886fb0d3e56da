"""The deep verify report: a table per item type, sample keys per class, what repair did, and
the JSON report.

Counts come from the files the passes wrote; the JSON report streams every difference (and
every repair action) from those files into its lists, so it never sits in memory whole.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from apache_beam.io.filesystems import FileSystems

from connectors.files.json_lines import iter_json_lines
from reports.text_table import format_table
from schema.entities import entity_of_item_type

CLASSES = ("ok", "mismatched", "missing", "unexpected", "unmappable")
SAMPLES_PER_CLASS = 20


@dataclass
class Findings:
    """What the deep passes found: counts per item type and class, samples, differing paths."""

    counts: dict[str, Counter]
    difference_files: list[str]
    samples: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    path_counts: dict = field(default_factory=lambda: defaultdict(Counter))

    def __post_init__(self):
        for path in self.difference_files:
            for record in iter_json_lines(path):
                bucket = self.samples[record["tp"]][record["class"]]
                if len(bucket) < SAMPLES_PER_CLASS:
                    bucket.append(record)
                self.path_counts[record["tp"]].update(record.get("paths", []))

    def differing(self, types: tuple[str, ...]) -> int:
        return sum(self.counts[tp][k] for tp in types for k in CLASSES if k != "ok")


@dataclass
class Repair:
    """What repair planned (and, unless a dry run, did), and what the recheck found after it."""

    dry_run: bool
    actions: dict[str, Counter]  # tp -> Counter of "<action> <class>"
    actions_file: str
    failed: int = 0
    dead_letter_path: str | None = None
    recheck: dict[str, Counter] = field(default_factory=dict)  # tp -> Counter of classes
    remaining_file: str | None = None

    def still_differing(self) -> int:
        return sum(n for classes in self.recheck.values() for kind, n in classes.items() if kind != "ok")


def print_findings(settings, types: tuple[str, ...], findings: Findings) -> None:
    rows = []
    for tp in types:
        c = findings.counts[tp]
        differing = sum(c[k] for k in CLASSES if k != "ok")
        rows.append([f"{entity_of_item_type(tp)}/{tp}", c["expected"], *(c[k] for k in CLASSES),
                     "ok" if not differing else "DIFFERS"])
    sample_note = "" if settings.sample_rate >= 1 else f" (sample {settings.sample_rate:g} of source rows)"
    print(f"deep verify{sample_note}:")
    print(format_table(["entity/item", "expected", *CLASSES, "result"], rows))
    for tp in types:
        for kind in CLASSES[1:]:
            listed = findings.samples[tp][kind]
            if not listed:
                continue
            print(f"\n{entity_of_item_type(tp)}/{tp} {kind} ({findings.counts[tp][kind]}; "
                  f"up to {SAMPLES_PER_CLASS} shown):")
            for record in listed:
                print("  " + _describe(record))
        if findings.path_counts[tp]:
            top = ", ".join(f"{p} x{n}" for p, n in findings.path_counts[tp].most_common(10))
            print(f"  differing attributes in {tp}: {top}")


def print_repair(types: tuple[str, ...], repair: Repair) -> None:
    columns = ["put missing", "put mismatched", "delete unexpected", "skipped"]
    keys = ["put missing", "put mismatched", "delete unexpected"]
    rows = []
    for tp in types:
        actions = repair.actions.get(tp, Counter())
        skipped = sum(n for k, n in actions.items() if k.startswith("skipped"))
        row = [f"{entity_of_item_type(tp)}/{tp}", *(actions[k] for k in keys), skipped]
        if not repair.dry_run:
            recheck = repair.recheck.get(tp, Counter())
            row += [recheck["ok"], sum(n for k, n in recheck.items() if k != "ok")]
        rows.append(row)
    headers = ["entity/item", *columns] + ([] if repair.dry_run else ["ok after", "still differing"])
    print("\nrepair plan (--dry-run: nothing was written):" if repair.dry_run else "\nrepair:")
    print(format_table(headers, rows))
    if repair.failed:
        print(f"repair: {repair.failed} write(s) failed; each is in {repair.dead_letter_path} with its reason",
              file=sys.stderr)


def _describe(record: dict) -> str:
    if record["class"] == "unmappable":
        return f"{record['table']} row {record['key']!r}: {record['reason']}"
    text = f"PK={record['PK']} SK={record['SK']}"
    if record.get("paths"):
        text += f"  [{', '.join(record['paths'])}]"
    return text


def write_json(settings, types: tuple[str, ...], findings: Findings, ok: bool, repair: Repair | None = None) -> None:
    summary = {
        "mode": "deep",
        "ok": ok,
        "sample_rate": settings.sample_rate,
        "now": settings.now,
        "source": settings.mysql.masked(),
        "target": settings.dynamo.describe(),
        "entities": {
            tp: {"entity": entity_of_item_type(tp), "expected": findings.counts[tp]["expected"],
                 **{k: findings.counts[tp][k] for k in CLASSES},
                 "samples": {k: findings.samples[tp][k] for k in CLASSES[1:] if findings.samples[tp][k]},
                 "differing_attributes": dict(findings.path_counts[tp].most_common())}
            for tp in types
        },
    }
    lists = [("differences", findings.difference_files)]
    if repair is not None:
        summary["repair"] = {
            "dry_run": repair.dry_run, "failed_writes": repair.failed,
            "actions": {tp: dict(c) for tp, c in repair.actions.items()},
            "recheck": None if repair.dry_run else {tp: dict(c) for tp, c in repair.recheck.items()},
        }
        lists.append(("repair_actions", [repair.actions_file]))
        if repair.remaining_file:
            lists.append(("still_differing", [repair.remaining_file]))
    # The summary object, then each list streamed from the files the passes wrote.
    head = json.dumps(summary, ensure_ascii=False, indent=1)
    with FileSystems.create(settings.report_path) as handle:
        handle.write(head[: head.rindex("}")].rstrip().encode("utf-8"))
        for name, paths in lists:
            handle.write(f',\n "{name}": ['.encode("utf-8"))
            separator = "\n  "
            for path in paths:
                for record in iter_json_lines(path):
                    handle.write((separator + json.dumps(record, ensure_ascii=False, sort_keys=True)).encode("utf-8"))
                    separator = ",\n  "
            handle.write(b"\n ]")
        handle.write(b"\n}\n")
