"""The command line: the tool's flags as plain argparse groups, one per concern; Beam's own
flags passed through to Beam.

Each driver's `run(argv)` parses its own flags with `parse(...)` (parse_known_args, as Beam's
examples do) and hands only the rest to Beam's PipelineOptions, so the source URL and the
tool's settings never travel in pipeline options. What is left must be a flag Beam knows: a
flag that neither the tool nor Beam knows stops the run before anything is read or written
(exit 2). Beam itself would only log "Discarding unparseable args" and go on, turning a
mistyped `--dry-rnu` into a real load. Beam's parser is reached through its public hook
(`get_all_options(add_extra_args_fn=...)`), never through its private names.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import re
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from connectors.dynamodb.batch_writer import DEFAULT_CONCURRENCY, MAX_BATCH_ITEMS
from connectors.mysql.key_ranges import DEFAULT_ROWS_PER_RANGE
from connectors.retry import RetryPolicy
from reports.prices import DEFAULT_PRICE_PER_GB_MONTH, DEFAULT_PRICE_PER_MILLION_WRITES
from schema.entities import ENTITY_GROUPS

EXIT_CODES = "exit codes: 0 done; 1 differences or dead letters; 2 could not run (the message says why)"


class UsageError(ValueError):
    """The command line cannot be run as given; the message says what to change."""


@dataclass(frozen=True)
class Flags:
    """One concern's flags: an argparse argument group of that title."""

    title: str
    add: Callable[[argparse._ArgumentGroup], None]  # pylint: disable=protected-access

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        self.add(parser.add_argument_group(self.title))


def _runner(group):
    group.add_argument("--allow-untested-runner", action="store_true",
                       help="run on a Beam runner this tool has not been proven on (pipelines/runners.py)")


def _source(group):
    group.add_argument("--mysql-url", help="SQLAlchemy URL of the source database (env MYSQL_URL; default "
                                           "mysql+pymysql://root@127.0.0.1:3306/algoitny)")
    group.add_argument("--mysql-password-secret", metavar="SECRET_ID",
                       help="AWS Secrets Manager secret holding the MySQL password, read by each worker where it "
                            "connects (env MYSQL_PASSWORD_SECRET); or MYSQL_PASSWORD / MYSQL_PASSWORD_FILE in each "
                            "process's environment. Keep the password out of the URL on a distributed runner: the "
                            "URL travels inside the pipeline")


def _target(group):
    group.add_argument("--endpoint-url", help="DynamoDB endpoint (env DYNAMODB_ENDPOINT_URL, then LOCALSTACK_URL; "
                                              "none = AWS)")
    group.add_argument("--table", help="target table name (env DYNAMODB_TABLE; default algoitny_main)")
    group.add_argument("--aws-region", dest="aws_region", help="AWS region (env AWS_DEFAULT_REGION)")


def _entity(group):
    group.add_argument("--entity", help=f"comma-separated: all, {', '.join(ENTITY_GROUPS)} (default: all)")


def _read(group):
    group.add_argument("--rows-per-range", type=int, default=DEFAULT_ROWS_PER_RANGE,
                       help="source rows per key range, the unit of parallel reading")


def _mapping(group):
    group.add_argument("--compress-over", type=int, metavar="BYTES",
                       help="gzip text attributes (sol, cod, con, gen, inp, out, trs, trc, msg) larger than BYTES, "
                            "as the migration did")


def _write(group):
    group.add_argument("--batch-size", type=int, default=MAX_BATCH_ITEMS,
                       help=f"items per BatchWriteItem (1-{MAX_BATCH_ITEMS}; more is capped to {MAX_BATCH_ITEMS})")
    group.add_argument("--write-concurrency", type=int, default=DEFAULT_CONCURRENCY,
                       help="BatchWriteItem requests in flight per worker")
    group.add_argument("--max-write-rate", type=float, metavar="UNITS_PER_SECOND",
                       help="write units per second for the whole pipeline, divided across workers (leave room for "
                            "a live table's own traffic; default: unlimited, adapting to DynamoDB's push-backs)")
    group.add_argument("--write-max-attempts", type=int, default=RetryPolicy.max_attempts,
                       help="attempts per batch before its items are dead-lettered")
    group.add_argument("--write-max-seconds", type=float, default=RetryPolicy.max_elapsed_seconds,
                       help="seconds per batch before its items are dead-lettered")
    group.add_argument("--consumed-capacity", choices=("auto", "total", "none"), default="auto",
                       help="ask DynamoDB for ReturnConsumedCapacity=TOTAL: auto = on AWS yes, on a local endpoint "
                            "no (DynamoDB Local spends about 25%% more CPU per item answering it; write units are "
                            "computed exactly either way)")


def _dry_run(group):
    group.add_argument("--dry-run", dest="dry_run", action="store_true",
                       help="read, map and validate everything; write nothing")


def _dead_letter(group):
    group.add_argument("--dead-letter", dest="dead_letter",
                       help="JSON-lines file for what cannot be written, with the reasons (any Beam filesystem "
                            "path; default: dead-letters/<command>-<time>.jsonl)")


def _report(group):
    group.add_argument("--report", dest="report_path", help="also write the run's report as JSON here")


def _migrate(group):
    group.add_argument("--resume", nargs="?", const="latest", metavar="RUN_ID",
                       help="go on with an unfinished run: read only the key ranges it has not finished, with its "
                            "options (default: the newest run of --entity, refused if it finished: an older "
                            "unfinished run is never picked up behind a newer one's back)")
    group.add_argument("--allow-unmapped-columns", action="store_true",
                       help="warn instead of failing when a source table has columns the specs do not know")
    group.add_argument("--price-per-million-writes", type=float, default=DEFAULT_PRICE_PER_MILLION_WRITES,
                       help="USD per million on-demand write request units (for the report)")
    group.add_argument("--price-per-gb-month", type=float, default=DEFAULT_PRICE_PER_GB_MONTH,
                       help="USD per GB-month of storage (for the report)")


def _verify(group):
    group.add_argument("--deep", action="store_true",
                       help="compare every item's content, not only counts (ok/missing/unexpected/mismatched)")
    group.add_argument("--sample-rate", type=float, default=1.0,
                       help="with --deep: verify this deterministic fraction of source rows (0 < R <= 1)")
    group.add_argument("--segments", type=int, help="parallel Scan segments (default: 4 per worker, at least 8)")
    group.add_argument("--repair", action="store_true",
                       help="with --deep: put the mapped item for every missing and mismatched key, delete every "
                            "unexpected item of a migrated type, then check those keys again (--dry-run: only "
                            "print and report the plan)")
    group.add_argument("--to", choices=("table", "mysql"), default="table", help="with --repair: mend the table from "
                       "MySQL, or after cut-over MySQL from the table (rows written from items, rows with no item gone)")


def _sync(group):
    group.add_argument("--changes", choices=("binlog", "watermark"), default="binlog",
                       help="binlog: every insert, update and delete from the binary log; watermark: rows updated "
                            "since the last run (updated_at) or added (id), for servers whose binlog cannot be read; "
                            "it cannot see deletes (see the report)")
    group.add_argument("--advance-past-dead-letters", action="store_true",
                       help="advance the checkpoint even when changes were dead-lettered (they stay in the file for "
                            "replay); by default it stays and the run exits 1")
    group.add_argument("--lease-seconds", type=int, default=600,
                       help="how long the run's lease lasts unless renewed (renewed every third of it)")
    group.add_argument("--lookback-seconds", type=int, default=300,
                       help="with --changes watermark: read this far before the watermark, for late commits")


def _init(group):
    group.add_argument("--recreate", action="store_true", help="delete the table first (needs --yes)")
    group.add_argument("--yes", action="store_true", help="confirm --recreate")
    streams = group.add_mutually_exclusive_group()
    streams.add_argument("--stream", dest="stream", action="store_true", default=None,
                         help="create a NEW_AND_OLD_IMAGES stream (default on AWS)")
    streams.add_argument("--no-stream", dest="stream", action="store_false",
                         help="no stream (default on DynamoDB Local / LocalStack endpoints)")


def _seed(group):
    group.add_argument("--scale", type=int, default=1,
                       help="size multiplier: 40 users, 15 problems, 400 usage logs ... per unit")
    group.add_argument("--replace", action="store_true", help="drop and re-seed sample data seed created before")
    group.add_argument("--seed", type=int, default=42, help="random seed (same seed, same rows)")
    group.add_argument("--activity", type=int, metavar="CHANGES",
                       help="instead of seeding: apply about CHANGES row changes of application activity (sign-ups, "
                            "logins, email and Google-id changes, problems edited, renamed and deleted, history "
                            "made public, hints, usage logs, jobs) to the sample data already there")


RUNNER = Flags("runner", _runner)
SOURCE = Flags("source (MySQL)", _source)
TARGET = Flags("target (DynamoDB)", _target)
ENTITY = Flags("what to move", _entity)
READ = Flags("reading", _read)
MAPPING = Flags("mapping", _mapping)
WRITE = Flags("writing", _write)
DRY_RUN = Flags("dry run", _dry_run)
DEAD_LETTER = Flags("dead letters", _dead_letter)
REPORT = Flags("report", _report)
MIGRATE = Flags("migrate", _migrate)
VERIFY = Flags("verify", _verify)
SYNC = Flags("sync", _sync)
INIT = Flags("init", _init)
SEED = Flags("seed", _seed)


class _HelpWithDefaults(argparse.RawDescriptionHelpFormatter):
    """Each flag's default at the end of its help, unless it has none or the help says it already."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or not action.option_strings or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so `run(argv)` returns exit code 2."""

    def error(self, message):
        raise UsageError(message)


@dataclass(frozen=True)
class Positional:
    name: str
    help: str


def build_parser(prog: str, description: str, groups: Sequence[Flags], positionals: Sequence[Positional] = (),
                 epilog: str = EXIT_CODES) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=description, epilog=epilog, allow_abbrev=False,
                     formatter_class=_HelpWithDefaults)
    for positional in positionals:
        parser.add_argument(positional.name, help=positional.help)
    for group in groups:
        group.add_to(parser)
    return parser


def _flag_names(help_text: str) -> list[str]:
    return sorted(set(re.findall(r"(?<![\w-])--[A-Za-z][\w-]*", help_text)))


def beam_leftovers(rest: Sequence[str]) -> tuple[list[str], list[str]]:
    """(what Beam does not know of `rest`, every flag Beam knows), from Beam's own parser.

    Beam hands its parser, every option of every PipelineOptions class in it, to the
    `add_extra_args_fn` hook; a malformed value of a known flag raises UsageError."""
    from apache_beam.options.pipeline_options import PipelineOptions  # only when there are Beam flags

    found: dict[str, list[str]] = {}

    def capture(parser):
        def refuse(message):
            raise UsageError(f"Beam option: {message}")
        parser.error = refuse
        found["unknown"] = parser.parse_known_args(list(rest))[1]
        found["known"] = _flag_names(parser.format_help())

    beam_log = logging.getLogger("apache_beam.options.pipeline_options")
    was_disabled, beam_log.disabled = beam_log.disabled, True  # it would warn of the flags we report ourselves
    try:
        PipelineOptions(list(rest)).get_all_options(add_extra_args_fn=capture)
    finally:
        beam_log.disabled = was_disabled
    return found["unknown"], found["known"]


def check_beam_args(rest: Sequence[str], ours: argparse.ArgumentParser) -> None:
    """Refuse what neither the tool nor Beam knows, and Beam flags easily taken for the tool's."""
    ours_known = _flag_names(ours.format_help())
    for arg in rest:
        name = arg.split("=", 1)[0]
        if name.startswith("--") and name.replace("_", "-") in ours_known and name not in ours_known:
            raise UsageError(f"{name} is a Beam option, not this tool's {name.replace('_', '-')}; "
                             f"write {name.replace('_', '-')} if that is what you meant")
    unknown, beam_known = beam_leftovers(rest)
    if unknown:
        flag = next((u for u in unknown if u.startswith("-")), unknown[0])
        close = difflib.get_close_matches(flag.split("=", 1)[0], ours_known + beam_known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown argument {flag}{hint}: neither {ours.prog} nor Beam knows it")


def defaults(*groups: Flags) -> dict[str, object]:
    """dest -> default of every flag the groups define."""
    return vars(build_parser("defaults", "", groups).parse_args([]))


def given(args: argparse.Namespace, *groups: Flags) -> list[str]:
    """The flags of these groups that were given a value other than their default."""
    return [f"--{dest.replace('_', '-')}" for dest, default in defaults(*groups).items()
            if getattr(args, dest, default) != default]


def parse(prog: str, description: str, argv: Sequence[str] | None, groups: Sequence[Flags],
          positionals: Sequence[Positional] = (), beam: bool = True,
          epilog: str = EXIT_CODES) -> tuple[argparse.Namespace, list[str]]:
    """(the tool's flags, the Beam flags) from `argv`; UsageError for anything unknown.

    `beam=False` for commands that run no pipeline: every flag must then be the tool's.
    """
    parser = build_parser(prog, description, groups, positionals, epilog)
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if rest and not beam:
        raise UsageError(f"unrecognized arguments: {' '.join(rest)}")
    if rest:
        check_beam_args(rest, parser)
    return args, rest
