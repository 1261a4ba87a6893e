"""Analytics benchmark: how fast `steppe admin simulate` generates users and a year of activity,
and how long the operator's statistics query takes, at 1 million and 12.5 million users in
Kazakhstan (and a few per cent more elsewhere). Prints figures; not a test.

    .venv/bin/python -m bench.stats_bench                      # 1M and 12.5M (minutes)
    .venv/bin/python -m bench.stats_bench --sizes 1M --keep /tmp/stats1m

Each size runs on a fresh SQLite file. The statistics read only the aggregate tables, so the
query time must not grow with the number of users: the benchmark fails loudly above a second.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from steppe.app import Steppe
from steppe.cli_stats import ProgressBar, parse_count
from steppe.services.core import Settings
from steppe.services.simulate import Plan, Simulator

MONTH = 202610
QUERY_BUDGET_S = 1.0


def plan_for(kz: int, accounts: bool) -> Plan:
    return Plan(countries={"KZ": kz, "RU": kz // 25, "UZ": kz // 40, "KG": kz // 50},
                month=MONTH, accounts=accounts)


async def run_size(kz: int, folder: Path, accounts: bool) -> dict[str, float]:
    app = Steppe(Settings(data_dir=str(folder)))
    await app.core.store.open()
    try:
        plan = plan_for(kz, accounts)
        users = sum(plan.countries.values())
        started = time.perf_counter()
        await Simulator(app.core).run(plan, ProgressBar() if accounts else None)
        took = time.perf_counter() - started
        times = []
        report: dict[str, object] = {}
        for _ in range(20):
            t = time.perf_counter()
            report = await app.services.stats.report(None, "2026-10")
            times.append(time.perf_counter() - t)
        print(f"    {report['headline']}")
        return {"users": users, "generate_s": took, "rate": users / took,
                "query_ms_median": statistics.median(times) * 1000,
                "query_ms_max": max(times) * 1000}
    finally:
        await app.core.store.close()


def cli_seconds(folder: Path) -> float:
    """Wall time of `steppe admin stats` as an operator runs it (Python start-up included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "steppe.cli", "--data", str(folder), "admin", "stats",
                    "--month", "2026-10"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,12.5M", help="users in Kazakhstan, comma-separated")
    parser.add_argument("--keep", help="keep the databases under this folder")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="steppe-stats-bench-"))
    failed = False
    try:
        for size in [parse_count(s) for s in args.sizes.split(",")]:
            for accounts in (True, False):
                folder = root / f"kz{size}-{'accounts' if accounts else 'aggregates'}"
                shutil.rmtree(folder, ignore_errors=True)
                what = "accounts + aggregates" if accounts else "aggregates only"
                print(f"== {size:,} users in Kazakhstan ({what})", flush=True)
                r = asyncio.run(run_size(size, folder, accounts))
                cli = cli_seconds(folder)
                db = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
                print(f"    generated {int(r['users']):,} users in {r['generate_s']:.1f} s"
                      f" = {r['rate']:,.0f} users/s; database {db:,.0f} MiB")
                print(f"    stats query: median {r['query_ms_median']:.2f} ms, max"
                      f" {r['query_ms_max']:.2f} ms; `steppe admin stats` wall {cli:.2f} s"
                      " (with Python start-up)", flush=True)
                failed |= r["query_ms_max"] > QUERY_BUDGET_S * 1000
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if failed:
        sys.exit(f"a stats query took more than {QUERY_BUDGET_S} s")


if __name__ == "__main__":
    main()
