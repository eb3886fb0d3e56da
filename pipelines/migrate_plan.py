"""What a migrate run reads: the key ranges of a new run, or what an unfinished run has left.

A new run cuts each table into key ranges now and records them with its options
(connectors/dynamodb/run_state.py); the writer records each range once all of its items are
written. `--resume` finds the run (by id, or the newest one of those tables), refuses a finished
one, and reads only the ranges not recorded as done, with the run's own options, so the
items come out exactly as the first attempt would have written them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from state.migration_runs import MigrationRun, RunStateError, RunStore
from connectors.mysql.binlog import start_marks
from connectors.mysql.config import MySQLConfig
from connectors.mysql.key_ranges import KeyRange, boundaries_of, ranges_from_boundaries, split_tables
from schema.entities import SOURCE_SPECS
from schema.state_items import RUNNING, new_run_id


@dataclass(frozen=True)
class ReadPlan:
    """The key ranges to read per table, for run `run` (None: a dry run, nothing recorded)."""

    ranges: dict[str, list[KeyRange]]
    run: MigrationRun | None = None
    resumed: bool = False
    skipped_ranges: int = 0
    skipped_rows: int = 0
    total_ranges: int = field(default=0)
    no_binlog: str | None = None  # why the run has no binlog position for sync, if it has none
    rows: int | None = None  # rows the ranges hold, when they were cut now (for progress)

    @property
    def run_id(self) -> str | None:
        return self.run.run_id if self.run else None

    def summary(self) -> dict:
        return {"run_id": self.run_id, "resumed": self.resumed, "ranges": self.total_ranges,
                "skipped_ranges": self.skipped_ranges, "skipped_rows": self.skipped_rows}


def plan_dry_run(mysql: MySQLConfig, tables: tuple[str, ...], rows_per_range: int) -> ReadPlan:
    ranges, rows = split_tables(mysql, [SOURCE_SPECS[t] for t in tables], rows_per_range)
    return ReadPlan(ranges, total_ranges=sum(map(len, ranges.values())), rows=rows)


def plan_new_run(store: RunStore, mysql: MySQLConfig, tables: tuple[str, ...], rows_per_range: int, now: int,
                 compress_over: int | None) -> ReadPlan:
    """Record a new run: where the source's binlog stands (before any row is read: the sync that
    follows starts there, so nothing changed during the load is missed), and its key ranges."""
    binlog, watermarks, no_binlog = start_marks(
        mysql, [(t, SOURCE_SPECS[t].key, SOURCE_SPECS[t].key_is_integer) for t in tables])
    ranges, rows = split_tables(mysql, [SOURCE_SPECS[t] for t in tables], rows_per_range)
    run = MigrationRun(new_run_id(now), tables, now, compress_over, rows_per_range, started=now, binlog=binlog,
                       watermarks=watermarks)
    store.start(run, {table: boundaries_of(found) for table, found in ranges.items()})
    return ReadPlan(ranges, run, total_ranges=sum(map(len, ranges.values())), no_binlog=no_binlog, rows=rows)


def find_run(store: RunStore, wanted: str, tables: tuple[str, ...] | None) -> MigrationRun:
    """The run `wanted` names ("latest": the newest of `tables`, or of any tables when None)."""
    if wanted != "latest":
        run = store.get(wanted)
        if run is None:
            raise RunStateError(f"there is no migrate run {wanted} in this table")
    else:
        run = store.latest(tables)
        if run is None:
            which = f"of {', '.join(tables)} " if tables else ""
            raise RunStateError(f"there is no migrate run {which}to resume; start one without --resume")
    if tables is not None and run.tables != tables:
        raise RunStateError(f"run {run.run_id} migrates {', '.join(run.tables)}, not {', '.join(tables)}; "
                            "resume it without --entity, or name another run")
    if run.status != RUNNING:
        raise RunStateError(f"run {run.run_id} finished; a finished run cannot be resumed. Run migrate again "
                            "(puts are idempotent), or `verify --deep --repair` to mend what differs")
    return run


def plan_resume(store: RunStore, run: MigrationRun) -> ReadPlan:
    done = store.done(run.run_id)
    remaining, skipped_ranges, skipped_rows, total = {}, 0, 0, 0
    for table, edges in store.boundaries(run).items():
        ranges = ranges_from_boundaries(table, edges)
        finished = done.get(table, {})
        remaining[table] = [r for r in ranges if r.index not in finished]
        total += len(ranges)
        skipped_ranges += len(ranges) - len(remaining[table])
        skipped_rows += sum(finished.values())
    return ReadPlan(remaining, run, resumed=True, skipped_ranges=skipped_ranges, skipped_rows=skipped_rows,
                    total_ranges=total)
