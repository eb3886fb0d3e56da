"""`algoitny-etl`: the one command-line tool. Each command is a driver module with `run(argv)`,
imported only when it runs: `status` and a sync with nothing to do must not pay for importing
Beam (over a second) when they do not use it."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipelines import basics

COMMANDS = {
    "init": "pipelines.init_table",
    "seed": "pipelines.seed",
    "migrate": "pipelines.migrate",
    "verify": "pipelines.verify",
    "replay": "pipelines.replay",
    "sync": "pipelines.sync",
    "status": "pipelines.status",
    "cutover": "pipelines.cutover",
    "reverse-sync": "pipelines.reverse_sync",
    "rollback": "pipelines.rollback",
    "check-reads": "pipelines.check_reads",
    "describe": "pipelines.describe",
}

DESCRIPTION = """\
Migrate AlgoItny's MySQL data into one DynamoDB single table (docs/data-model.md).

Configuration: --mysql-url / MYSQL_URL, --endpoint-url / DYNAMODB_ENDPOINT_URL (or LOCALSTACK_URL;
neither = AWS), --table / DYNAMODB_TABLE, AWS_DEFAULT_REGION. Beam options (--runner,
--direct_num_workers, --direct_running_mode, Flink options, ...) pass through to the
commands that run a pipeline. `algoitny-etl COMMAND --help` lists a command's flags.
"""


class _DropImportNoise(logging.Filter):
    """Beam warns at import time that BigQuery's optional client is absent; we never use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


logging.getLogger().addFilter(_DropImportNoise())  # before a driver imports Beam


def command(name: str):
    return importlib.import_module(COMMANDS[name])


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_DropImportNoise())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def build_parser(with_command_list: bool = False) -> argparse.ArgumentParser:
    """The top-level parser; the list of commands (which imports every driver for its description)
    only when help is shown."""
    epilog = None
    if with_command_list:
        width = max(len(name) for name in COMMANDS)
        epilog = "commands:\n" + "\n".join(f"  {name:<{width}}  {command(name).DESCRIPTION}" for name in COMMANDS)
    parser = argparse.ArgumentParser(prog="algoitny-etl", description=DESCRIPTION, allow_abbrev=False,
                                     epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="log Beam and client details")
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="one of the commands below")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's flags (COMMAND --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = [a for a in (sys.argv[1:] if argv is None else argv)]
    verbose = "--verbose" in argv  # accepted before or after the command
    argv = [a for a in argv if a != "--verbose"]
    asks_help = not argv or argv[0] in ("-h", "--help")
    args = build_parser(with_command_list=asks_help).parse_args(argv)
    configure_logging(verbose)
    with basics.scratch_space():
        return command(args.command).run(args.arguments)


if __name__ == "__main__":
    sys.exit(main())
