"""`algoitny-etl`: the one command-line tool (init, seed, migrate, verify)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = {
    "init": ("pipelines.init_table", "create the table (keys, GSI1, GSI2, TTL, streams); idempotent"),
    "seed": ("pipelines.seed", "create the AlgoItny schema in MySQL and fill it with sample data"),
    "migrate": ("pipelines.migrate", "read MySQL, map rows to items, write them (--dry-run writes nothing)"),
    "verify": ("pipelines.verify", "compare both sides: counts per entity, or every item with --deep"),
    "replay": ("pipelines.replay", "re-send what a run dead-lettered, once the cause is fixed"),
}
BEAM_COMMANDS = ("migrate", "verify", "replay")

DESCRIPTION = """\
Migrate AlgoItny's MySQL data into one DynamoDB single table (DESIGN.md).

Configuration: --mysql-url / MYSQL_URL, --endpoint-url / DYNAMODB_ENDPOINT_URL (or LOCALSTACK_URL;
neither = AWS), --table / DYNAMODB_TABLE, AWS_DEFAULT_REGION. Beam options (--runner,
--direct_num_workers, --direct_running_mode, Dataflow/Flink options, ...) pass through to
migrate and verify.
"""


class _DropImportNoise(logging.Filter):
    """Beam warns at import time that BigQuery's optional client is absent; we never use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_DropImportNoise())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="algoitny-etl", description=DESCRIPTION, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="log Beam and client details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging("--verbose" in (sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    if args.command in BEAM_COMMANDS:
        return module.run(args, rest)
    if rest:
        parser.error(f"unrecognized arguments for {args.command}: {' '.join(rest)}")
    return module.run(args)


if __name__ == "__main__":
    sys.exit(main())
