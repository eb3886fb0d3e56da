"""`algoitny-etl seed`: create the AlgoItny schema in MySQL and fill it with sample data."""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa

from connectors.errors import ConfigError
from connectors.mysql.hints import explain
from pipelines import common, options
from sample_data.activity import burst
from sample_data.generate import SeedCounts
from sample_data.load import SeedRefused, seed

DESCRIPTION = "create the AlgoItny schema in MySQL and fill it with sample data"
FLAGS = (options.SOURCE, options.SEED)


def run_activity(config, changes: int, seed: int) -> int:
    if changes < 1:
        raise ValueError("--activity must be at least 1")
    started = time.monotonic()
    done = burst(config, changes, seed)
    listed = ", ".join(f"{name} {n}" for name, n in sorted(done.items()) if n)
    print(f"application activity on {config.masked()}: {sum(done.values()):,} row changes in "
          f"{time.monotonic() - started:.1f} s ({listed})")
    return common.EXIT_OK


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl seed", DESCRIPTION, argv, FLAGS, beam=False)
        config = common.mysql_config(args)
        if args.activity is not None:
            return run_activity(config, args.activity, args.seed)
        counts = SeedCounts.for_scale(args.scale)
        print(f"seeding {config.masked()} at scale {args.scale}")
        started = time.monotonic()
        inserted = seed(config, counts, replace=args.replace, seed_value=args.seed, scale=args.scale)
    except (options.UsageError, ConfigError, ValueError, SeedRefused) as error:
        print(f"seed: {error}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    except sa.exc.OperationalError as error:
        print(f"seed: cannot use MySQL at {config.masked()}: {explain(error)}", file=sys.stderr)
        return common.EXIT_CANNOT_RUN
    print(f"seeded {sum(inserted.values()):,} rows in {time.monotonic() - started:.1f} s")
    return common.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
