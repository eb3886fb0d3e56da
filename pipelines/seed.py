"""`algoitny-etl seed`: create the AlgoItny schema in MySQL and fill it with sample data."""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa

from connectors.dynamodb import clients
from connectors.errors import ConfigError
from connectors.mysql.hints import explain
from pipelines import basics, options
from sample_data.activity import burst
from sample_data.app_activity import app_burst
from sample_data.generate import SeedCounts
from sample_data.load import SeedRefused, seed

DESCRIPTION = "create the AlgoItny schema in MySQL and fill it with sample data"
APP_ACTIVITY = options.Flags("after cut-over", lambda group: group.add_argument(
    "--app-activity", type=int, metavar="ROUNDS",
    help="instead of seeding: the application's writes to the table through repositories/, ROUNDS rounds of sign-ups, "
         "logins with rate-limited usage, email and Google-id changes, history made public or private, problems "
         "edited, jobs, plans and a user deleted (what reverse sync carries back to MySQL after cut-over)"))
FLAGS = (options.SOURCE, options.TARGET, options.SEED, APP_ACTIVITY)


def run_activity(config, changes: int, seed: int) -> int:
    if changes < 1:
        raise ValueError("--activity must be at least 1")
    started = time.monotonic()
    done = burst(config, changes, seed)
    listed = ", ".join(f"{name} {n}" for name, n in sorted(done.items()) if n)
    print(f"application activity on {config.masked()}: {sum(done.values()):,} row changes in "
          f"{time.monotonic() - started:.1f} s ({listed})")
    return basics.EXIT_OK


def run_app_activity(args, rounds: int) -> int:
    if rounds < 1:
        raise ValueError("--app-activity must be at least 1")
    dynamo = basics.dynamodb_config(args)
    started = time.monotonic()
    done = app_burst(clients.table_resource(dynamo), rounds, args.seed)
    listed = ", ".join(f"{name} {n}" for name, n in sorted(done.items()) if n)
    print(f"application writes to {dynamo.describe()}: {sum(done.values()):,} operations in "
          f"{time.monotonic() - started:.1f} s ({listed})")
    return basics.EXIT_OK


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl seed", DESCRIPTION, argv, FLAGS, beam=False)
        if args.app_activity is not None:
            return run_app_activity(args, args.app_activity)
        config = basics.mysql_config(args)
        if args.activity is not None:
            return run_activity(config, args.activity, args.seed)
        counts = SeedCounts.for_scale(args.scale)
        print(f"seeding {config.masked()} at scale {args.scale}")
        started = time.monotonic()
        inserted = seed(config, counts, replace=args.replace, seed_value=args.seed, scale=args.scale)
    except (options.UsageError, ConfigError, ValueError, SeedRefused) as error:
        print(f"seed: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    except sa.exc.OperationalError as error:
        print(f"seed: cannot use MySQL at {config.masked()}: {explain(error)}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    print(f"seeded {sum(inserted.values()):,} rows in {time.monotonic() - started:.1f} s")
    return basics.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
