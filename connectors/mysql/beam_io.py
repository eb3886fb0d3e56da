"""The MySQL connector's Beam side: ReadMySQLTable / ReadKeyRanges, ReadChangedRows and
ReadBinlogWindow, and the DoFns that hold an engine.

Shape (as datastoreio's read): Create([table]) | Split | Reshuffle | Read. Each DoFn makes
its engine in setup() on the worker, from the factory it was given (by default
`engines.engine`), never when the pipeline is built.
"""

from __future__ import annotations

import logging
from typing import Callable

import apache_beam as beam
import sqlalchemy as sa
from apache_beam.metrics import Metrics

from connectors import metrics
from connectors.files.progress import ProgressFile
from connectors.mysql import engines
from connectors.mysql.binlog import read_window
from connectors.mysql.binlog_positions import BinlogWindow
from connectors.mysql.config import MySQLConfig
from connectors.mysql.key_ranges import DEFAULT_ROWS_PER_RANGE, KeyRange, RangeEnd, TableRow, split_key_ranges
from connectors.mysql.queries import stream_changed, stream_range_with_retries
from schema.entities import SOURCE_SPECS

_LOG = logging.getLogger(__name__)
EngineFactory = Callable[[MySQLConfig], sa.Engine]


class EngineDoFn(beam.DoFn):
    """A DoFn holding one SQLAlchemy engine per worker instance, made in setup()."""

    def __init__(self, mysql_config: MySQLConfig, engine_factory: EngineFactory = engines.engine):
        self._mysql_config = mysql_config
        self._engine_factory = engine_factory
        self._engine = None

    def setup(self):
        self._engine = self._engine_factory(self._mysql_config)

    def teardown(self):
        if self._engine is not None:
            self._engine.dispose()


class SplitIntoKeyRanges(EngineDoFn):
    """table name -> KeyRange elements covering its whole primary-key space."""

    def __init__(self, mysql_config: MySQLConfig, rows_per_range: int):
        super().__init__(mysql_config)
        self._rows_per_range = rows_per_range

    def process(self, table: str):
        with self._engine.connect() as conn:
            yield from split_key_ranges(conn, SOURCE_SPECS[table], self._rows_per_range)


class ReadKeyRange(EngineDoFn):
    """KeyRange -> the rows in it, as dicts of column (or join alias) -> value.

    A dropped connection is read on from the last row delivered (queries.stream_range_with_retries).
    With `track`, each row leaves as (origin, row) and the range's RangeEnd follows its last row,
    so the steps after it can tell when everything read from a range has been handled. With
    `tagged` (ranges of several tables in one read), each row leaves as a TableRow naming its
    table (and its origin when tracked).
    """

    def __init__(self, mysql_config: MySQLConfig, progress_dir: str | None = None, track: bool = False,
                 tagged: bool = False):
        super().__init__(mysql_config)
        self._progress_dir = progress_dir
        self._track = track
        self._tagged = tagged

    def setup(self):
        super().setup()
        self._reconnects = Metrics.counter(metrics.NAMESPACE, metrics.READ_RECONNECTS)
        self._rows = {}
        self._total = 0
        self._progress = ProgressFile(self._progress_dir, "read") if self._progress_dir else None

    def process(self, key_range: KeyRange):
        counter = self._rows.get(key_range.table)
        if counter is None:
            counter = self._rows[key_range.table] = Metrics.counter(metrics.NAMESPACE, metrics.rows_read(key_range.table))
        count, origin, table = 0, key_range.origin, key_range.table
        for row in stream_range_with_retries(self._engine, SOURCE_SPECS[table], key_range,
                                             on_retry=self._reconnected):
            count += 1
            if self._progress is not None and not count % 1000:
                self._progress.update({"rows_read": self._total + count})
            if self._tagged:
                yield TableRow(table, origin if self._track else None, row)
            else:
                yield (origin, row) if self._track else row
        counter.inc(count)
        self._total += count
        if self._progress is not None:
            self._progress.update({"rows_read": self._total}, force=True)
        if self._track:
            yield RangeEnd(key_range.table, key_range.index, count)


    def _reconnected(self, message: str) -> None:
        self._reconnects.inc()
        _LOG.warning(message)


class SplitTable(beam.PTransform):
    """A source table as a PCollection of KeyRanges, spread over workers."""

    def __init__(self, mysql_config: MySQLConfig, table: str, rows_per_range: int = DEFAULT_ROWS_PER_RANGE):
        super().__init__()
        self._mysql_config = mysql_config
        self._table = table
        self._rows_per_range = rows_per_range

    def expand(self, pbegin):
        return (
            pbegin
            | "Table" >> beam.Create([self._table])
            | "SplitIntoKeyRanges" >> beam.ParDo(SplitIntoKeyRanges(self._mysql_config, self._rows_per_range))
            | "Distribute" >> beam.Reshuffle()
        )


class ReadMySQLTable(beam.PTransform):
    """The rows of one source table, read range by range in parallel."""

    def __init__(self, mysql_config: MySQLConfig, table: str, rows_per_range: int = DEFAULT_ROWS_PER_RANGE,
                 progress_dir: str | None = None):
        super().__init__()
        self._mysql_config = mysql_config
        self._table = table
        self._rows_per_range = rows_per_range
        self._progress_dir = progress_dir

    def expand(self, pbegin):
        return (
            pbegin
            | "Split" >> SplitTable(self._mysql_config, self._table, self._rows_per_range)
            | "ReadKeyRange" >> beam.ParDo(ReadKeyRange(self._mysql_config, self._progress_dir))
        )


class ReadKeyRanges(beam.PTransform):
    """The rows of the given key ranges (cut beforehand, e.g. the ranges a resumed run has left).
    `tagged`: the ranges may be of several tables, and rows leave as TableRows."""

    def __init__(self, mysql_config: MySQLConfig, ranges: list[KeyRange], progress_dir: str | None = None,
                 track: bool = False, tagged: bool = False):
        super().__init__()
        self._mysql_config = mysql_config
        self._ranges = list(ranges)
        self._progress_dir = progress_dir
        self._track = track
        self._tagged = tagged

    def expand(self, pbegin):
        return (
            pbegin
            | "Ranges" >> beam.Create(self._ranges)
            | "Distribute" >> beam.Reshuffle()
            | "ReadKeyRange" >> beam.ParDo(ReadKeyRange(self._mysql_config, self._progress_dir, self._track,
                                                        self._tagged))
        )


class ReadChangedRowsFn(EngineDoFn):
    """table -> its rows changed since a watermark (queries.stream_changed)."""

    def __init__(self, mysql_config: MySQLConfig, since: object | None, after_key: object | None):
        super().__init__(mysql_config)
        self._since = since
        self._after_key = after_key

    def process(self, table: str):
        yield from stream_changed(self._engine, SOURCE_SPECS[table], self._since, self._after_key)


class ReadChangedRows(beam.PTransform):
    """The rows of `table` updated since `since` (or, without updated_at, added after key `after_key`)."""

    def __init__(self, mysql_config: MySQLConfig, table: str, since: object | None, after_key: object | None):
        super().__init__()
        self._mysql_config = mysql_config
        self._table = table
        self._since = since
        self._after_key = after_key

    def expand(self, pbegin):
        return (pbegin
                | "Table" >> beam.Create([self._table], reshuffle=False)
                | "ReadChanged" >> beam.ParDo(ReadChangedRowsFn(self._mysql_config, self._since, self._after_key)))


class ReadBinlogWindowFn(beam.DoFn):
    """BinlogWindow -> its RowChanges and SchemaChanges, in binlog order (one reader: the log is one stream)."""

    def __init__(self, mysql_config: MySQLConfig):
        self._mysql_config = mysql_config

    def setup(self):
        self._events = Metrics.counter(metrics.NAMESPACE, metrics.SYNC_EVENTS_READ)

    def process(self, window: BinlogWindow):
        for change in read_window(self._mysql_config, window.start, window.end, window.tables):
            self._events.inc()
            yield change


class ReadBinlogWindow(beam.PTransform):
    """The row changes of `window` as a PCollection, in binlog order."""

    def __init__(self, mysql_config: MySQLConfig, window: BinlogWindow):
        super().__init__()
        self._mysql_config = mysql_config
        self._window = window

    def expand(self, pbegin):
        return (pbegin
                | "Window" >> beam.Create([self._window], reshuffle=False)
                | "ReadBinlog" >> beam.ParDo(ReadBinlogWindowFn(self._mysql_config)))
