"""Progress lines on stderr while a local migration runs: rows/s, items/s, ETA."""

from __future__ import annotations

import shutil
import threading
import time

from connectors.files.progress import read_progress

INTERVAL_SECONDS = 10.0


class ProgressPrinter:
    def __init__(self, directory: str, total_rows: int, out, interval: float = INTERVAL_SECONDS):
        self._directory = directory
        self._total = total_rows
        self._out = out
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self._started = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        shutil.rmtree(self._directory, ignore_errors=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            print(self.line(read_progress(self._directory), time.monotonic() - self._started), file=self._out,
                  flush=True)

    def line(self, totals: dict, elapsed: float) -> str:
        rows, items = int(totals.get("rows_read", 0)), int(totals.get("items_written", 0))
        rows_rate, items_rate = rows / elapsed if elapsed else 0, items / elapsed if elapsed else 0
        text = f"progress: {rows:,}"
        if self._total:
            text += f"/{self._total:,} rows ({min(rows / self._total, 1):.0%})"
        else:
            text += " rows"
        text += f", {rows_rate:,.0f} rows/s, {items:,} items written ({items_rate:,.0f}/s)"
        if self._total and rows_rate > 0 and rows < self._total:
            text += f", ETA {_duration((self._total - rows) / rows_rate)}"
        retries = int(totals.get("write_retries", 0))
        return text + (f", {retries:,} retries" if retries else "")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
