"""Benchmark: `algoitny-etl check-reads` on sample data at a scale, against the one-minute budget.

    python -m bench.check_reads [--scale 20] [--sample 200]

Seeds a fresh database at the scale (`algoitny-etl seed`), migrates it into a fresh table
(`algoitny-etl migrate`), then times the whole `algoitny-etl check-reads --sample N --report
FILE` command and prints its per-pattern latency table (p50/p99 of each side) beside the
original guide's figures, as Markdown for bench/RESULTS.md. The database and the table are
dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile

import sqlalchemy as sa

from bench import support

BUDGET_SECONDS = 60


def _ms(side: dict | None) -> str:
    return "" if side is None else f"{side['p50']:.2f} | {side['p99']:.2f}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args(argv)
    support.local_services_up()
    database = f"algoitny_bench_reads_{args.scale}"
    server = sa.create_engine(support.MYSQL_SERVER, poolclass=sa.pool.NullPool)
    with server.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{database}`")
    source = support.mysql(database)
    target = support.fresh_table(f"bench_reads_{args.scale}")
    flags = ["--mysql-url", source.url, "--endpoint-url", target.endpoint_url, "--table", target.table]
    try:
        seeded = support.cli("seed", "--scale", str(args.scale), "--mysql-url", source.url)
        assert seeded.returncode == 0, seeded.stdout
        migrated = support.cli("migrate", *flags)
        assert migrated.returncode == 0, migrated.stdout
        print(f"  seeded in {seeded.seconds:.0f} s, migrated {support.item_count(target, migrated_only=True):,} "
              f"items in {migrated.seconds:.0f} s")
        with tempfile.TemporaryDirectory() as scratch:
            report_path = f"{scratch}/reads.json"
            checked = support.cli("check-reads", "--sample", str(args.sample), "--report", report_path, *flags)
            assert checked.returncode == 0, checked.stdout
            with open(report_path, encoding="utf-8") as handle:
                report = json.load(handle)
    finally:
        support.drop_table(target)
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{database}`")
        server.dispose()

    verdict = "within" if checked.seconds < BUDGET_SECONDS else "OVER"
    print(f"\ncheck-reads --sample {args.sample} at scale {args.scale}: {checked.seconds:.1f} s wall "
          f"({verdict} the {BUDGET_SECONDS} s budget), {report['seconds']} s comparing, {report['calls']:,} answers "
          f"compared, {report['different']} different, peak RSS {checked.peak_rss_mb:.0f} MB\n")
    print("| pattern | calls | equal | deliberate | different | MySQL p50 ms | MySQL p99 ms | DynamoDB p50 ms | "
          "DynamoDB p99 ms | original guide ms (AWS) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in report["patterns"]:
        print(f"| {p['key']} | {p['calls']:,} | {p['equal']:,} | {p['deliberate']:,} | {p['different']:,} | "
              f"{_ms(p['latency_ms']['mysql'])} | {_ms(p['latency_ms']['dynamodb'])} | {p['guide_ms'] or '—'} |")


if __name__ == "__main__":
    main(sys.argv[1:])
