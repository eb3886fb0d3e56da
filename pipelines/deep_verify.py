"""`algoitny-etl verify --deep`: prove item by item that nothing was lost or changed.

Pass 1 (always): the Scan drives the comparison while SQL counts say how many items each
type should have (transforms/deep_compare.CompareWithSource). Pass 2 (only for item types
where the Scan found fewer expected items than the source implies): the source side is
walked to name them (NameUnseenExpected). Classes per item type: ok, mismatched (with
attribute paths), missing, unexpected, unmappable.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import apache_beam as beam

from connectors.files.json_lines import WriteJsonLines, read_json_lines
from pipelines import common
from reports import deep_verify_report
from schema.entities import item_types_for
from transforms.deep_compare import CompareWithSource, DeepCompareScope, NameUnseenExpected


@dataclass(frozen=True)
class Paths:
    counts: str
    differences: str


def _count_record(element) -> dict:
    (tp, kind), count = element
    return {"tp": tp, "class": kind, "count": count}


def _write_results(results: dict, paths: Paths) -> None:
    _ = (results["counts"] | "SumClasses" >> beam.CombinePerKey(sum) | "CountRecord" >> beam.Map(_count_record)
         | "WriteCounts" >> WriteJsonLines(paths.counts))
    _ = results["differences"] | "WriteDifferences" >> WriteJsonLines(paths.differences)


def build_compare_pipeline(p: beam.Pipeline, scope: DeepCompareScope, paths: Paths) -> None:
    _write_results(p | "CompareWithSource" >> CompareWithSource(scope), paths)


def build_unseen_pipeline(p: beam.Pipeline, scope: DeepCompareScope, item_types: tuple[str, ...], paths: Paths) -> None:
    _write_results(p | "NameUnseenExpected" >> NameUnseenExpected(scope, item_types), paths)


def _paths(pipeline_options, name: str) -> Paths:
    return Paths(common.temp_path(pipeline_options, f"{name}-counts.jsonl"),
                 common.temp_path(pipeline_options, f"{name}-differences.jsonl"))


def _by_type(records: list[dict]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        table[record["tp"]][record["class"]] += record["count"]
    return table


def scope_of(settings) -> DeepCompareScope:
    return DeepCompareScope(settings.mysql, settings.dynamo, settings.tables, settings.now, settings.segments,
                            settings.rows_per_range, settings.sample_rate, settings.compress_over)


def run_deep(settings, pipeline_options) -> int:
    scope = scope_of(settings)
    types = item_types_for(settings.tables)
    first = _paths(pipeline_options, "deep-pass1")
    pipeline = beam.Pipeline(options=pipeline_options)
    build_compare_pipeline(pipeline, scope, first)
    pipeline.run().wait_until_finish()
    counts = _by_type(read_json_lines(first.counts))
    difference_files = [first.differences]

    short = tuple(tp for tp in types if counts[tp]["found"] < counts[tp]["expected"])
    if short:
        print(f"pass 2: the Scan found fewer items than the source implies for {', '.join(short)}; "
              "walking the source to name them")
        second = _paths(pipeline_options, "deep-pass2")
        pipeline = beam.Pipeline(options=pipeline_options)
        build_unseen_pipeline(pipeline, scope, short, second)
        pipeline.run().wait_until_finish()
        for tp, classes in _by_type(read_json_lines(second.counts)).items():
            counts[tp].update(classes)
        difference_files.append(second.differences)
    differing = deep_verify_report.report(settings, types, counts, difference_files)
    return common.EXIT_DIFFERENCES if differing else common.EXIT_OK
