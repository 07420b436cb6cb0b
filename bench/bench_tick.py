"""Issue #13: `opsctl tick` with 10,000 escalations due, as a ratio to the SQL floor of claiming them.

  python bench/bench_tick.py [--runs 5] [--errors 10000] [--before REV] [--profile]

Every run starts from a fresh copy of one ledger: 10,000 escalated blocking errors whose first
escalation is due (schema from opsctl's migrations, rows inserted with SQL). One channel is
configured: a webhook to a keep-alive loopback endpoint (bench/loopback.py). Timed side by side,
interleaved, whole processes:

- the floor: bench/tick_floor.py, plain python + sqlite3 doing the minimum claim in one
  transaction (compare-and-set UPDATE of each timer, an event row and an outbox row);
- `opsctl tick --limit N` with the webhook held by quiet hours (`routing.quiet` covering the whole
  day for blocking): tick claims and enqueues everything and sends nothing. This is the part the
  target is about: ≤ 2 × the floor;
- `opsctl tick --limit N` as users run it: claims, enqueues, and sends all N notices to the
  endpoint (each must arrive exactly once). Shown against the floor plus the keep-alive HTTP floor
  of bench_deliver.py for the same N bodies (bench/deliver_floor.py), for information.

--before REV times the same commands with opsctl as it was at git revision REV, in the same run.
--profile prints the top of a cProfile of the held tick (in this process) and exits.
"""

from __future__ import annotations

import argparse
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
from harness import checkout  # noqa: E402
from loopback import NOW, Endpoint, due_ledger  # noqa: E402

NEXT_AT = "2026-06-01T12:15:00.000000Z"  # the floor's next timer (blocking repeats after 15m)
HELD = 'routing: {quiet: {hours: "00:00-23:59", impacts: [blocking]}}\n'


def homes(work: Path, url: str) -> dict[str, Path]:
    found = {}
    for name, extra in (("held", HELD), ("live", "")):
        home = work / name
        home.mkdir(exist_ok=True)
        (home / "opsctl.yaml").write_text(f"channels:\n  hooks: {{type: webhook, url: '{url}'}}\n{extra}")
        found[name] = home
    return found


def run(argv: list[str], env: dict, cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=cwd)  # `python -m` imports from cwd
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {argv}\n{proc.stderr[-2000:]}")
    return took, proc.stdout


def tick_argv(count: int) -> list[str]:
    return [sys.executable, "-m", "opsctl", "tick", "--limit", str(count)]  # as cron runs it (text out)


def check_tick(ledger: Path, count: int, sent: bool) -> None:
    """Every error escalated once, with one event and one outbox row, sent or (held) queued."""
    conn = sqlite3.connect(ledger)
    escalated = conn.execute("SELECT COUNT(*) FROM errors WHERE escalations = 1").fetchone()[0]
    events = conn.execute("SELECT COUNT(*) FROM events WHERE action = 'escalation'").fetchone()[0]
    rows = conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = ? AND event_id IS NOT NULL",
                        ("sent" if sent else "queued",)).fetchone()[0]
    conn.close()
    if not escalated == events == rows == count:
        raise SystemExit(f"tick: {escalated} escalated, {events} events, {rows} rows "
                         f"{'sent' if sent else 'queued'}; expected {count} each")


def profile(template: Path, work: Path, home: Path, count: int) -> None:
    import cProfile
    import pstats

    ledger = work / "profile.db"
    shutil.copy(template, ledger)
    os.environ.update(OPSCTL_HOME=str(home), OPSCTL_DB=str(ledger), OPSCTL_NOW=NOW,
                      OPSCTL_CONFIG=str(home / "opsctl.yaml"))
    from opsctl.escalation.tick import tick

    profiler = cProfile.Profile()
    profiler.enable()
    result = tick(limit=count)
    profiler.disable()
    print(f"{len(result['notices'])} notices")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(35)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--errors", type=int, default=10_000)
    parser.add_argument("--before", help="also time opsctl as it was at this git revision")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count = args.errors
    work = Path(tempfile.mkdtemp(prefix="opsctl-bench-tick-"))
    template = work / "due.db"
    due_ledger(template, count)
    endpoint = Endpoint()
    places = homes(work, endpoint.url)
    if args.profile:
        profile(template, work, places["held"], count)
        return 0
    codes = {"": ROOT}
    if args.before:
        codes[f" [{args.before}]"] = checkout(args.before, work / "before")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    base.update(OPSCTL_NOW=NOW, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    floor, floor_http = "SQL floor: claim + event + outbox row, one transaction", "+ keep-alive HTTP floor"
    samples: dict[str, list[float]] = {}
    ledger = work / "run.db"

    def timed(name: str, argv: list[str], env: dict, after=None) -> str:
        shutil.copy(template, ledger)
        for tail in ("-wal", "-shm"):
            Path(f"{ledger}{tail}").unlink(missing_ok=True)
        endpoint.reset()
        took, out = run(argv, dict(env, OPSCTL_DB=str(ledger)), work)
        if after:
            after(out)
        samples.setdefault(name, []).append(took)
        return out

    for number in range(args.runs + 1):  # the first round warms the caches and is not counted
        timed(floor, [sys.executable, str(ROOT / "bench" / "tick_floor.py"), str(ledger), NOW, NEXT_AT, "hooks"], base)
        for tag, code in codes.items():
            env = dict(base, PYTHONPATH=str(code))
            timed(f"opsctl tick, webhook held (claim + enqueue){tag}", tick_argv(count),
                  dict(env, OPSCTL_HOME=str(places["held"])), lambda out: check_tick(ledger, count, sent=False))

            def sent_once(out: str) -> None:
                check_tick(ledger, count, sent=True)
                if problem := endpoint.check(count):
                    raise SystemExit(f"tick{tag}: {problem}")

            timed(f"opsctl tick, webhook live (+ {count:,} POSTs){tag}", tick_argv(count),
                  dict(env, OPSCTL_HOME=str(places["live"])), sent_once)
        # the HTTP floor on the rows the floor's claim queued (same count of posts, realistic bodies)
        timed(floor_http, [sys.executable, str(ROOT / "bench" / "deliver_floor.py"), str(ledger), endpoint.url,
                           "--claim", NOW, NEXT_AT], base)
        if number == 0:
            samples = {}
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base_s = medians[floor]
    print(f"\n## opsctl tick with {count:,} escalations due vs the SQL floor of claiming them"
          f" (medians of {args.runs} interleaved runs)")
    ok = True
    for name, value in medians.items():
        if name == floor_http:
            continue
        line = f"  {name:<62} {value * 1000:8.1f} ms"
        if name != floor:
            ratio = value / base_s
            line += f"   {ratio:5.2f}× floor"
            if "held" in name:
                passed = ratio <= 2.0
                line += f"  (target ≤ 2×: {'PASS' if passed else 'FAIL'})"
                ok &= passed or name.endswith("]")
            else:
                both = medians[floor_http]  # the HTTP floor already includes the SQL claim
                line += f"   {value / both:5.2f}× (SQL + HTTP floor {both * 1000:.0f} ms)"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
