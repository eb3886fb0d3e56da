"""Benchmark: how long a migrate takes to write its first item, against what starting costs at all.

    python -m bench.first_write [--scale 20] [--rounds 5]

The sample database at --scale (every entity), migrated on the DirectRunner into a fresh table
each round; the time from starting the command to the first migrated item in the table (polled
every 50 ms, bench.runners.FirstWrite). Alternating with it, the floors a Python migrate on Beam
cannot go under: the interpreter alone, and the interpreter importing apache_beam. Medians.
Target (issue 20): the first write within 1.5 s.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import support
from bench.runners import FirstWrite
from sample_data.generate import SeedCounts


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    support.local_services_up()
    source = support.seed_database(f"algoitny_bench_first_s{args.scale}", SeedCounts.for_scale(args.scale))
    floors = {"python -c pass": [sys.executable, "-c", "pass"],
              "python -c 'import apache_beam'": [sys.executable, "-c", "import apache_beam"]}
    seconds: dict[str, list[float]] = {name: [] for name in (*floors, "migrate: first write", "migrate: whole")}
    for round_number in range(args.rounds):
        for name, command in floors.items():
            seconds[name].append(support.measure(command).seconds)
        config = support.fresh_table("bench_first_write")
        watcher = FirstWrite(config, time.monotonic())
        watcher.start()
        run = support.cli("migrate", *support.flags(source, config.table))
        watcher.done.set()
        assert run.returncode == 0 and watcher.seconds is not None, run.stdout[-2000:]
        seconds["migrate: first write"].append(watcher.seconds)
        seconds["migrate: whole"].append(run.seconds)
        support.drop_table(config)
        print(f"  round {round_number + 1}: first write {watcher.seconds:.2f} s, whole {run.seconds:.1f} s", flush=True)
    print(f"\n| scale {args.scale}, median of {args.rounds} | seconds |\n|---|---:|")
    for name, values in seconds.items():
        print(f"| {name} | {support.median(values):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
