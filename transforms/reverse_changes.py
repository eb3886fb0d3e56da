"""The table's changes, from its stream, applied to MySQL (reverse sync, after cut-over).

Plain code, no Beam: what reverse sync carries is the application's own writes through the
validation period, bounded by its write rate, and the stream is read shard by shard in lineage
order anyway; a pipeline would only add its start-up.

- A record names an item and its row; items of other types (the application's counters and
  guards, the tool's own state) and look-up items whose row another item carries (`usr_gid`)
  are skipped.
- A row's changes in one run end in its last state: the row's item lives in one shard, whose
  records keep its order. A row whose last record is a put is written from the item as the
  table holds it now (read back, consistently, a hundred at a time): the row's state is the
  item's, however many records led there, and a stream image is never the only copy trusted
  (DynamoDB Local writes an empty map as `{}` in stream images, which no type can be read from).
  The item gone by then: the row is deleted, as the record still to come will say.
- Rows are written parents first (plans, users, problems before test cases, history, usage,
  jobs before their progress) and deleted children first, so MySQL's foreign keys hold; a row
  whose parent comes later anyway (another shard) is tried again once the rest is written.
- A deletion made by DynamoDB's TTL (the record's service identity) deletes no row unless
  `mirror_ttl_deletes`: the row was kept in MySQL, the item only aged out of the table.
- A row MySQL still refuses is a dead letter (stage `reverse`) naming the item; `replay` reads
  the item again from the table and writes the row as it is then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from connectors.dynamodb.streams import is_ttl_delete
from connectors.dynamodb.wire import value_of
from connectors.mysql.row_writer import RowRefused, RowWriter
from schema.dead_letters import dead_letter_for_reverse
from schema.entities import ITEM_SPECS, SOURCE_SPECS

TABLE_ORDER = tuple(SOURCE_SPECS)  # parents before children (the catalogue's order)


@dataclass
class RowChange:
    table: str
    key: object
    item_key: dict  # {"PK", "SK"} of the item that carries the row
    tp: str
    row: dict | None  # None: the row is deleted


@dataclass
class ReverseOutcome:
    counts: Counter = field(default_factory=Counter)  # (tp, kind) -> n
    dead_letters: list[dict] = field(default_factory=list)
    last_record_time: float | None = None
    tables_written: set = field(default_factory=set)


def _row_key(table: str, item: dict) -> object:
    """The source row's primary key, which every item keeps in `dat.id`."""
    key = item.get("dat", {}).get("id")
    return int(key) if SOURCE_SPECS[table].key_is_integer and key is not None else key


class ReverseChanges:
    """Records in, rows out: `add()` each stream record in shard order, then `apply()`."""

    def __init__(self, writer: RowWriter, mirror_ttl_deletes: bool = False, fetch=None):
        """`fetch(item keys) -> {(PK, SK): item as boto3 reads it}`: the items as the table holds them
        now (records name them; `upsert_item` callers hand the items themselves)."""
        self._writer = writer
        self._mirror_ttl_deletes = mirror_ttl_deletes
        self._fetch = fetch
        self._rows: dict[tuple[str, object], RowChange] = {}
        self._to_read: dict[tuple[str, object], RowChange] = {}
        self.outcome = ReverseOutcome()

    def add(self, record: dict) -> None:
        data = record["dynamodb"]
        created = data.get("ApproximateCreationDateTime")
        if created is not None:
            stamp = created.timestamp() if hasattr(created, "timestamp") else float(created)
            self.outcome.last_record_time = max(self.outcome.last_record_time or 0, stamp)
        image = data.get("NewImage") or data.get("OldImage") or data.get("Keys") or {}
        tp = image.get("tp", {}).get("S")
        counts = self.outcome.counts
        if tp not in ITEM_SPECS or not RowWriter.carries_row(tp):
            counts[(tp or "?", "skipped")] += 1
            return
        table = ITEM_SPECS[tp].source
        key = _row_key(table, {"dat": {"id": value_of(image["dat"]["M"]["id"])}})
        item_key = {"PK": image["PK"]["S"], "SK": image["SK"]["S"]}
        if record["eventName"] == "REMOVE":
            if is_ttl_delete(record) and not self._mirror_ttl_deletes:
                counts[(tp, "ttl_deletes_kept")] += 1
                return
            self.delete_row(table, key, tp, item_key)
            return
        self._rows.pop((table, key), None)
        self._to_read[(table, key)] = RowChange(table, key, item_key, tp, None)

    def upsert_item(self, item: dict) -> None:
        """The row `item` carries is to be as the item says (python values, as boto3 reads them)."""
        tp = item["tp"]
        table = ITEM_SPECS[tp].source
        key = _row_key(table, item)
        item_key = {"PK": item["PK"], "SK": item["SK"]}
        try:
            _, row = self._writer.row_of(item)
        except RowRefused as refused:
            self._dead(RowChange(table, key, item_key, tp, None), str(refused), refused.code, "upsert")
            return
        self._rows[(table, key)] = RowChange(table, key, item_key, tp, row)

    def delete_row(self, table: str, key: object, tp: str, item_key: dict) -> None:
        self._to_read.pop((table, key), None)
        self._rows[(table, key)] = RowChange(table, key, item_key, tp, None)

    def _read_items(self) -> None:
        """Rows whose last record is a put: their items as the table holds them now."""
        pending, self._to_read = list(self._to_read.values()), {}
        found = self._fetch([(c.item_key["PK"], c.item_key["SK"]) for c in pending]) if pending else {}
        for change in pending:
            item = found.get((change.item_key["PK"], change.item_key["SK"]))
            if item is None:
                self._rows[(change.table, change.key)] = change  # gone since: the row goes too
            else:
                self.upsert_item(item)

    def apply(self) -> ReverseOutcome:
        """Every row's last state into MySQL: upserts parents first, deletes children first."""
        self._read_items()
        changes = list(self._rows.values())
        self._rows = {}
        upserts = sorted((c for c in changes if c.row is not None), key=lambda c: TABLE_ORDER.index(c.table))
        deletes = sorted((c for c in changes if c.row is None), key=lambda c: -TABLE_ORDER.index(c.table))
        retry = []
        for change in upserts:
            if not self._write(change, final=False):
                retry.append(change)
        for change in deletes:
            self._write(change, final=True)
        for change in retry:  # a parent another shard carried is in MySQL now
            self._write(change, final=True)
        for table in self.outcome.tables_written:
            self._writer.raise_auto_increment(table)
        return self.outcome

    def _write(self, change: RowChange, final: bool) -> bool:
        op = "upsert" if change.row is not None else "delete"
        try:
            if change.row is not None:
                self._writer.upsert(change.table, change.row)
                self.outcome.tables_written.add(change.table)
            else:
                self._writer.delete(change.table, change.key)
        except RowRefused as refused:
            if final:
                self._dead(change, str(refused), refused.code, op)
            return False
        self.outcome.counts[(change.tp, "upserts" if change.row is not None else "deletes")] += 1
        return True

    def _dead(self, change: RowChange, reason: str, code: str, op: str) -> None:
        self.outcome.counts[(change.tp, "dead_letters")] += 1
        self.outcome.dead_letters.append(dead_letter_for_reverse(change.table, change.key, change.tp,
                                                                 change.item_key, reason, code, op))
