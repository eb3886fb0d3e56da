"""Local files and folders of the commands that run no pipeline, and the folders pipelines leave
behind (no Beam here)."""

from __future__ import annotations

import glob
import json
import os


def remove_empty_beam_temp_dirs(folder: str) -> None:
    """Beam's file sinks write into a `beam-temp-*` folder beside the output and delete it when the
    pipeline finishes; a run that failed or was killed leaves it behind. Empty ones are removed
    (a sink that still needs its folder makes it again when it writes)."""
    if "://" in folder:
        return
    for path in glob.glob(os.path.join(folder, "beam-temp-*")):
        try:
            os.rmdir(path)  # only if empty
        except OSError:
            pass


def append_json_lines(path: str, records: list[dict]) -> None:
    """Records appended to a local JSON-lines file, one per line (commands that run no pipeline)."""
    with open(path, "a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n")
