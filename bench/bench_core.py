"""Issue #2 start-up targets, measured side by side (median of ≥10 interleaved runs).

  python bench/bench_core.py [--runs 15]

- `opsctl track-error …` (a ledger write)    ≤ 1.35 × `python -c "import typer, sqlite3"`
- `opsctl errors list --json` on 100,000 errors ≤ 2 × the same baseline
The 100,000-error ledger is built by this script in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, opsctl_command, report  # noqa: E402


def build_ledger(path: Path, count: int) -> None:
    from opsctl.ledger import connect

    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO errors (fingerprint, type, service, project, impact, status, details, options,
                            occurrences, first_seen, last_seen, opened_at, updated_at)
        SELECT printf('fp%d', i),
               CASE i % 5 WHEN 0 THEN 'api_limit' WHEN 1 THEN 'auth_failure' WHEN 2 THEN 'system_error'
                          WHEN 3 THEN 'integration_missing' ELSE 'api_limit_warning' END,
               printf('service-%d', i % 200), printf('project-%d', i % 20),
               CASE i % 3 WHEN 0 THEN 'blocking' WHEN 1 THEN 'warning' ELSE 'info' END,
               'resolved', 'details of a benchmark error', '["retry","ignore"]', 1 + i % 7,
               strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i * 60)),
               strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i * 60 + 30)),
               strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i * 60)),
               strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i * 60 + 30))
        FROM n
        """,
        (count,),
    )
    conn.commit()
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--errors", type=int, default=100_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="opsctl-bench-"))
    big = work / "big.db"
    build_ledger(big, args.errors)
    opsctl = opsctl_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTION_", "OPSCTL_"))}
    env["OPSCTL_HOME"] = str(work / "home")

    baseline = "python -c 'import typer, sqlite3'"
    write = "opsctl track-error (ledger write)"
    listing = f"opsctl errors list --json ({args.errors:,} errors)"
    commands = {
        baseline: [sys.executable, "-c", "import typer, sqlite3"],
        write: opsctl + ["track-error", "--error-type", "system_error", "--service", "bench", "--details", "x"],
        listing: ["env", f"OPSCTL_DB={big}"] + opsctl + ["errors", "list", "--json"],
    }
    medians = compare(commands, runs=args.runs, env=env)
    ok = report("opsctl core start-up (issue #2)", medians, baseline, {write: 1.35, listing: 2.0})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
