"""`opsctl doctor`: exit 0 when all is well, else one line per problem with its fix."""

from __future__ import annotations

import json
import sys

from opsctl import doctor as doctor_module
import pytest



def _doctor(cli, env=None):
    proc = cli("doctor", "--json", env=env)
    return proc.returncode, json.loads(proc.stdout)


def _problems(report, check):
    return [p for p in report["problems"] if p["check"] == check]


def test_healthy_after_tick(cli):
    assert cli("tick").returncode == 0
    code, report = _doctor(cli)
    assert code == 0 and report["ok"] is True, report["problems"]
    names = {c["check"] for c in report["checks"]}
    assert {"config", ".env", "trust", "permissions", "ledger", "channels", "outbox", "tick", "spool"} <= names


def test_each_problem_has_a_line_and_a_fix(cli, tmp_path, isolated_home):
    cli("tick")
    (tmp_path / "opsctl.yaml").write_text('routing:\n  quiet: {hours: "soon"}\nchannels:\n  team: {type: slack}\n')
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPSCTL_NOTIFY_USER_CMD={sys.executable} -c pass\n")
    dotenv.chmod(0o666)
    (isolated_home / "ledger.db").chmod(0o644)
    code, report = _doctor(cli)
    assert code == 1
    assert "routing.quiet.hours" in _problems(report, "config")[0]["problem"]
    assert _problems(report, "trust")[0]["fix"] == f"chmod go-w {dotenv}"
    assert _problems(report, "permissions")[0]["fix"] == f"chmod 600 {isolated_home / 'ledger.db'}"
    assert "SLACK_BOT_TOKEN" in _problems(report, "channels")[0]["fix"]
    human = cli("doctor")
    assert human.returncode == 1
    assert sum(line.startswith("PROBLEM") for line in human.stdout.splitlines()) == len(report["problems"])


def test_stale_tick_and_dead_deliveries(cli, isolated_home):
    cli("tick", env={"OPSCTL_NOW": "2026-01-01T00:00:00Z"})
    code, report = _doctor(cli, env={"OPSCTL_NOW": "2026-01-01T01:00:00Z"})
    assert code == 1 and "last ran at 2026-01-01 00:00" in _problems(report, "tick")[0]["problem"]
    import sqlite3

    conn = sqlite3.connect(isolated_home / "ledger.db")
    conn.execute("INSERT INTO deliveries (subject, channel, purpose, status, created_at)"
                 " VALUES ('error', 'slack', 'notify', 'dead', '2026-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    code, report = _doctor(cli, env={"OPSCTL_NOW": "2026-01-01T00:01:00Z"})
    assert code == 1 and "1 deliveries are dead" in _problems(report, "outbox")[0]["problem"]


def test_checks_can_be_added(cli, monkeypatch):
    @doctor_module.check("extra")
    def extra(ctx):
        return [doctor_module.Finding("extra", "something is off", "turn it off and on again")]

    try:
        report = doctor_module.run()
        assert report["ok"] is False
        assert report["problems"][-1] == {"check": "extra", "problem": "something is off",
                                          "fix": "turn it off and on again"}
    finally:
        doctor_module.CHECKS.remove(("extra", extra))
