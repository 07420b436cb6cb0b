"""Auto-fix before escalation: the `remediation:` command runs before anybody is bothered."""

from __future__ import annotations

import sys

import pytest

from opsctl import notify_error
from opsctl.escalation import remediation
from opsctl.escalation.tick import tick
from tests.escalation_support import announced, at, events, frozen, move, row, write_config  # noqa: F401

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _config(script: str, *, service: str = "Scraper API", timeout: str = "20s") -> None:
    command = [sys.executable, "-c", script]
    write_config(
        "remediation:\n"
        "  refresh-token:\n"
        "    type: auth_failure\n"
        f"    service: {service}\n"
        f"    command: {command!r}\n"
        f"    timeout: {timeout}\n")


def _auth_failure(**kw):
    return notify_error("auth_failure", "Scraper API", "401 Unauthorized", "blocking",
                        ["Provide a new key", "Disable"], **kw)


def test_a_successful_fix_resolves_the_error_and_nobody_is_bothered(frozen, announced):
    _config("import os; print('refreshed', os.environ['OPSCTL_ERROR_ID'])")
    result = _auth_failure()
    assert result["status"] == "resolved"
    assert result["remediation"]["ok"] is True and "refreshed error-1" in result["remediation"]["output"]
    assert "refresh-token" in result["solution"]
    assert announced == []  # no notice at all
    assert row(1)["notified_at"] is None and row(1)["next_escalation_at"] is None
    assert row(1)["remediation_status"] == "succeeded"
    assert len(events("remediated", 1)) == 1
    move(hours=5)
    assert tick()["notices"] == []


def test_a_failed_fix_notifies_with_its_scrubbed_output(frozen, announced):
    _config("import sys; print('refresh failed: password=hunter2'); sys.exit(3)")
    result = _auth_failure()
    assert result["status"] == "escalated"
    assert result["remediation"]["exit_code"] == 3 and result["remediation"]["ok"] is False
    assert announced.purposes() == ["notify"]
    facts = announced[0]["notification"].facts
    assert "exit code 3" in facts["Auto-fix"]
    assert "[REDACTED]" in facts["Auto-fix output"] and "hunter2" not in facts["Auto-fix output"]
    assert "hunter2" not in str(events("remediation_failed", 1)[0]["data"])
    move(minutes=5)  # and the normal escalation ladder runs from the notice
    assert [n["kind"] for n in tick()["notices"]] == ["escalation"]


def test_a_hanging_fix_is_killed_after_its_timeout(frozen, announced):
    _config("import time; time.sleep(60)", timeout="0.5s")
    result = _auth_failure()
    assert result["remediation"]["timed_out"] is True
    assert result["remediation"]["seconds"] < 30
    assert result["status"] == "escalated" and announced.purposes() == ["notify"]


def test_the_command_runs_without_a_shell(frozen, announced):
    write_config("remediation:\n  echo:\n    type: auth_failure\n    command: echo $HOME; rm -rf /nope\n")
    result = _auth_failure()
    assert result["remediation"]["output"] == "$HOME; rm -rf /nope"  # literal arguments, no expansion


def test_a_rule_for_another_service_does_not_run(frozen, announced):
    _config("print('should not run')", service="Maps API")
    result = _auth_failure()
    assert "remediation" not in result and result["status"] == "escalated"
    assert announced.purposes() == ["notify"]


def test_a_duplicate_during_the_fix_is_absorbed_silently(frozen, announced, monkeypatch):
    _config("print('ok')")
    seen = {}
    real_run = remediation.run

    def run_and_report_again(rule, error_row):
        seen["duplicate"] = _auth_failure()  # another agent reports the same problem meanwhile
        return real_run(rule, error_row)

    monkeypatch.setattr(remediation, "run", run_and_report_again)
    result = _auth_failure()
    assert seen["duplicate"]["deduplicated"] is True and seen["duplicate"]["deliveries"] == []
    assert result["status"] == "resolved" and announced == []
    assert len(events("remediation_started")) == 1


def test_if_the_fixing_process_dies_tick_sends_the_notice(frozen, announced, monkeypatch):
    _config("print('ok')", timeout="30s")

    def killed(rule, error_row):
        raise KeyboardInterrupt  # stands for kill -9 between the claim and the outcome

    monkeypatch.setattr(remediation, "run", killed)
    with pytest.raises(KeyboardInterrupt):
        _auth_failure()
    assert row(1)["status"] == "open" and row(1)["remediation_status"] == "running"
    move(seconds=89)
    assert tick()["notices"] == []
    move(seconds=90)  # the fix's 30s timeout + 60s margin
    done = tick()
    assert [(n["id"], n["kind"]) for n in done["notices"]] == [("error-1", "notice")]
    assert announced.purposes() == ["notify"]
    assert row(1)["status"] == "escalated" and row(1)["remediation_status"] == "lost"
    assert row(1)["next_escalation_at"] == "2026-03-02T09:06:30.000000Z"  # then the usual 5 minutes


def test_a_broken_rule_is_an_operational_failure_naming_the_key(run_cli):
    write_config("remediation:\n  bad:\n    command: ./fix\n")
    code, out, err = run_cli("notify-error", "--type", "auth_failure", "--service", "X", "--json")
    assert code == 1
    assert "remediation.bad" in err and "type, service, project" in err
