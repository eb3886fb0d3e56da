"""No sleep that waits and hopes: in connectors/ and tests/ every `time.sleep` is deliberate
pacing (a backoff, a rate, the gap between two polls of a state, an injected delay) and says
so on its line with a `# pacing: <why>` comment. A test that waits for a process to reach a
state polls for that state (tests/integration/helpers.py: wait_while_running)."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACING = re.compile(r"#\s*pacing:\s*\S")


def sleeps() -> list[tuple[str, int, str]]:
    found = []
    for folder in ("connectors", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if "time.sleep" in line or re.search(r"from time import .*\bsleep\b", line):
                    found.append((str(path.relative_to(ROOT)), number, line))
    return found


def test_every_sleep_is_pacing_and_says_why():
    found = sleeps()
    assert any(path.startswith("connectors/") for path, _, _ in found)  # the scan sees the code it rules
    bare = [f"{path}:{number}: {line.strip()}" for path, number, line in found
            if not PACING.search(line) and path != "tests/unit/test_sleeps.py"]
    assert not bare, "a sleep without `# pacing: <why>` (poll for the state instead):\n" + "\n".join(bare)
