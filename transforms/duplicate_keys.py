"""FindDuplicateKeys: source rows that would map to the same item key.

Every key is a one-to-one function of its item type's source identity (the key parsers in
schema/entities.py invert it), so two rows collide exactly when their identities are equal
byte for byte. Where the identity is the table's primary key that cannot happen; elsewhere
(problems: platform + problem number, unique only if the constraint exists) MySQL finds the
groups itself, so no per-item state is held here. The result is small and feeds ToItems as a
side input: every row of a colliding group is dead-lettered, naming the others, instead of
one silently overwriting another.
"""

from __future__ import annotations

import apache_beam as beam

from connectors.mysql.beam_io import EngineDoFn
from connectors.mysql.queries import duplicate_identities
from schema.entities import ITEM_SPECS, SOURCE_SPECS


def can_collide(table: str) -> bool:
    """Whether two rows of `table` can map to one item key: some item type's identity is not the
    table's primary key. Where none can, there is nothing to look for (and no side input to feed)."""
    source = SOURCE_SPECS[table]
    return any(ITEM_SPECS[tp].identity_columns != (source.key,) for tp in source.items)


class FindDuplicateKeysFn(EngineDoFn):
    def process(self, table: str):
        source = SOURCE_SPECS[table]
        for tp in source.items:
            columns = ITEM_SPECS[tp].identity_columns
            if columns == (source.key,):
                continue
            for identity, keys in duplicate_identities(self._engine, source, columns):
                yield (tp, identity, keys)


class FindDuplicateKeys(beam.PTransform):
    """(item type, identity, [row keys]) for each group of rows that would share a key."""

    def __init__(self, mysql_config, table: str):
        super().__init__()
        self._mysql_config = mysql_config
        self._table = table

    def expand(self, pbegin):
        return (pbegin | "Table" >> beam.Create([self._table])
                | "FindDuplicates" >> beam.ParDo(FindDuplicateKeysFn(self._mysql_config)))
