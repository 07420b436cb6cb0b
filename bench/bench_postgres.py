"""Issue #9 targets, measured side by side in one run (medians of interleaved runs).

  python bench/bench_postgres.py [--runs 10] [--before /path/to/old/checkout]

- `opsctl track-error` on PostgreSQL ≤ 1.3 × `python -c "import psycopg; psycopg.connect(URL).close()"`
- 200 concurrent reports from two hosts: 0 failures; wall time beside the same burst on SQLite
- the same burst of 200 different problems (no global writer lock: they need not take turns)
- `opsctl track-error` on SQLite: this checkout vs `--before` (another checkout), within 2 %
- with `--before`, PostgreSQL track-error and both bursts also run on the other checkout,
  interleaved; and one report is timed while another host's write (about another problem) is
  held open for HOLD seconds: it waits for it only where a global writer lock exists
Starts its own PostgreSQL 15 server (as the tests do) on a free loopback port.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, compiled_copy, report  # noqa: E402

from tests.pg_support import Server  # noqa: E402


def burst(env_a: dict, env_b: dict, count: int, *, distinct: bool = False) -> tuple[float, int]:
    def argv(i: int) -> list[str]:
        return [sys.executable, "-m", "opsctl", "track-error", "--error-type", "api_limit", "--service",
                f"burst-{i}" if distinct else "burst", "--details", "x", "--json"]

    start = time.perf_counter()
    procs = [subprocess.Popen(argv(i), env=env_a if i % 2 else env_b, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=NEUTRAL) for i in range(count)]
    failures = sum(1 for proc in procs if proc.wait() != 0)
    return time.perf_counter() - start, failures


# `python -m` / `-c` put the working directory first on sys.path: run every command from an empty
# folder, so PYTHONPATH alone says which checkout is timed
NEUTRAL = tempfile.mkdtemp(prefix="opsctl-bench-cwd-")
HOLD = 2.0
# another host in the middle of a write about another problem: open until stdin closes (or HOLD s)
HOLDER = """
import select, sys
from opsctl.ledger import connect, errors_table, transaction
conn = connect(sys.argv[1])
with transaction(conn):
    errors_table.record(conn, {"type": "api_limit", "service": "held", "details": "", "impact": "warning",
                               "options": [], "project": None, "recommendation": None}, at="2026-03-02T09:00:00Z",
                        actor="holder")
    print("holding", flush=True)
    select.select([sys.stdin], [], [], float(sys.argv[2]))
"""


def beside_an_open_write(env: dict, url: str) -> float:
    """Seconds one track-error takes while another process holds a write transaction open."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, str(HOLD)], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=NEUTRAL)
    assert holder.stdout.readline().strip() == "holding"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "opsctl", "track-error", "--error-type", "api_limit", "--service",
                    "other", "--details", "x"], env=env, stdout=subprocess.DEVNULL, check=True, cwd=NEUTRAL)
    took = time.perf_counter() - start
    holder.communicate("")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="bursts per checkout and kind (the median is shown)")
    parser.add_argument("--before", help="an older checkout to compare SQLite track-error against")
    args = parser.parse_args()

    server = Server()
    try:
        work = Path(tempfile.mkdtemp(prefix="opsctl-bench-pg-"))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
        # both checkouts from compiled copies (as installed), like the psycopg floor's own modules
        code = str(compiled_copy(ROOT, work / "code"))
        if args.before:
            args.before = str(compiled_copy(Path(args.before), work / "before"))
        base["PYTHONPATH"] = code
        url = server.fresh()
        pg_env = dict(base, OPSCTL_HOME=str(work / "pg-home"), OPSCTL_DB=url)
        track = [sys.executable, "-m", "opsctl", "track-error", "--error-type", "system_error", "--service",
                 "bench", "--details", "x"]
        connect_only = f"python -c 'import psycopg; psycopg.connect(URL).close()'"
        named = {connect_only: ["env", f"URL={url}", sys.executable, "-c",
                                "import os, psycopg; psycopg.connect(os.environ['URL']).close()"]}
        if args.before:
            named["opsctl track-error (PostgreSQL, before)"] = ["env", f"PYTHONPATH={args.before}", *track]
        named["opsctl track-error (PostgreSQL)"] = track
        medians = compare(named, runs=args.runs, env=pg_env, cwd=NEUTRAL)
        ok = report("track-error on PostgreSQL", medians, connect_only, {"opsctl track-error (PostgreSQL)": 1.3})

        if args.before:
            print(f"\n## one track-error while another host holds a write about another problem open ({HOLD:g} s)")
            lone = {"before": medians["opsctl track-error (PostgreSQL, before)"],
                    "this checkout": medians["opsctl track-error (PostgreSQL)"]}
            for name, root in (("before", args.before), ("this checkout", code)):
                held_url = server.fresh()
                took = statistics.median(beside_an_open_write(dict(pg_env, PYTHONPATH=root, OPSCTL_DB=held_url),
                                                              held_url) for _ in range(3))
                print(f"  {name:<14} median {took * 1000:8.1f} ms   ratio to its lone track-error"
                      f" {took / lone[name]:5.2f}×")

        sqlite_env = dict(base, OPSCTL_HOME=str(work / "sqlite-home"))
        named = {"opsctl track-error (SQLite, this checkout)": track}
        if args.before:
            named = {"opsctl track-error (SQLite, before)": ["env", f"PYTHONPATH={args.before}", *track], **named}
        medians = compare(named, runs=args.runs, env=sqlite_env, cwd=NEUTRAL)
        if args.before:
            ok &= report("track-error on SQLite: before vs after", medians, "opsctl track-error (SQLite, before)",
                         {"opsctl track-error (SQLite, this checkout)": 1.02})
        else:
            report("track-error on SQLite", medians, next(iter(medians)), {})

        print(f"\n## {args.burst} concurrent reports from two hosts (median of {args.rounds} rounds)")
        checkouts = {"before": args.before, "this checkout": code} if args.before else {"this checkout": code}
        one_problem = 0.0
        for distinct in (False, True):
            samples: dict[str, list[float]] = {name: [] for name in checkouts}
            for round_ in range(args.rounds):
                for name, root in checkouts.items():  # interleaved: one burst each, back to back
                    burst_url = server.fresh()
                    homes = [dict(base, PYTHONPATH=root, OPSCTL_HOME=str(work / f"{name}-{distinct}-{round_}-{h}"),
                                  OPSCTL_DB=burst_url) for h in ("a", "b")]
                    wall, failed = burst(*homes, args.burst, distinct=distinct)
                    samples[name].append(wall)
                    ok &= failed == 0
                    if failed:
                        print(f"  {name}: {failed} failures")
            walls = {name: statistics.median(values) for name, values in samples.items()}
            for name, wall in walls.items():
                print(f"  {'different problems' if distinct else 'one problem'}, PostgreSQL, {name:<14}"
                      f" wall {wall:6.2f} s")
            one_problem = one_problem or walls["this checkout"]
            if args.before:
                print(f"  ratio this checkout / before {walls['this checkout'] / walls['before']:5.2f}×")
        shared = str(work / "shared.db")
        sq_wall, sq_failed = burst(dict(base, OPSCTL_HOME=str(work / "c"), OPSCTL_DB=shared),
                                   dict(base, OPSCTL_HOME=str(work / "d"), OPSCTL_DB=shared), args.burst)
        print(f"  one problem, SQLite (shared file)          wall {sq_wall:6.2f} s  failures {sq_failed}"
              f"   PostgreSQL (this checkout) / SQLite {one_problem / sq_wall:5.2f}×")
        ok &= sq_failed == 0
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
