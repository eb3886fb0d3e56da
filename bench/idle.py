"""Benchmark: what a run with nothing to do costs, as whole processes (issue 20's targets).

    python -m bench.idle [--rounds 7]

On a small migrated and synced database (scale 2, the binlog server), alternating each round:
the interpreter alone (`python -c pass`: the floor), `algoitny-etl status`, and `algoitny-etl
sync` with nothing new in the binary log (the lease, the checkpoints, the server's position,
the release: no pipeline, no Beam import). Wall time and CPU of each, medians. Targets: status
<= 0.8 s, a sync with nothing to do <= 1.0 s.
"""

from __future__ import annotations

import argparse
import sys

from bench import support
from sample_data.generate import SeedCounts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    support.local_services_up()
    source = support.seed_database("algoitny_bench_idle", SeedCounts.for_scale(2), support.BINLOG_SERVER)
    table = "bench_idle"
    support.fresh_table(table)
    flags = support.flags(source, table)
    assert support.cli("migrate", *flags).returncode == 0
    assert support.cli("sync", *flags).returncode == 0  # caught up: what follows has nothing to carry
    contenders = {
        "python -c pass (the floor)": [sys.executable, "-c", "pass"],
        "algoitny-etl status": [support.ETL, "status", *flags],
        "algoitny-etl sync, nothing new": [support.ETL, "sync", *flags],
    }
    runs: dict[str, list] = {name: [] for name in contenders}
    for round_number in range(args.rounds):
        order = list(contenders) if round_number % 2 == 0 else list(contenders)[::-1]
        for name in order:
            run = support.measure(contenders[name])
            assert run.returncode == 0, run.stdout[-2000:]
            runs[name].append(run)
    print(f"\n| median of {args.rounds} | wall (s) | CPU (s) |\n|---|---:|---:|")
    for name, measured in runs.items():
        print(f"| {name} | {support.median([m.seconds for m in measured]):.2f} | "
              f"{support.median([m.cpu_seconds for m in measured]):.2f} |")


if __name__ == "__main__":
    main()
