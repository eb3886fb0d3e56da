"""SizeStatsFn as a combiner in a TestPipeline: partial statistics per bundle merge per item type."""

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from transforms.item_stats import SizeStats, SizeStatsFn
from tests.transforms.support import pinned_pipeline


def partial(*sizes, in_gsi1=False):
    stats = SizeStats()
    for size in sizes:
        stats.add((size, in_gsi1, 0, 10, 0))
    return stats


def test_partials_of_one_item_type_merge_into_one_record():
    with pinned_pipeline() as p:
        records = (p | beam.Create([("usr", partial(100, 2000, in_gsi1=True)), ("usr", partial(500, in_gsi1=True)),
                                    ("plan", partial(300))])
                   | beam.CombinePerKey(SizeStatsFn())
                   | beam.MapTuple(lambda tp, r: (tp, r["items"], r["bytes"], r["min"], r["max"], r["write_units"],
                                                  r["index_write_units"], r["long_name_bytes"])))
        # usr: 3 items, 2,600 bytes; write units 1 + 2 + 1 (1 KB each); GSI1 (ALL) costs the same again.
        assert_that(records, equal_to([("usr", 3, 2600, 100, 2000, 4, 4, 2630), ("plan", 1, 300, 300, 300, 1, 0, 310)]))
