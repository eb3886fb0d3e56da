"""`algoitny-etl verify --deep`: prove item by item that nothing was lost or changed.

Pass 1 (always): the Scan drives the comparison (transforms/deep_compare.py) while SQL counts
say how many items each type should have. Pass 2 (only for item types where the Scan found
fewer expected items than the source implies): the source side is walked to name them.
Classes per item type: ok, mismatched (with attribute paths), missing, unexpected, unmappable.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipelines import common
from schema.entities import SOURCE_SPECS, entity_of_item_type, item_types_for
from transforms.deep_compare import DIFFERENCE, CompareScannedItems, FindUnseenExpected, unmappable
from transforms.dynamodb_scan import LiveItemsOfTypes, ScanTable
from transforms.json_lines import WriteJsonLines, iter_json_lines, read_json_lines
from transforms.read_mysql import ReadMySQLTable
from transforms.source_counts import CountSourceItems
from transforms.to_items import ToItems

CLASSES = ("ok", "mismatched", "missing", "unexpected", "unmappable")
SAMPLES_PER_CLASS = 20


@dataclass(frozen=True)
class Paths:
    counts: str
    differences: str


def _count_record(element) -> dict:
    (tp, kind), count = element
    return {"tp": tp, "class": kind, "count": count}


def _write_results(counts, differences, paths: Paths) -> None:
    _ = (counts | "SumClasses" >> beam.CombinePerKey(sum) | "CountRecord" >> beam.Map(_count_record)
         | "WriteCounts" >> WriteJsonLines(paths.counts))
    _ = differences | "WriteDifferences" >> WriteJsonLines(paths.differences)


def build_compare_pipeline(p: beam.Pipeline, settings, paths: Paths) -> None:
    """Pass 1: expected counts from SQL; every scanned item compared with its source row."""
    types = item_types_for(settings.tables)
    expected = (
        [p | f"Expect {table}" >> CountSourceItems(settings.mysql, table, settings.now, settings.rows_per_range,
                                                   settings.sample_rate)
         for table in settings.tables]
        | "AllExpected" >> beam.Flatten()
        | "SumExpected" >> beam.CombinePerKey(sum)
        | "ExpectedAs" >> beam.Map(lambda kv: ((kv[0], "expected"), kv[1]))
    )
    compared = (
        p
        | "Scan" >> ScanTable(settings.dynamo, settings.segments, LiveItemsOfTypes(types, settings.now))
        | "CompareWithSource" >> beam.ParDo(
            CompareScannedItems(settings.mysql, settings.now, settings.sample_rate, settings.compress_over)).with_outputs(
                DIFFERENCE, main="counts")
    )
    counts = (expected, compared.counts) | "AllCounts" >> beam.Flatten()
    _write_results(counts, compared.difference, paths)


def build_unseen_pipeline(p: beam.Pipeline, settings, item_types: tuple[str, ...], paths: Paths) -> None:
    """Pass 2: walk the source for `item_types` and name what pass 1 could not see."""
    verified = item_types_for(settings.tables)
    wanted = frozenset(item_types)
    tables = [t for t in settings.tables if set(SOURCE_SPECS[t].items) & wanted]
    counts, differences = [], []
    for table in tables:
        mapped = (p | f"Read {table}" >> ReadMySQLTable(settings.mysql, table, settings.rows_per_range)
                  | f"Map {table}" >> ToItems(table, settings.now, settings.compress_over))
        unseen = (mapped.items
                  | f"Only {table}" >> beam.Filter(lambda item, types=wanted: item.tp in types)
                  | f"FindUnseen {table}" >> beam.ParDo(FindUnseenExpected(
                      settings.dynamo, verified, settings.now, settings.sample_rate)).with_outputs(
                          DIFFERENCE, main="counts"))
        rejected = mapped.dead_letter | f"Unmappable {table}" >> beam.FlatMap(unmappable, settings.sample_rate)
        counts += [unseen.counts, rejected | f"CountUnmappable {table}" >> beam.Map(
            lambda r: ((r["tp"], "unmappable"), 1))]
        differences += [unseen.difference, rejected]
    _write_results(counts | "AllCounts" >> beam.Flatten(), differences | "AllDifferences" >> beam.Flatten(), paths)


def _paths(options, name: str) -> Paths:
    return Paths(common.temp_path(options, f"{name}-counts.jsonl"),
                 common.temp_path(options, f"{name}-differences.jsonl"))


def _table(records: list[dict]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        table[record["tp"]][record["class"]] += record["count"]
    return table


def run_deep(settings, options) -> int:
    types = item_types_for(settings.tables)
    first = _paths(options, "deep-pass1")
    pipeline = beam.Pipeline(options=options)
    build_compare_pipeline(pipeline, settings, first)
    pipeline.run().wait_until_finish()
    counts = _table(read_json_lines(first.counts))
    difference_files = [first.differences]

    short = tuple(tp for tp in types if counts[tp]["found"] < counts[tp]["expected"])
    if short:
        print(f"pass 2: the Scan found fewer items than the source implies for {', '.join(short)}; "
              "walking the source to name them")
        second = _paths(options, "deep-pass2")
        pipeline = beam.Pipeline(options=options)
        build_unseen_pipeline(pipeline, settings, short, second)
        pipeline.run().wait_until_finish()
        for tp, classes in _table(read_json_lines(second.counts)).items():
            counts[tp].update(classes)
        difference_files.append(second.differences)
    return report(settings, types, counts, difference_files)


def report(settings, types: tuple[str, ...], counts: dict[str, Counter], difference_files: list[str]) -> int:
    samples: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    path_counts: dict[str, Counter] = defaultdict(Counter)
    for path in difference_files:
        for record in iter_json_lines(path):
            bucket = samples[record["tp"]][record["class"]]
            if len(bucket) < SAMPLES_PER_CLASS:
                bucket.append(record)
            path_counts[record["tp"]].update(record.get("paths", []))

    rows, bad = [], 0
    for tp in types:
        c = counts[tp]
        differing = sum(c[k] for k in CLASSES if k != "ok")
        bad += differing
        rows.append([f"{entity_of_item_type(tp)}/{tp}", c["expected"], *(c[k] for k in CLASSES),
                     "ok" if not differing else "DIFFERS"])
    sample_note = "" if settings.sample_rate >= 1 else f" (sample {settings.sample_rate:g} of source rows)"
    print(f"deep verify{sample_note}:")
    print(common.format_table(["entity/item", "expected", *CLASSES, "result"], rows))
    for tp in types:
        for kind in CLASSES[1:]:
            listed = samples[tp][kind]
            if not listed:
                continue
            print(f"\n{entity_of_item_type(tp)}/{tp} {kind} ({counts[tp][kind]}; up to {SAMPLES_PER_CLASS} shown):")
            for record in listed:
                print("  " + _describe(record))
        if path_counts[tp]:
            top = ", ".join(f"{p} x{n}" for p, n in path_counts[tp].most_common(10))
            print(f"  differing attributes in {tp}: {top}")
    if settings.report_path:
        _write_report(settings, types, counts, samples, path_counts, difference_files, ok=not bad)
        print(f"\nreport: {settings.report_path}")
    if bad:
        print(f"verify --deep: {bad} item(s) differ", file=sys.stderr)
        return common.EXIT_DIFFERENCES
    print("verify --deep: every item is ok")
    return common.EXIT_OK


def _describe(record: dict) -> str:
    if record["class"] == "unmappable":
        return f"{record['table']} row {record['key']!r}: {record['reason']}"
    text = f"PK={record['PK']} SK={record['SK']}"
    if record.get("paths"):
        text += f"  [{', '.join(record['paths'])}]"
    return text


def _write_report(settings, types, counts, samples, path_counts, difference_files, ok: bool) -> None:
    summary = {
        "mode": "deep",
        "ok": ok,
        "sample_rate": settings.sample_rate,
        "now": settings.now,
        "source": settings.mysql.masked(),
        "target": settings.dynamo.describe(),
        "entities": {
            tp: {"entity": entity_of_item_type(tp), "expected": counts[tp]["expected"],
                 **{k: counts[tp][k] for k in CLASSES},
                 "samples": {k: samples[tp][k] for k in CLASSES[1:] if samples[tp][k]},
                 "differing_attributes": dict(path_counts[tp].most_common())}
            for tp in types
        },
    }
    # The summary object, then every difference streamed from the pass files into its
    # "differences" list, so the report never sits in memory whole.
    head = json.dumps(summary, ensure_ascii=False, indent=1)
    with FileSystems.create(settings.report_path) as handle:
        handle.write(head[: head.rindex("}")].rstrip().encode("utf-8"))
        handle.write(b',\n "differences": [')
        separator = "\n  "
        for path in difference_files:
            for record in iter_json_lines(path):
                handle.write((separator + json.dumps(record, ensure_ascii=False, sort_keys=True)).encode("utf-8"))
                separator = ",\n  "
        handle.write(b"\n ]\n}\n")

