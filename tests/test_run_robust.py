"""`opsctl run` always runs the job and exits with the job's own code, whatever state opsctl is in."""

from __future__ import annotations

import json
import sqlite3
import sys

from tests.test_spool import _hold_lock, _spool


def test_locked_ledger_still_runs_the_job_with_its_exit_code(cli, isolated_home, tmp_path):
    cli.json("track-error", "--error-type", "system_error", "--service", "seed")
    marker = tmp_path / "ran"
    holder = _hold_lock(isolated_home / "ledger.db")
    try:
        ok = cli("run", "locked", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')",
                 env={"OPSCTL_BUSY_TIMEOUT": "0.2"})
        failed = cli("run", "locked", "--", sys.executable, "-c", "import sys; sys.exit(7)",
                     env={"OPSCTL_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.stdin.close()
        holder.wait()
    assert ok.returncode == 0 and marker.exists(), ok.stderr
    assert failed.returncode == 7
    assert "could not record the run" in ok.stderr and len(_spool(isolated_home)) == 2
    log = [json.loads(line) for line in (isolated_home / "logs" / "runs.jsonl").read_text().splitlines()]
    assert [entry["status"] for entry in log] == ["SUCCESS", "ERROR"]
    cli.json("errors", "list")  # the next command ingests the spooled runs
    conn = sqlite3.connect(isolated_home / "ledger.db")
    runs = conn.execute("SELECT status, exit_code FROM runs WHERE job = 'locked' ORDER BY id").fetchall()
    assert runs == [("SUCCESS", 0), ("ERROR", 7)]
    assert conn.execute("SELECT count(*) FROM errors WHERE service = 'locked'").fetchone()[0] == 1
    assert _spool(isolated_home) == []


def test_broken_dotenv_still_runs_the_job(cli, tmp_path):
    (tmp_path / ".env").write_text("this is not = a valid \"line\n'''\n")
    marker = tmp_path / "ran"
    proc = cli("run", "envbroken", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert marker.exists(), proc.stderr
    assert proc.returncode == 0, proc.stderr
