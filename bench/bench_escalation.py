"""Issue #4 speed targets, on a ledger of 1,000,000 errors and their events built by this script.

  python bench/bench_escalation.py [--runs 7] [--errors 1000000] [--keep DIR]

- `opsctl stats --since 30d` (and `--json`) on the big ledger      ≤ 3 × `opsctl errors list --json` on
                                                                     an empty ledger (same run)
- `opsctl tick` with nothing due on the big ledger                 ≤ 1.5 × `opsctl errors list --json`
                                                                     on an empty ledger (same run)
The errors spread over the 365 days before a fixed "now" (OPSCTL_NOW), about 82,000 of them in the
last 30 days; ~2,000 are still open (some with timers in the future, none due); each error has three
events (reported, notified, resolved). Commands run interleaved (bench/harness.py).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import compare, opsctl_command, report  # noqa: E402

NOW = "2026-06-01T12:00:00.000000Z"
NOW_EPOCH = 1780315200  # 2026-06-01T12:00:00Z
OPEN_TAIL = 2000  # the newest errors are still open

ERRORS_SQL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count),
t AS (SELECT i, :now - CAST(i * (365 * 86400.0 / :count) AS INTEGER) AS opened,
             i <= :open_tail AS still_open,
             CASE WHEN i % 10 < 2 THEN 'blocking' WHEN i % 10 < 6 THEN 'warning' ELSE 'info' END AS impact
      FROM n)
INSERT INTO errors (id, fingerprint, type, service, project, impact, status, details, options, occurrences,
                    first_seen, last_seen, opened_at, notified_at, acknowledged_at, resolved_at, resolution_seconds,
                    solution, cause, detection, prevention, escalations, regressions, next_escalation_at, updated_at,
                    response_seconds, answered_seconds)
SELECT i, CASE WHEN still_open THEN printf('open-%d', i) ELSE printf('fp-%d', i % 5000) END,
       CASE i % 5 WHEN 0 THEN 'api_limit' WHEN 1 THEN 'auth_failure' WHEN 2 THEN 'system_error'
                  WHEN 3 THEN 'integration_missing' ELSE 'api_limit_warning' END,
       printf('Service %d', i % 40), CASE WHEN i % 13 = 0 THEN '' ELSE printf('Project %d', i % 12) END,
       impact,
       CASE WHEN NOT still_open THEN 'resolved' WHEN i % 3 = 0 THEN 'acknowledged' ELSE 'escalated' END,
       'benchmark error', '["Retry","Ignore"]', 1 + i % 7,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened + i % 3600, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened, 'unixepoch'),
       CASE WHEN impact = 'info' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened + 30, 'unixepoch') END,
       CASE WHEN impact = 'info' OR (still_open AND i % 3 != 0) THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened + 30 + (i * 7) % 1800, 'unixepoch') END,
       CASE WHEN still_open THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened + 60 + (i * 13) % 86400,
                                                    'unixepoch') END,
       CASE WHEN still_open THEN NULL ELSE 60 + (i * 13) % 86400 END,
       CASE WHEN still_open THEN NULL ELSE 'retried' END,
       CASE WHEN still_open OR i % 7 = 0 THEN NULL ELSE 'quota' END,
       CASE WHEN still_open THEN NULL ELSE 'notify-error' END,
       CASE WHEN still_open OR i % 7 = 0 THEN NULL ELSE 'alert at 80%' END,
       (impact = 'blocking' AND i % 4 = 0), (i % 50 = 0),
       CASE WHEN still_open AND i % 3 != 0 AND impact != 'info'
            THEN strftime('%Y-%m-%dT%H:%M:%S.000000Z', :now + 600 + i, 'unixepoch') END,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', opened, 'unixepoch'),
       CASE WHEN impact = 'info' OR (still_open AND i % 3 != 0) THEN NULL ELSE (i * 7) % 1800 END,
       CASE WHEN impact = 'info' OR (still_open AND i % 3 != 0) THEN NULL ELSE (i * 7) % 1800 END
FROM t
"""

EVENTS_SQL = """
INSERT INTO events (subject, subject_id, action, from_status, to_status, actor, at)
SELECT 'error', id, 'created', NULL, 'open', 'bench', opened_at FROM errors
UNION ALL SELECT 'error', id, 'status', 'open', 'escalated', 'bench', notified_at FROM errors
    WHERE notified_at IS NOT NULL
UNION ALL SELECT 'error', id, 'status', status, 'resolved', 'bench', resolved_at FROM errors
    WHERE resolved_at IS NOT NULL
"""


def build_ledger(path: Path, count: int) -> None:
    """Schema from opsctl's own migrations; rows in bulk with the indexes dropped, then re-created."""
    from opsctl.ledger import connect

    connect(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                           " AND tbl_name IN ('errors', 'events')").fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.execute(ERRORS_SQL, {"count": count, "now": NOW_EPOCH, "open_tail": min(OPEN_TAIL, count // 10)})
    conn.execute(EVENTS_SQL)
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def big_ledger(folder: Path | None, errors: int, prefix: str) -> Path:
    """The big ledger in `folder` (a new temporary folder when None), built on first use and reused after."""
    work = folder or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    big = work / f"big-{errors}.db"
    if not big.exists():
        started = time.perf_counter()
        build_ledger(big, errors)
        print(f"built {big} ({errors:,} errors + events) in {time.perf_counter() - started:.1f}s")
    return big


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--errors", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the big ledger in this folder.")
    args = parser.parse_args()

    big = big_ledger(args.keep, args.errors, "opsctl-bench-escalation-")
    work = big.parent
    conn = sqlite3.connect(big)
    events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    window = conn.execute("SELECT COUNT(*) FROM errors WHERE opened_at >= '2026-05-02T12:00:00'").fetchone()[0]
    conn.close()
    print(f"ledger: {args.errors:,} errors, {events:,} events, {window:,} opened in the last 30 days")

    opsctl = opsctl_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env["OPSCTL_HOME"] = str(work / "empty-home")
    on_big = ["env", f"OPSCTL_DB={big}", f"OPSCTL_NOW={NOW}"] + opsctl

    baseline = "opsctl errors list --json (empty ledger)"
    tick = "opsctl tick, nothing due (1M ledger)"
    stats_rich = "opsctl stats --since 30d (1M ledger)"
    stats_json = "opsctl stats --since 30d --json (1M ledger)"
    commands = {
        baseline: opsctl + ["errors", "list", "--json"],
        tick: on_big + ["tick"],
        stats_rich: on_big + ["stats", "--since", "30d"],
        stats_json: on_big + ["stats", "--since", "30d", "--json"],
    }
    medians = compare(commands, runs=max(5, args.runs), env=env)
    ok = report("opsctl tick vs errors list (issue #4)", {k: medians[k] for k in (baseline, tick)}, baseline,
                {tick: 1.5})
    # was "≤ 1000 ms": now a ratio to the same floor (an empty-ledger call), so load cannot flip it
    ok &= report("opsctl stats vs errors list on an empty ledger (same run)",
                 {k: medians[k] for k in (baseline, stats_rich, stats_json)}, baseline,
                 {stats_rich: 3.0, stats_json: 3.0})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
