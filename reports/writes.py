"""The writer's own figures, in every report that writes (migrate, sync): requests, retries,
throttling, UnprocessedItems re-sent, write units and bytes, from the pipeline's counters.
An operator reads them to see a run fighting for capacity."""

from __future__ import annotations

import json
import os

from connectors import metrics


def writes(counts: dict[str, int], consumed_capacity: bool) -> dict:
    return {
        "requests": counts.get(metrics.WRITE_REQUESTS, 0), "retries": counts.get(metrics.WRITE_RETRIES, 0),
        "throttled": counts.get(metrics.WRITE_THROTTLES, 0),
        "unprocessed_resent": counts.get(metrics.WRITE_UNPROCESSED_RESENT, 0),
        "consumed_write_units": counts.get(metrics.WRITE_CONSUMED_UNITS, 0) if consumed_capacity else None,
        "write_units": counts.get(metrics.WRITE_UNITS, 0),
        "bytes": counts.get(metrics.WRITE_BYTES, 0)}


def describe(figures: dict) -> str:
    consumed = (f"{figures['consumed_write_units']:,} write units consumed (table + indexes) as DynamoDB reported"
                if figures["consumed_write_units"] is not None else
                "ConsumedCapacity not requested (write units are computed from item sizes)")
    return (f"requests: {figures['requests']:,} BatchWriteItem, {figures['retries']:,} retried "
            f"({figures['throttled']:,} throttled, {figures['unprocessed_resent']:,} items re-sent as "
            f"UnprocessedItems); {consumed}; {figures['bytes']:,} bytes sent")


def write_json(report: dict, path: str) -> None:
    """A command's report as JSON (`--report`): a local file, or on any Beam filesystem (s3://...),
    Beam imported only then (a sync with nothing to do imports no Beam)."""
    data = json.dumps(report, indent=1, sort_keys=True).encode("utf-8")
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        return
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as handle:
        handle.write(data)
