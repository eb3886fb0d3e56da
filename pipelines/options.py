"""The command line: one PipelineOptions subclass per concern, and the parsing every driver shares.

Each driver's `run(argv)` parses its own flags with `parse(...)`, which builds a parser from
the option classes the driver names (parse_known_args, as Beam's examples do) and hands only
the rest to Beam's PipelineOptions, so the source URL and the tool's settings never travel in
pipeline options. A flag that neither the tool nor Beam knows stops the run before anything is
read or written (exit 2): Beam itself would only log "Discarding unparseable args" and go on,
turning a mistyped `--dry-rnu` into a real load.

Every flag is defined in exactly one class: Beam builds one parser from every PipelineOptions
subclass it can see, and a flag defined twice would break it.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from typing import Sequence

from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

from connectors.dynamodb.batch_writer import MAX_BATCH_ITEMS
from connectors.dynamodb.beam_io import DEFAULT_CONCURRENCY
from connectors.retry import RetryPolicy
from connectors.mysql.beam_io import DEFAULT_ROWS_PER_RANGE
from reports.migrate_report import DEFAULT_PRICE_PER_GB_MONTH, DEFAULT_PRICE_PER_MILLION_WRITES
from schema.entities import ENTITY_GROUPS


class UsageError(ValueError):
    """The command line cannot be run as given; the message says what to change."""


class RunnerOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--allow-untested-runner", action="store_true",
                            help="run on a Beam runner this tool has not been proven on (pipelines/runners.py)")


class SourceOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--mysql-url", help="SQLAlchemy URL of the source database (env MYSQL_URL)")
        parser.add_argument("--mysql-password-secret", metavar="SECRET_ID",
                            help="AWS Secrets Manager secret holding the MySQL password, read by each worker "
                                 "where it connects (env MYSQL_PASSWORD_SECRET); or MYSQL_PASSWORD / "
                                 "MYSQL_PASSWORD_FILE in each process's environment. Keep the password out of the URL "
                                 "on a distributed runner: the URL travels inside the pipeline")


class TargetOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--endpoint-url",
                            help="DynamoDB endpoint (env DYNAMODB_ENDPOINT_URL, then LOCALSTACK_URL; none = AWS)")
        parser.add_argument("--table", help="target table name (env DYNAMODB_TABLE, default algoitny_main)")
        parser.add_argument("--aws-region", dest="aws_region", help="AWS region (env AWS_DEFAULT_REGION)")


class EntityOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--entity",
                            help=f"comma-separated: all, {', '.join(ENTITY_GROUPS)} (default all)")


class ReadOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--rows-per-range", type=int, default=DEFAULT_ROWS_PER_RANGE,
                            help="source rows per key range (the unit of parallel reading)")


class MappingOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--compress-over", type=int, metavar="BYTES",
                            help="gzip text attributes (sol, cod, con, gen, inp, out, trs, trc, msg) larger than "
                                 "BYTES, as the migration did")


class WriteOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--batch-size", type=int, default=MAX_BATCH_ITEMS,
                            help=f"items per BatchWriteItem (1-{MAX_BATCH_ITEMS}; more is capped to {MAX_BATCH_ITEMS})")
        parser.add_argument("--write-concurrency", type=int, default=DEFAULT_CONCURRENCY,
                            help=f"BatchWriteItem requests in flight per worker (default {DEFAULT_CONCURRENCY})")
        parser.add_argument("--max-write-rate", type=float, metavar="UNITS_PER_SECOND",
                            help="write units per second for the whole pipeline, divided across workers "
                                 "(leave room for a live table's own traffic); default unlimited")
        parser.add_argument("--write-max-attempts", type=int, default=RetryPolicy.max_attempts,
                            help="attempts per batch before its items are dead-lettered")
        parser.add_argument("--write-max-seconds", type=float, default=RetryPolicy.max_elapsed_seconds,
                            help="seconds per batch before its items are dead-lettered")
        parser.add_argument("--consumed-capacity", choices=("auto", "total", "none"), default="auto",
                            help="ask DynamoDB for ReturnConsumedCapacity=TOTAL: auto = on AWS yes, on a local "
                                 "endpoint no (DynamoDB Local spends about 25%% more CPU per item answering it; "
                                 "write units are computed exactly either way)")


class DryRunOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                            help="read, map and validate everything; write nothing")


class DeadLetterOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--dead-letter", dest="dead_letter",
                            help="JSON-lines file for what cannot be written, with the reasons (any Beam filesystem "
                                 "path; default dead-letters/<command>-<time>.jsonl)")


class ReportOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--report", dest="report_path", help="also write the run's report as JSON here")


class MigrateOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--resume", nargs="?", const="latest", metavar="RUN_ID",
                            help="go on with an unfinished run: read only the key ranges it has not finished, with "
                                 "its options (default: the newest run of --entity, refused if it finished: an older unfinished "
                                 "run is never picked up behind a newer one's back)")
        parser.add_argument("--allow-unmapped-columns", action="store_true",
                            help="warn instead of failing when a source table has columns the specs do not know")
        parser.add_argument("--price-per-million-writes", type=float, default=DEFAULT_PRICE_PER_MILLION_WRITES,
                            help="USD per million on-demand write request units (for the report)")
        parser.add_argument("--price-per-gb-month", type=float, default=DEFAULT_PRICE_PER_GB_MONTH,
                            help="USD per GB-month of storage (for the report)")


class VerifyOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--deep", action="store_true",
                            help="compare every item's content, not only counts (ok/missing/unexpected/mismatched)")
        parser.add_argument("--sample-rate", type=float, default=1.0,
                            help="with --deep: verify this deterministic fraction of source rows (0 < R <= 1)")
        parser.add_argument("--segments", type=int, help="parallel Scan segments (default: 4 per worker, at least 8)")
        parser.add_argument("--repair", action="store_true",
                            help="with --deep: put the mapped item for every missing and mismatched key, delete every "
                                 "unexpected item of a migrated type, then check those keys again (--dry-run: only "
                                 "print and report the plan)")


class SyncOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--changes", choices=("binlog", "watermark"), default="binlog",
                            help="binlog (default): every insert, update and delete from the binary log; watermark: "
                                 "rows updated since the last run (updated_at) or added (id), for servers whose "
                                 "binlog cannot be read; it cannot see deletes (see the report)")
        parser.add_argument("--advance-past-dead-letters", action="store_true",
                            help="advance the checkpoint even when changes were dead-lettered (they stay in the file "
                                 "for replay); by default it stays and the run exits 1")
        parser.add_argument("--lease-seconds", type=int, default=600,
                            help="how long the run's lease lasts unless renewed (renewed every third of it)")
        parser.add_argument("--lookback-seconds", type=int, default=300,
                            help="with --changes watermark: read this far before the watermark, for late commits")


class InitOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--recreate", action="store_true", help="delete the table first (needs --yes)")
        parser.add_argument("--yes", action="store_true", help="confirm --recreate")
        streams = parser.add_mutually_exclusive_group()
        streams.add_argument("--stream", dest="stream", action="store_true", default=None,
                             help="create a NEW_AND_OLD_IMAGES stream (default on AWS)")
        streams.add_argument("--no-stream", dest="stream", action="store_false",
                             help="no stream (default on DynamoDB Local / LocalStack endpoints)")


class SeedOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--scale", type=int, default=1,
                            help="size multiplier: 40 users, 15 problems, 400 usage logs … per unit (default 1)")
        parser.add_argument("--replace", action="store_true", help="drop and re-seed sample data seed created before")
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same rows)")
        parser.add_argument("--activity", type=int, metavar="CHANGES",
                            help="instead of seeding: apply about CHANGES row changes of application activity (sign-"
                                 "ups, logins, email and Google-id changes, problems edited, renamed and deleted, "
                                 "history made public, hints, usage logs, jobs) to the sample data already there")


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so `run(argv)` returns exit code 2."""

    def error(self, message):
        raise UsageError(message)


class _BeamParser(_BeamArgumentParser):
    def error(self, message):
        raise UsageError(f"Beam option: {message}")


@dataclass(frozen=True)
class Positional:
    name: str
    help: str


def build_parser(prog: str, description: str, option_classes: Sequence[type[PipelineOptions]],
                 positionals: Sequence[Positional] = ()) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=description, allow_abbrev=False)
    for positional in positionals:
        parser.add_argument(positional.name, help=positional.help)
    for cls in option_classes:
        cls._add_argparse_args(parser)  # pylint: disable=protected-access
    return parser


def _ours(cls: type) -> bool:
    return cls.__module__ == __name__


def beam_parser() -> argparse.ArgumentParser:
    """Every option Beam knows (every PipelineOptions subclass it can see, not the tool's)."""
    parser = _BeamParser(allow_abbrev=False, add_help=False)
    seen: dict[str, type] = {}
    for cls in PipelineOptions.__subclasses__():
        if not _ours(cls):
            seen.setdefault(str(cls), cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)  # pylint: disable=protected-access
    return parser


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings]  # noqa: SLF001


def check_beam_args(rest: Sequence[str], ours: argparse.ArgumentParser) -> None:
    """Refuse what neither the tool nor Beam knows, and Beam flags easily taken for the tool's."""
    ours_known = _option_strings(ours)
    beam = beam_parser()
    for arg in rest:
        name = arg.split("=", 1)[0]
        if name.startswith("--") and name.replace("_", "-") in ours_known and name not in ours_known:
            raise UsageError(f"{name} is a Beam option, not this tool's {name.replace('_', '-')}; "
                             f"write {name.replace('_', '-')} if that is what you meant")
    _, unknown = beam.parse_known_args(list(rest))
    if unknown:
        flag = next((u for u in unknown if u.startswith("-")), unknown[0])
        close = difflib.get_close_matches(flag.split("=", 1)[0], ours_known + _option_strings(beam), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown argument {flag}{hint}: neither {ours.prog} nor Beam knows it")


def defaults(*option_classes: type[PipelineOptions]) -> dict[str, object]:
    """dest -> default of every flag the classes define."""
    parser = build_parser("defaults", "", option_classes)
    return {action.dest: action.default for action in parser._actions if action.dest != "help"}  # noqa: SLF001


def given(args: argparse.Namespace, *option_classes: type[PipelineOptions]) -> list[str]:
    """The flags of these classes that were given a value other than their default."""
    return [f"--{dest.replace('_', '-')}" for dest, default in defaults(*option_classes).items()
            if getattr(args, dest, default) != default]


def parse(prog: str, description: str, argv: Sequence[str] | None,
          option_classes: Sequence[type[PipelineOptions]], positionals: Sequence[Positional] = (),
          beam: bool = True) -> tuple[argparse.Namespace, list[str]]:
    """(the tool's flags, the Beam flags) from `argv`; UsageError for anything unknown.

    `beam=False` for commands that run no pipeline: every flag must then be the tool's.
    """
    parser = build_parser(prog, description, option_classes, positionals)
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if rest and not beam:
        raise UsageError(f"unrecognized arguments: {' '.join(rest)}")
    if rest:
        check_beam_args(rest, parser)
    return args, rest
