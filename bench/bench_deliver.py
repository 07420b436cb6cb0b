"""Issue #13: `opsctl deliver` of 10,000 queued rows to a loopback webhook, as a throughput ratio to a
plain keep-alive client sending the same bodies, in the same run.

  python bench/bench_deliver.py [--runs 5] [--rows 10000] [--before REV]

The queued rows are real: `opsctl tick` escalates 10,000 due errors (bench/loopback.py) with the
webhook channel `hooks` held by quiet hours, then the rows are made due. Every run starts from a
fresh copy of that ledger. Timed side by side, interleaved, whole processes:

- the floor: bench/deliver_floor.py, python + http.client, ONE reused connection, each row's body
  POSTed and its answer read, nothing written back;
- `opsctl deliver --json`: claims, sends (keep-alive), records every row as sent; each row must
  reach the endpoint exactly once and come back `sent`.

Target: opsctl's throughput ≥ 0.8 × the floor's. --before REV also times opsctl at that revision.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
from bench_tick import HELD  # noqa: E402
from harness import checkout  # noqa: E402
from loopback import NOW, Endpoint, due_ledger  # noqa: E402

LATER = "2026-06-01T12:01:00.000000Z"  # when deliver runs: every row is due


def queued_ledger(path: Path, count: int, url: str, work: Path) -> None:
    due_ledger(path, count)
    home = work / "build-home"
    home.mkdir(exist_ok=True)
    (home / "opsctl.yaml").write_text(f"channels:\n  hooks: {{type: webhook, url: '{url}'}}\n{HELD}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env.update(PYTHONPATH=str(ROOT), OPSCTL_HOME=str(home), OPSCTL_DB=str(path), OPSCTL_NOW=NOW)
    subprocess.run([sys.executable, "-m", "opsctl", "tick", "--limit", str(count)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE deliveries SET next_attempt_at = ? WHERE status = 'queued'", (NOW,))
    queued = conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'queued'").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    if queued != count:
        raise SystemExit(f"expected {count} queued rows, found {queued}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--before", help="also time opsctl as it was at this git revision")
    args = parser.parse_args()
    count = args.rows
    work = Path(tempfile.mkdtemp(prefix="opsctl-bench-deliver-"))
    endpoint = Endpoint()
    template = work / "queued.db"
    queued_ledger(template, count, endpoint.url, work)
    home = work / "home"
    home.mkdir()
    (home / "opsctl.yaml").write_text(f"channels:\n  hooks: {{type: webhook, url: '{endpoint.url}'}}\n")
    codes = {"opsctl deliver": ROOT}
    if args.before:
        codes[f"opsctl deliver [{args.before}]"] = checkout(args.before, work / "before")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    base.update(OPSCTL_NOW=LATER, OPSCTL_HOME=str(home), NO_PROXY="127.0.0.1,localhost",
                no_proxy="127.0.0.1,localhost")
    floor = "floor: http.client, one keep-alive connection"
    ledger = work / "run.db"
    samples: dict[str, list[float]] = {}
    connections: dict[str, int] = {}
    for number in range(args.runs + 1):  # the first round warms the caches and is not counted
        runs = [(floor, [sys.executable, str(ROOT / "bench" / "deliver_floor.py"), str(ledger), endpoint.url], base)]
        runs += [(name, [sys.executable, "-m", "opsctl", "deliver", "--json"], dict(base, PYTHONPATH=str(code)))
                 for name, code in codes.items()]
        for name, argv, env in runs:
            shutil.copy(template, ledger)
            for tail in ("-wal", "-shm"):
                Path(f"{ledger}{tail}").unlink(missing_ok=True)
            endpoint.reset()
            started = time.perf_counter()
            proc = subprocess.run(argv, env=dict(env, OPSCTL_DB=str(ledger)), capture_output=True, text=True,
                                  cwd=work)  # not this checkout: `python -m` would import its opsctl first
            took = time.perf_counter() - started
            if proc.returncode != 0:
                raise SystemExit(f"failed ({proc.returncode}): {argv}\n{proc.stderr[-2000:]}")
            if problem := endpoint.check(count):
                raise SystemExit(f"{name}: {problem}")
            if name != floor:
                sent = json.loads(proc.stdout)["sent"]
                recorded = sqlite3.connect(ledger).execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'"
                                                           ).fetchone()[0]
                if sent != count or recorded != count:
                    raise SystemExit(f"{name}: {sent} reported sent, {recorded} recorded sent; expected {count}")
            connections[name] = endpoint.connections
            if number:
                samples.setdefault(name, []).append(took)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"\n## opsctl deliver of {count:,} queued rows to a loopback webhook vs a keep-alive client"
          f" (medians of {args.runs} interleaved runs)")
    ok = True
    for name, seconds in medians.items():
        rate = count / seconds
        line = f"  {name:<48} {seconds * 1000:8.1f} ms  {rate:7.0f} rows/s  {connections[name]:5d} connections"
        if name != floor:
            ratio = rate / (count / medians[floor])
            line += f"   {ratio:4.2f}× the floor's throughput"
            if "[" not in name:
                ok = ratio >= 0.8
                line += f"  (target ≥ 0.8×: {'PASS' if ok else 'FAIL'})"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
