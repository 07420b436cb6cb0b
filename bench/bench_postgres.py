"""Issue #9 targets, measured side by side in one run (medians of interleaved runs).

  python bench/bench_postgres.py [--runs 10] [--before /path/to/old/checkout]

- `opsctl track-error` on PostgreSQL ≤ 1.3 × `python -c "import psycopg; psycopg.connect(URL).close()"`
- 200 concurrent reports from two hosts: 0 failures; wall time beside the same burst on SQLite
- `opsctl track-error` on SQLite: this checkout vs `--before` (another checkout), within 2 %
Starts its own PostgreSQL 15 server (as the tests do) on a free loopback port.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, report  # noqa: E402

from tests.pg_support import Server  # noqa: E402


def burst(env_a: dict, env_b: dict, count: int) -> tuple[float, int]:
    argv = [sys.executable, "-m", "opsctl", "track-error", "--error-type", "api_limit", "--service", "burst",
            "--details", "x", "--json"]
    start = time.perf_counter()
    procs = [subprocess.Popen(argv, env=env_a if i % 2 else env_b, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for i in range(count)]
    failures = sum(1 for proc in procs if proc.wait() != 0)
    return time.perf_counter() - start, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--before", help="an older checkout to compare SQLite track-error against")
    args = parser.parse_args()

    server = Server()
    try:
        work = Path(tempfile.mkdtemp(prefix="opsctl-bench-pg-"))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
        base["PYTHONPATH"] = str(ROOT)
        url = server.fresh()
        pg_env = dict(base, OPSCTL_HOME=str(work / "pg-home"), OPSCTL_DB=url)
        track = [sys.executable, "-m", "opsctl", "track-error", "--error-type", "system_error", "--service",
                 "bench", "--details", "x"]
        connect_only = f"python -c 'import psycopg; psycopg.connect(URL).close()'"
        medians = compare({
            connect_only: ["env", f"URL={url}", sys.executable, "-c",
                           "import os, psycopg; psycopg.connect(os.environ['URL']).close()"],
            "opsctl track-error (PostgreSQL)": track,
        }, runs=args.runs, env=pg_env)
        ok = report("track-error on PostgreSQL", medians, connect_only, {"opsctl track-error (PostgreSQL)": 1.3})

        sqlite_env = dict(base, OPSCTL_HOME=str(work / "sqlite-home"))
        named = {"opsctl track-error (SQLite, this checkout)": track}
        if args.before:
            named = {"opsctl track-error (SQLite, before)": ["env", f"PYTHONPATH={args.before}", *track], **named}
        medians = compare(named, runs=args.runs, env=sqlite_env)
        if args.before:
            ok &= report("track-error on SQLite: before vs after", medians, "opsctl track-error (SQLite, before)",
                         {"opsctl track-error (SQLite, this checkout)": 1.02})
        else:
            report("track-error on SQLite", medians, next(iter(medians)), {})

        burst_url = server.fresh()
        pg_wall, pg_failed = burst(dict(base, OPSCTL_HOME=str(work / "a"), OPSCTL_DB=burst_url),
                                   dict(base, OPSCTL_HOME=str(work / "b"), OPSCTL_DB=burst_url), args.burst)
        shared = str(work / "shared.db")
        sq_wall, sq_failed = burst(dict(base, OPSCTL_HOME=str(work / "c"), OPSCTL_DB=shared),
                                   dict(base, OPSCTL_HOME=str(work / "d"), OPSCTL_DB=shared), args.burst)
        print(f"\n## {args.burst} concurrent reports from two hosts")
        print(f"  PostgreSQL  wall {pg_wall:6.2f} s  failures {pg_failed}")
        print(f"  SQLite      wall {sq_wall:6.2f} s  failures {sq_failed}   ratio {pg_wall / sq_wall:5.2f}×")
        ok &= pg_failed == 0 and sq_failed == 0
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
