"""ByTableBatchesFn: elements gathered per source table, so that each batch is one MySQL look-up
(deep verify's comparison, repair's plan and recheck): a table's batch goes as soon as it is
full, the rest in finish_bundle."""

from __future__ import annotations

from collections import defaultdict

from connectors.mysql.beam_io import EngineDoFn
from connectors.mysql.config import MySQLConfig
from connectors.windowing import in_global_window


class ByTableBatchesFn(EngineDoFn):
    def __init__(self, mysql_config: MySQLConfig, batch_size: int):
        super().__init__(mysql_config)
        self._batch_size = batch_size

    def table_of(self, element) -> str | None:
        """The source table `element` belongs to; None leaves it out."""
        raise NotImplementedError

    def batch(self, table: str, elements: list):
        """Outputs of one full (or last) batch of `table`."""
        raise NotImplementedError

    def start_bundle(self):
        self._pending = defaultdict(list)

    def process(self, element):
        table = self.table_of(element)
        if table is None:
            return
        self._pending[table].append(element)
        if len(self._pending[table]) >= self._batch_size:
            yield from self.batch(table, self._pending.pop(table))

    def finish_bundle(self):
        for table in list(self._pending):
            for output in self.batch(table, self._pending.pop(table)):
                yield in_global_window(output)
