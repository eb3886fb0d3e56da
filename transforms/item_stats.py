"""Per item type size statistics for the run report: sizes, bytes, write units, name savings.

ToItems aggregates a SizeStats per bundle; SizeStatsFn merges them, so nothing is held per item. p99 comes from a
histogram with buckets 2% wide (reported as the bucket's upper edge, so within 2% above).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import apache_beam as beam

from schema import item_size
from schema.entities import ITEM_SPECS

BUCKET_RATIO = 1.02
STORAGE_OVERHEAD_BYTES = 100  # DynamoDB's per-item storage overhead, base table and each index


def _bucket(size: int) -> int:
    return int(math.log(max(size, 1), BUCKET_RATIO))


def _bucket_top(bucket: int) -> int:
    return math.ceil(BUCKET_RATIO ** (bucket + 1))


def _extra_per_name(tp: str) -> tuple[dict[str, int], int, int]:
    """(dat name -> bytes its full column name adds, what `crt` adds, what `upd` adds) for an item type."""
    spec = ITEM_SPECS[tp]
    per_name = {a.short: len(a.column.encode("utf-8")) - len(a.short.encode("utf-8")) for a in spec.attributes}
    per_name["id"] = len(spec.id_column) - len("id")
    return per_name, len(spec.created) - len("crt"), (len(spec.updated) - len("upd")) if spec.updated else 0


_EXTRA = {tp: _extra_per_name(tp) for tp in ITEM_SPECS}  # derived from the specs once


def long_name_extra_bytes(item: dict) -> int:
    """Bytes the item would add with full column names instead of short ones."""
    per_name, created, updated = _EXTRA[item["tp"]]
    extra = created + (updated if "upd" in item else 0)
    for name in item.get("dat", ()):
        extra += per_name.get(name, 0)
    return extra


def _keys_only_size(item: dict, names: tuple[str, ...]) -> int:
    return sum(len(n) + item_size.value_size(item[n]) for n in names if n in item)


def measure(item: dict, size: int, kept_as_text: int) -> tuple:
    """What the statistics need of one item: (size, in GSI1, GSI2 entry size or 0, long-name extra, kept)."""
    gsi2 = _keys_only_size(item, ("PK", "SK", "GSI2PK", "GSI2SK")) if "GSI2PK" in item else 0
    return size, "GSI1PK" in item, gsi2, long_name_extra_bytes(item), kept_as_text


@dataclass
class SizeStats:
    items: int = 0
    bytes: int = 0
    smallest: int = 0
    largest: int = 0
    write_units: int = 0
    index_write_units: int = 0
    index_bytes: int = 0
    long_name_bytes: int = 0
    kept_as_text: int = 0
    histogram: dict = field(default_factory=dict)

    def add(self, measured: tuple) -> None:
        size, in_gsi1, gsi2_entry, long_name_extra, kept_as_text = measured
        self.smallest = size if not self.items else min(self.smallest, size)
        self.largest = max(self.largest, size)
        self.items += 1
        self.bytes += size
        self.write_units += item_size.write_units(size)
        if in_gsi1:  # GSI1 projects ALL: the whole item again
            self.index_write_units += item_size.write_units(size)
            self.index_bytes += size + STORAGE_OVERHEAD_BYTES
        if gsi2_entry:  # GSI2 is KEYS_ONLY: table and index keys
            self.index_write_units += item_size.write_units(gsi2_entry)
            self.index_bytes += gsi2_entry + STORAGE_OVERHEAD_BYTES
        self.long_name_bytes += size + long_name_extra
        self.kept_as_text += kept_as_text
        bucket = _bucket(size)
        self.histogram[bucket] = self.histogram.get(bucket, 0) + 1

    def merge(self, other: "SizeStats") -> None:
        if not other.items:
            return
        self.smallest = other.smallest if not self.items else min(self.smallest, other.smallest)
        self.largest = max(self.largest, other.largest)
        for name in ("items", "bytes", "write_units", "index_write_units", "index_bytes", "long_name_bytes",
                     "kept_as_text"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for bucket, count in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + count

    def p99(self) -> int:
        if not self.items:
            return 0
        wanted, seen = math.ceil(self.items * 0.99), 0
        for bucket in sorted(self.histogram):
            seen += self.histogram[bucket]
            if seen >= wanted:
                return min(_bucket_top(bucket), self.largest)
        return self.largest

    def as_record(self) -> dict:
        return {
            "items": self.items, "bytes": self.bytes, "min": self.smallest, "max": self.largest,
            "mean": round(self.bytes / self.items, 1) if self.items else 0, "p99": self.p99(),
            "write_units": self.write_units, "index_write_units": self.index_write_units,
            "storage_bytes": self.bytes + STORAGE_OVERHEAD_BYTES * self.items + self.index_bytes,
            "long_name_bytes": self.long_name_bytes, "kept_as_text": self.kept_as_text,
        }


class SizeStatsFn(beam.CombineFn):
    def create_accumulator(self):
        return SizeStats()

    def add_input(self, stats, partial: SizeStats):
        stats.merge(partial)
        return stats

    def merge_accumulators(self, accumulators):
        merged = SizeStats()
        for stats in accumulators:
            merged.merge(stats)
        return merged

    def extract_output(self, stats):
        return stats.as_record()
