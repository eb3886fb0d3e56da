"""`algoitny-etl check-reads`: prove the repositories answer the application's reads as its MySQL
queries do, on a deterministic sample of keys per access pattern. A thin driver: the work is
pipelines/read_parity.check_reads (no Beam), which cut-over calls in-process too.

Exit 0 when every answer matches (declared differences listed apart), 1 when one differs, 2
when it could not run (a flag, a pattern name, a service it cannot reach: the message says
what to do).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import sqlalchemy as sa
from botocore.exceptions import BotoCoreError, ClientError

from connectors.dynamodb.admin import TableCheckError, check_table_ready
from connectors.dynamodb.config import DynamoDBConfig
from connectors.dynamodb.hints import explain as dynamodb_explained
from connectors.errors import ConfigError
from connectors.mysql.config import MySQLConfig
from connectors.mysql.hints import explain as mysql_explained
from connectors.mysql.preflight import PreflightError, check_source_tables
from pipelines import basics, options
from pipelines.read_parity import DEFAULT_SAMPLE, check_reads
from reports.read_parity_report import print_report
from schema.access_patterns import PATTERNS_BY_KEY, AccessPattern, patterns_named
from schema.entities import ITEM_SPECS

DESCRIPTION = "ask MySQL and the repositories the application's reads on a sample of keys; compare the answers"


def _check_reads(group):
    group.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, metavar="N",
                       help="keys per access pattern, picked deterministically from MySQL (a paginated pattern "
                            "walks up to N pages)")
    group.add_argument("--pattern", metavar="P[,P...]",
                       help=f"access patterns to check: all (default), {', '.join(PATTERNS_BY_KEY)}")


CHECK_READS = options.Flags("check-reads", _check_reads)
FLAGS = (options.SOURCE, options.TARGET, CHECK_READS, options.REPORT)
EPILOG = ("exit codes: 0 every answer matches; 1 an answer differs (the report names the pattern and the key); "
          "2 could not run (the message says why)")
SAMPLED_TOO = ("users", "subscription_plans")  # the samplers read them for every pattern's keys


@dataclass(frozen=True)
class CheckReadsSettings:
    mysql: MySQLConfig
    dynamo: DynamoDBConfig
    patterns: tuple[AccessPattern, ...]
    sample: int
    report_path: str | None = None

    def __post_init__(self):
        if self.sample < 1:
            raise ConfigError("--sample must be at least 1")

    def source_tables(self) -> list[str]:
        tables = {ITEM_SPECS[tp].source for pattern in self.patterns for tp in pattern.item_types}
        return sorted(tables | set(SAMPLED_TOO))


def build(args) -> CheckReadsSettings:
    try:
        patterns = patterns_named(args.pattern)
    except ValueError as error:
        raise ConfigError(f"--pattern: {error}") from None
    return CheckReadsSettings(basics.mysql_config(args), basics.dynamodb_config(args), patterns, args.sample,
                              args.report_path)


def run(argv: list[str] | None = None) -> int:
    try:
        args, _ = options.parse("algoitny-etl check-reads", DESCRIPTION, argv, FLAGS, beam=False, epilog=EPILOG)
        settings = build(args)
        for warning in check_source_tables(settings.mysql, settings.source_tables(), allow_unmapped=True):
            print(f"warning: {warning}", file=sys.stderr)
        check_table_ready(settings.dynamo)
    except (options.UsageError, ConfigError, PreflightError, TableCheckError) as error:
        print(f"check-reads: {error}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    try:
        report = check_reads(settings.mysql, settings.dynamo, settings.sample, [p.key for p in settings.patterns])
    except sa.exc.OperationalError as error:
        print(f"check-reads: stopped: MySQL at {settings.mysql.masked()}: {mysql_explained(error)}", file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    except (BotoCoreError, ClientError) as error:
        print(f"check-reads: stopped: {settings.dynamo.describe()}: {dynamodb_explained(error, settings.dynamo)}",
              file=sys.stderr)
        return basics.EXIT_CANNOT_RUN
    print_report(report)
    if settings.report_path:
        basics.ensure_parent(settings.report_path)
        with open(settings.report_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2, ensure_ascii=False)
        print(f"report: {settings.report_path}")
    return basics.EXIT_DIFFERENCES if report["different"] else basics.EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
