"""Benchmark: deep verify against a bare parallel Scan of the same table, in the same run.

    python -m bench.deep_verify [SCALE ...]     (default: 180 and 540, about 100k and 300k items)
    python -m bench.deep_verify --usage-rows 100000

For each size: seed MySQL, migrate into a fresh DynamoDB Local table, then alternate a bare
parallel Scan (bench/bare_scan.py) and `algoitny-etl verify --deep`, twice each. Reports
items/s of both and their ratio (target: deep >= 0.7x scan), and the peak resident memory of
deep verify's whole process tree (target: the same at 300k as at 100k).

--usage-rows: a table of usage logs only (every row live), deep verify in one process
against the bare Scan, alternating over 3 rounds (target: deep >= 0.6x scan).
"""

from __future__ import annotations

import re
import sys

from bench import support
from sample_data.generate import SeedCounts

SEGMENTS = 8
ROUNDS = 2


def run_size(scale: int) -> dict:
    database, table = f"algoitny_bench_s{scale}", f"bench_deep_s{scale}"
    print(f"scale {scale}:")
    source = support.seed_database(database, SeedCounts.for_scale(scale))
    config = support.fresh_table(table)
    flags = ["--mysql-url", source.url, "--endpoint-url", config.endpoint_url, "--table", table]
    loaded = support.cli("migrate", *flags, *support.TWO_WORKERS)
    assert loaded.returncode == 0, loaded.stdout
    items = support.item_count(config)
    print(f"  migrated {items:,} items in {loaded.seconds:.0f} s")

    scans, deeps, single = [], [], None
    for _ in range(ROUNDS):
        in_table = support.item_count(config)  # deep verify adds its proof records to the table
        scan = support.measure([sys.executable, "-m", "bench.bare_scan", table, str(SEGMENTS)])
        assert scan.returncode == 0, scan.stdout
        assert re.search(rf"scanned {in_table} items", scan.stdout), scan.stdout
        scans.append(scan)
        deep = support.cli("verify", "--deep", "--segments", str(SEGMENTS), *flags, *support.TWO_WORKERS)
        assert deep.returncode == 0, deep.stdout
        deeps.append(deep)
        print(f"  bare scan {scan.seconds:.1f} s ({scan.peak_rss_mb:.0f} MB), "
              f"deep verify {deep.seconds:.1f} s ({deep.peak_rss_mb:.0f} MB)")
    single = support.cli("verify", "--deep", "--segments", str(SEGMENTS), *flags)
    assert single.returncode == 0, single.stdout
    print(f"  deep verify, one process: {single.seconds:.1f} s ({single.peak_rss_mb:.0f} MB)")
    scan_rate = items / support.median([s.seconds for s in scans])
    deep_rate = items / support.median([d.seconds for d in deeps])
    return {
        "scale": scale, "items": items, "scan_rate": scan_rate, "deep_rate": deep_rate,
        "ratio": deep_rate / scan_rate, "deep_rss": max(d.peak_rss_mb for d in deeps),
        "single_rss": single.peak_rss_mb, "single_rate": items / single.seconds,
        "scan_rss": max(s.peak_rss_mb for s in scans),
    }


def run_usage(rows: int, rounds: int = 3) -> None:
    """Usage logs only, deep verify in one process, alternating with the bare Scan."""
    print(f"usage logs only, {rows:,} rows:")
    source = support.seed_usage(rows)
    config = support.fresh_table(f"bench_deep_usage_{rows}")
    flags = ["--mysql-url", source.url, "--endpoint-url", config.endpoint_url, "--table", config.table]
    loaded = support.cli("migrate", "--entity", "usage", *flags)
    assert loaded.returncode == 0, loaded.stdout
    items = support.item_count(config)
    scans, deeps = [], []
    for _ in range(rounds):
        in_table = support.item_count(config)  # deep verify adds its proof records to the table
        scan = support.measure([sys.executable, "-m", "bench.bare_scan", config.table, str(SEGMENTS)])
        assert scan.returncode == 0 and re.search(rf"scanned {in_table} items", scan.stdout), scan.stdout
        deep = support.cli("verify", "--deep", "--entity", "usage", "--segments", str(SEGMENTS), *flags)
        assert deep.returncode == 0, deep.stdout
        scans.append(scan.seconds)
        deeps.append(deep.seconds)
        print(f"  bare scan {scan.seconds:.1f} s, deep verify (one process) {deep.seconds:.1f} s")
    scan_rate, deep_rate = items / support.median(scans), items / support.median(deeps)
    print(f"\n| items | bare Scan items/s | deep verify items/s (1 process) | ratio |\n|---:|---:|---:|---:|\n"
          f"| {items:,} | {scan_rate:,.0f} | {deep_rate:,.0f} | {deep_rate / scan_rate:.2f}x |")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--usage-rows"]:
        support.local_services_up()
        run_usage(int(argv[1]))
        return
    scales = [int(a) for a in argv] or [180, 540]
    support.local_services_up()
    results = [run_size(scale) for scale in scales]
    print("\n| items | bare Scan items/s | deep verify items/s (2 workers) | ratio | deep verify peak RSS, 2 workers | "
          "deep verify 1 process: items/s, peak RSS | bare Scan peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['items']:,} | {r['scan_rate']:,.0f} | {r['deep_rate']:,.0f} | {r['ratio']:.2f}x | "
              f"{r['deep_rss']:.0f} MB | {r['single_rate']:,.0f}, {r['single_rss']:.0f} MB | {r['scan_rss']:.0f} MB |")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"\npeak RSS at {last['items']:,} / at {first['items']:,} items: "
              f"2 workers {last['deep_rss'] / first['deep_rss']:.2f}x, "
              f"1 process {last['single_rss'] / first['single_rss']:.2f}x "
              f"(table {last['items'] / first['items']:.1f}x larger)")


if __name__ == "__main__":
    main(sys.argv[1:])
