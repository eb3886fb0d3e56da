"""`algoitny-etl verify --deep [--repair [--dry-run]]`: prove item by item that nothing was lost or
changed, and mend what was.

Pass 1 (always): the Scan drives the comparison while SQL counts say how many items each
type should have (transforms/deep_compare.CompareWithSource). Pass 2 (only for item types
where the Scan found fewer expected items than the source implies): the source side is
walked to name them (NameUnseenExpected). Classes per item type: ok, mismatched (with
attribute paths), missing, unexpected, unmappable.

With --repair, pass 3 puts the mapped item for every missing and mismatched key and deletes
every unexpected item (transforms/repair.PlanRepairs), and pass 4 looks at each of those keys
again (RecheckKeys). With --dry-run, pass 3 only plans: nothing is written.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import apache_beam as beam
import sqlalchemy as sa

from connectors.errors import RunStopped
from connectors.dynamodb.beam_io import WriteToDynamoDB
from connectors.files.json_lines import WriteJsonLines, iter_json_lines, read_json_lines, remove_if_empty
from connectors.mysql import binlog_positions
from connectors.mysql.binlog import BinlogPosition, BinlogUnavailable
from pipelines import basics, execution
from pipelines.runners import new_pipeline
from reports import deep_verify_report
from reports.deep_verify_report import Findings, Repair
from schema.entities import item_types_for
from schema.state_items import new_run_id
from state.cutover import CutoverStore, Verified
from state.sync_checkpoints import SyncState
from transforms.deep_compare import CompareWithSource, DeepCompareScope, NameUnseenExpected
from transforms.repair import MendMySql, PlanRepairs, RecheckKeys


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


def _read_records(p: beam.Pipeline, label: str, files: list[str]):
    return ([p | f"Read {label} {n}" >> beam.io.ReadFromText(path) for n, path in enumerate(files)]
            | f"All {label}" >> beam.Flatten() | f"Parse {label}" >> beam.Map(json.loads))


def build_repair_pipeline(p: beam.Pipeline, settings, difference_files: list[str], actions_path: str,
                          dead_letter_path: str) -> None:
    """Pass 3: plan the repairs of what the passes found, and write them (unless a dry run): to the
    table, or with --to mysql to MySQL (rows from the table's items)."""
    differences = _read_records(p, "differences", difference_files)
    if settings.repair_to == "mysql":
        mended = differences | "MendMySql" >> MendMySql(settings.mysql, settings.dynamo, settings.dry_run)
        _ = mended["actions"] | "WriteActions" >> WriteJsonLines(actions_path)
        _ = mended["dead_letter"] | "WriteDeadLetters" >> WriteJsonLines(dead_letter_path)
        return
    planned = differences | "PlanRepairs" >> PlanRepairs(settings.mysql, settings.now)
    _ = planned["actions"] | "WriteActions" >> WriteJsonLines(actions_path)
    if not settings.dry_run:
        failed = planned["writes"] | "Write" >> WriteToDynamoDB(settings.dynamo, settings.writer)
        _ = failed | "WriteDeadLetters" >> WriteJsonLines(dead_letter_path)


def build_recheck_pipeline(p: beam.Pipeline, settings, actions_path: str, paths: Paths) -> None:
    """Pass 4: what each repaired key holds now, against what the source implies there."""
    _write_results(_read_records(p, "actions", [actions_path])
                   | "RecheckKeys" >> RecheckKeys(settings.mysql, settings.dynamo, settings.now), paths)


def _paths(pipeline_options, name: str) -> Paths:
    return Paths(basics.temp_path(pipeline_options, f"{name}-counts.jsonl"),
                 basics.temp_path(pipeline_options, f"{name}-differences.jsonl"))


def _by_type(records: list[dict]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        table[record["tp"]][record["class"]] += record["count"]
    return table


def scope_of(settings) -> DeepCompareScope:
    return DeepCompareScope(settings.mysql, settings.dynamo, settings.tables, settings.now, settings.segments,
                            settings.rows_per_range, settings.sample_rate)


def _run(pipeline_options, build, *args) -> None:
    pipeline = new_pipeline(pipeline_options)
    build(pipeline, *args)
    execution.run_pipeline(pipeline)


def find(settings, pipeline_options) -> Findings:
    """Passes 1 and 2."""
    scope = scope_of(settings)
    types = item_types_for(settings.tables)
    first = _paths(pipeline_options, "deep-pass1")
    _run(pipeline_options, build_compare_pipeline, scope, first)
    counts = _by_type(read_json_lines(first.counts))
    difference_files = [first.differences]
    short = tuple(tp for tp in types if counts[tp]["found"] < counts[tp]["expected"])
    if short:
        print(f"pass 2: the Scan found fewer items than the source implies for {', '.join(short)}; "
              "walking the source to name them")
        second = _paths(pipeline_options, "deep-pass2")
        _run(pipeline_options, build_unseen_pipeline, scope, short, second)
        for tp, classes in _by_type(read_json_lines(second.counts)).items():
            counts[tp].update(classes)
        difference_files.append(second.differences)
    return Findings(counts, difference_files)


def repair(settings, pipeline_options, findings: Findings) -> Repair:
    """Passes 3 and 4."""
    actions_path = basics.temp_path(pipeline_options, "repair-actions.jsonl")
    _run(pipeline_options, build_repair_pipeline, settings, findings.difference_files, actions_path,
         settings.dead_letter_path)
    actions: dict[str, Counter] = defaultdict(Counter)
    for record in read_json_lines(actions_path):
        actions[record["tp"]][f"{record['action']} {record['class']}"] += 1
    outcome = Repair(settings.dry_run, actions, actions_path, dead_letter_path=settings.dead_letter_path)
    if not settings.dry_run:
        outcome.failed = sum(1 for _ in iter_json_lines(settings.dead_letter_path))
    remove_if_empty(settings.dead_letter_path)  # a dry run (--to mysql) writes none, yet its sink makes the file
    if settings.dry_run:
        return outcome
    rechecked = _paths(pipeline_options, "repair-recheck")
    _run(pipeline_options, build_recheck_pipeline, settings, actions_path, rechecked)
    outcome.recheck = _by_type(read_json_lines(rechecked.counts))
    outcome.remaining_file = rechecked.differences
    return outcome


def run_deep(settings, pipeline_options) -> int:
    types = item_types_for(settings.tables)
    started = int(time.time())
    position = position_before(settings)
    findings = find(settings, pipeline_options)
    deep_verify_report.print_findings(settings, types, findings)
    differing = findings.differing(types)
    outcome = None
    if settings.repair and differing:
        try:
            outcome = repair(settings, pipeline_options, findings)
        except RunStopped as error:
            print(f"verify: repair stopped: {error}", file=sys.stderr)
            return basics.EXIT_CANNOT_RUN
        deep_verify_report.print_repair(types, outcome)
        if not settings.dry_run:
            unmappable = sum(findings.counts[tp]["unmappable"] for tp in types)
            # A write that failed is found again by the recheck (its key is in the actions file).
            differing = outcome.still_differing() + unmappable
    if settings.report_path:
        deep_verify_report.write_json(settings, types, findings, ok=not differing, repair=outcome)
        print(f"\nreport: {settings.report_path}")
    code = verdict(settings, differing, outcome)
    if code == basics.EXIT_OK and not (outcome is not None and outcome.dry_run) and settings.repair_to == "table":
        record_proof(settings, started, position, repaired=outcome is not None)
    return code


def position_before(settings) -> dict | None:
    """Where the binary log stood before the scan (what a clean verify proves the table consistent
    with: replaying the log from there gives the source's state), None where it cannot be read."""
    try:
        return binlog_positions.position_now(settings.mysql).as_record()
    except (BinlogUnavailable, sa.exc.DBAPIError):
        return None


def record_proof(settings, started: int, position: dict | None, repaired: bool) -> None:
    """What a clean run proved, per table (cutover verifies only what changed since a full one).
    A clean full repair also re-seats sync's checkpoints that are older, purged or missing: the
    table equals the source as of `position`, so sync can go on from there."""
    run_id = new_run_id(started, "verify-")
    CutoverStore(settings.dynamo).record_verified([Verified(t, started, position, settings.sample_rate, run_id)
                                                   for t in settings.tables])
    what = "every row" if settings.sample_rate >= 1 else f"a {settings.sample_rate:g} sample"
    print(f"recorded: {what} of {', '.join(settings.tables)} verified, consistent with binlog "
          f"{BinlogPosition.from_record(position) if position else '(none: the server has no readable binlog)'}")
    if repaired and position and settings.sample_rate >= 1:
        reseat_checkpoints(settings, position, run_id)


def reseat_checkpoints(settings, position: dict, run_id: str) -> None:
    state = SyncState(settings.dynamo)
    owner = basics.owner(run_id)
    if state.lease.take(owner, 60) is not None:
        print("note: sync's lease is held, so its checkpoints were left as they are", file=sys.stderr)
        return
    try:
        at = BinlogPosition.from_record(position)
        behind = [t for t, c in state.checkpoints().items() if t in settings.tables and
                  (not c.binlog or BinlogPosition.from_record(c.binlog).order() < at.order())]
        behind += [t for t in settings.tables if t not in state.checkpoints()]
        if behind:
            state.reseat(owner, tuple(dict.fromkeys(behind)), position, run_id)
            print(f"sync checkpoint of {', '.join(dict.fromkeys(behind))} re-seated at {at} (the table equals the "
                  "source there)")
    finally:
        state.lease.release(owner)


def verdict(settings, differing: int, outcome: Repair | None) -> int:
    if not differing:
        print("verify --deep: every item is ok" + (" after repair" if outcome and not outcome.dry_run else ""))
        return basics.EXIT_OK
    if outcome is not None and not outcome.dry_run:
        print(f"verify --deep --repair: {differing} item(s) still differ (unmappable rows need a fix at the "
              "source; see the report)", file=sys.stderr)
    else:
        print(f"verify --deep: {differing} item(s) differ", file=sys.stderr)
    return basics.EXIT_DIFFERENCES
