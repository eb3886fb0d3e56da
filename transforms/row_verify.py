"""Named rows verified item by item, without a scan: the verify inside cutover's and rollback's
freeze, which must not grow with the table.

Plain code, no Beam: the rows are the ones changed since the last clean full `verify --deep`
(read from the binary log) and a fixed random sample, thousands not millions, and a pipeline
would add its start-up to the freeze. Each row is mapped with the migration's specs as it is in
MySQL now and compared with the table in verify's canonical form (missing, unexpected,
mismatched); the keys its items had before a change (a moved email, a deleted row) must be
gone from the table unless the row maps to them again.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from connectors.dynamodb import clients
from connectors.dynamodb.reads import MAX_BATCH_GET_KEYS, batch_get
from connectors.mysql import binlog, engines
from connectors.mysql.binlog import BinlogPosition
from connectors.mysql.joins import JoinedValues
from connectors.mysql.queries import random_keys, select_by_identity
from schema import canonical, compression
from schema.entities import ITEM_SPECS, SOURCE_SPECS, tables_read_with
from schema.spec import RowRejected
from transforms.deep_compare import difference

LOOKUP_CHUNK = 500


@dataclass
class RowCheck:
    counts: Counter = field(default_factory=Counter)  # (tp, class) -> n
    differences: list[dict] = field(default_factory=list)  # deep verify's difference records

    @property
    def differing(self) -> int:
        return sum(n for (_, kind), n in self.counts.items() if kind != "ok")


class RowsToVerify:
    """The rows a window of changes touched (and the item keys they had), and a random sample."""

    def __init__(self, engine):
        self._engine = engine
        self._joins = JoinedValues(engine, SOURCE_SPECS)
        self.rows: dict[str, set] = {}
        self.stale_keys: dict[tuple[str, str], str] = {}

    def add_row(self, table: str, key: object) -> None:
        if table in SOURCE_SPECS and key is not None:
            self.rows.setdefault(table, set()).add(key)

    def add_change(self, table: str, before: dict | None, after: dict | None) -> None:
        """A row change from the binary log: the row, the keys its items had, and, for a parent,
        its children (their items follow the parent's joined values)."""
        for image in (before, after):
            if image is not None and table in SOURCE_SPECS:
                self.add_row(table, image.get(SOURCE_SPECS[table].key))
        if before is not None and table in SOURCE_SPECS:
            joined = self._joins.joined(table, before)
            for tp in SOURCE_SPECS[table].items:
                spec = ITEM_SPECS[tp]
                try:
                    if spec.produces_item_for(joined):
                        built = spec.key_builder(joined)
                        self.stale_keys[(built["PK"], built["SK"])] = tp
                except (RowRejected, ValueError, TypeError, KeyError):
                    pass
        for source, join in self._joins.children_of(table):
            parent = (after or before or {}).get(join.remote_column)
            if parent is not None:
                for row in self._joins.child_rows(source, join, parent):
                    self.add_row(source.table, row[source.key])
        self._joins.parent_changed(table, before, after)

    def add_sample(self, per_table: int, rng: random.Random) -> int:
        """Up to `per_table` random rows of every source table (by key probes: no full read)."""
        added = 0
        for table, source in SOURCE_SPECS.items():
            for key in random_keys(self._engine, source, per_table, rng):
                self.add_row(table, key)
                added += 1
        return added


def verify_rows(engine, client, table_name: str, now: int, rows: dict[str, set],
                stale_keys: dict[tuple[str, str], str]) -> RowCheck:
    """Each row's items (as MySQL maps now) against the table; each stale key must be gone."""
    expected: dict[tuple[str, str], dict] = {}
    for table, keys in rows.items():
        source = SOURCE_SPECS[table]
        for chunk in _chunks(sorted(keys, key=repr), LOOKUP_CHUNK):
            for row in select_by_identity(engine, source, (source.key,), [(k,) for k in chunk]):
                for tp in source.items:
                    spec = ITEM_SPECS[tp]
                    if not spec.produces_item_for(row):
                        continue
                    try:
                        item = spec.to_item(row, compression.AS_NEEDED)
                    except RowRejected:
                        continue
                    if not spec.is_expired(item, now):
                        expected[(item["PK"], item["SK"])] = item
    wanted = sorted(set(expected) | set(stale_keys))
    actual = {}
    for chunk in _chunks(wanted, MAX_BATCH_GET_KEYS):
        for item in batch_get(client, table_name, [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in chunk]):
            actual[(item["PK"]["S"], item["SK"]["S"])] = item
    check = RowCheck()
    for key in wanted:
        want, have = expected.get(key), actual.get(key)
        if want is None and (have is None or have.get("tp", {}).get("S") not in ITEM_SPECS):
            continue  # a stale key that is gone, as it should be
        tp = want["tp"] if want is not None else have["tp"]["S"]
        kind, paths = "ok", None
        if have is None:
            kind = "missing"
        elif want is None:
            kind = "unexpected"
        else:
            paths = canonical.differing_paths(canonical.item_from_python(want), canonical.item_from_wire(have))
            kind = "mismatched" if paths else "ok"
        check.counts[(tp, kind)] += 1
        if kind != "ok":
            check.differences.append(difference(kind, tp, key[0], key[1], paths))
    return check


def _chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def check_changed_rows(mysql, dynamo, since: BinlogPosition, end: BinlogPosition, sample: int, now: int) -> dict:
    """The verify of cutover's and rollback's freeze: the rows the binary log shows changed between
    `since` and `end` (with the keys their items had) and `sample` random rows per table; a report."""
    engine = engines.engine(mysql)
    try:
        rows = RowsToVerify(engine)
        changes = 0
        for change in binlog.read_window(mysql, since, end, tables_read_with(tuple(SOURCE_SPECS))):
            if isinstance(change, binlog.RowChange):
                rows.add_change(change.table, change.before, change.after)
                changes += 1
        changed = sum(map(len, rows.rows.values()))
        sampled = rows.add_sample(sample, random.Random())
        check = verify_rows(engine, clients.client(dynamo), dynamo.table, now, rows.rows, rows.stale_keys)
    finally:
        engine.dispose()
    return {"mode": "changed rows", "since": str(since), "changes": changes, "changed_rows": changed,
            "sampled_rows": sampled, "counts": {f"{tp} {kind}": n for (tp, kind), n in sorted(check.counts.items())},
            "differing": check.differing, "differences": check.differences[:20]}
