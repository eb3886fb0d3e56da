"""Progress of a running pipeline, for the driver to print while a local run works.

Each worker-side DoFn instance rewrites its running totals to its own small file (at most
every few seconds); the driver sums the files. Only for runners whose workers share the
driver's filesystem (the DirectRunner); distributed runners show Beam counters in their UI.
"""

from __future__ import annotations

import json
import os
import time
import uuid


class ProgressFile:
    def __init__(self, directory: str, role: str, interval_seconds: float = 2.0):
        self._path = os.path.join(directory, f"{role}-{uuid.uuid4().hex}.json")
        self._interval = interval_seconds
        self._written_at = 0.0

    def update(self, totals: dict, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written_at < self._interval:
            return
        self._written_at = now
        temporary = self._path + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(totals, handle)
        os.replace(temporary, self._path)


def read_progress(directory: str) -> dict[str, float]:
    """The sum of every worker's totals."""
    totals: dict[str, float] = {}
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return totals
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(directory, name)) as handle:
                for key, value in json.load(handle).items():
                    totals[key] = totals.get(key, 0) + value
        except (OSError, ValueError):
            continue  # being replaced right now; the next poll reads it
    return totals
