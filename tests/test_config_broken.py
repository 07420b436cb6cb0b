"""A broken opsctl.yaml is loud and never loses or strands a report."""

from __future__ import annotations

import json
import sqlite3
import sys


def _deliveries(home):
    conn = sqlite3.connect(home / "ledger.db")
    try:
        return conn.execute("SELECT channel, status FROM deliveries").fetchall()
    finally:
        conn.close()


def _errors(home):
    conn = sqlite3.connect(home / "ledger.db")
    conn.row_factory = sqlite3.Row
    try:
        return {r["service"]: dict(r) for r in conn.execute("SELECT * FROM errors")}
    finally:
        conn.close()


def test_invalid_quiet_hours_still_queue_the_notice(cli, tmp_path, isolated_home):
    marker = tmp_path / "heard"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys\nopen({str(marker)!r}, 'a').write(sys.stdin.read() + '\\n')\n")
    (tmp_path / "opsctl.yaml").write_text('routing:\n  quiet: {hours: "late-early"}\n')
    proc = cli("notify-error", "--type", "api_limit", "--service", "Quiet", "--details", "d", "--impact", "warning",
               env={"OPSCTL_NOTIFY_USER_CMD": f"{sys.executable} {hook}"})
    assert proc.returncode == 1 and "routing.quiet.hours" in proc.stderr
    errors = _errors(isolated_home)
    assert errors["Quiet"]["status"] == "escalated"
    assert errors["opsctl config"]["type"] == "system_error"  # the problem is its own error
    assert "routing.quiet.hours" in errors["opsctl config"]["details"]
    assert ("notify_user", "sent") in [tuple(r) for r in _deliveries(isolated_home)]
    assert '"Quiet"' in marker.read_text()


def test_invalid_escalation_after_keeps_the_report(cli, tmp_path, isolated_home):
    (tmp_path / "opsctl.yaml").write_text("escalation:\n  blocking: {after: soon}\n")
    proc = cli("notify-error", "--type", "api_limit", "--service", "Kept", "--details", "d", "--json")
    assert proc.returncode == 1 and "escalation.blocking.after" in proc.stderr
    assert json.loads(proc.stdout)["status"] == "escalated"
    assert "Kept" in _errors(isolated_home)


def test_idle_tick_notices_a_broken_config(cli, tmp_path, isolated_home):
    (tmp_path / "opsctl.yaml").write_text("probes:\n  - {name: x}\n")
    proc = cli("tick")
    assert "probe" in proc.stderr.lower()
    assert "opsctl config" in _errors(isolated_home)


def test_a_command_that_reads_its_own_broken_section_fails_config_invalid(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("jobs:\n  nightly: {timeout: soon}\n")
    proc = cli("jobs", "check", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[-1])["code"] == "config_invalid"
