"""`algoitny-etl`: the one command-line tool. Each command is a driver module with `run(argv)`."""

from __future__ import annotations

import argparse
import logging
import sys


class _DropImportNoise(logging.Filter):
    """Beam warns at import time that BigQuery's optional client is absent; we never use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


logging.getLogger().addFilter(_DropImportNoise())  # before the drivers import Beam

from pipelines import check_reads, common, describe, init_table, migrate, replay, seed, sync, verify  # noqa: E402

COMMANDS = {
    "init": init_table,
    "seed": seed,
    "migrate": migrate,
    "verify": verify,
    "replay": replay,
    "sync": sync,
    "check-reads": check_reads,
    "describe": describe,
}

DESCRIPTION = """\
Migrate AlgoItny's MySQL data into one DynamoDB single table (docs/data-model.md).

Configuration: --mysql-url / MYSQL_URL, --endpoint-url / DYNAMODB_ENDPOINT_URL (or LOCALSTACK_URL;
neither = AWS), --table / DYNAMODB_TABLE, AWS_DEFAULT_REGION. Beam options (--runner,
--direct_num_workers, --direct_running_mode, Dataflow/Flink options, ...) pass through to the
commands that run a pipeline. `algoitny-etl COMMAND --help` lists a command's flags.
"""


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_DropImportNoise())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    width = max(len(name) for name in COMMANDS)
    commands = "commands:\n" + "\n".join(f"  {name:<{width}}  {module.DESCRIPTION}" for name, module in COMMANDS.items())
    parser = argparse.ArgumentParser(prog="algoitny-etl", description=DESCRIPTION, allow_abbrev=False,
                                     epilog=commands, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="log Beam and client details")
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="one of the commands below")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's flags (COMMAND --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv  # accepted before or after the command
    args = build_parser().parse_args([a for a in argv if a != "--verbose"])
    configure_logging(verbose)
    with common.scratch_space():
        return COMMANDS[args.command].run(args.arguments)


if __name__ == "__main__":
    sys.exit(main())
