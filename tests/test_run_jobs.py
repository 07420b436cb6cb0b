"""`opsctl jobs list|show|check`: success rate, duration trend, lateness against the cron schedule."""

from __future__ import annotations

import sys
import textwrap
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

PY = sys.executable
CONFIG = textwrap.dedent("""
    jobs:
      nightly: {schedule: "0 2 * * *", grace: 10m, timeout: 600}
      never_ran: {schedule: "*/5 * * * *"}
""")


def at(moment: str) -> dict:
    return {"OPSCTL_NOW": moment}


def test_list_and_show_report_rate_trend_and_lateness(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG)
    assert cli("run", "nightly", "--", PY, "-c", "pass", env=at("2026-11-20T02:01:00Z")).returncode == 0
    assert cli("run", "nightly", "--", PY, "-c", "raise SystemExit(2)", env=at("2026-11-21T02:01:00Z")).returncode == 2
    on_time = cli.json("jobs", "show", "nightly", env=at("2026-11-20T03:00:00Z"))
    assert on_time["late"] is False and on_time["next_expected"].startswith("2026-11-21T02:00")

    late = cli.json("jobs", "show", "nightly", env=at("2026-11-21T02:30:00Z"))
    assert late["late"] is True  # the 21st's run failed: no success since the 02:00 slot + 10m grace
    assert late["due"].startswith("2026-11-21T02:00") and late["overdue_seconds"] == 20 * 60
    assert late["success_rate"] == 0.5 and late["runs_counted"] == 2
    assert [r["status"] for r in late["runs"]] == ["ERROR", "SUCCESS"]
    assert late["open_error"] == "error-1"

    listed = {j["job"]: j for j in cli.json("jobs", "list", env=at("2026-11-21T02:30:00Z"))["jobs"]}
    assert set(listed) == {"nightly", "never_ran"}
    # never_ran is seen for the first time now: it has missed no slot yet (not "last success: never" at once)
    assert listed["never_ran"]["late"] is False and listed["never_ran"]["last_run"] is None
    later = {j["job"]: j for j in cli.json("jobs", "list", env=at("2026-11-21T03:00:00Z"))["jobs"]}
    assert later["never_ran"]["late"] is True  # its first slot after it appeared (02:35) + grace has passed


def test_check_raises_for_late_jobs_and_success_resolves(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG)
    assert cli("run", "nightly", "--", PY, "-c", "pass", env=at("2026-11-20T02:01:00Z")).returncode == 0
    quiet = cli.json("jobs", "check", env=at("2026-11-20T12:00:00Z"))
    assert "nightly" not in quiet["late"]
    result = cli.json("jobs", "check", env=at("2026-11-22T08:00:00Z"))  # two nights without a success
    assert "nightly" in result["late"]
    raised = {e["job"]: e for e in result["raised"]}
    error = cli.json("errors", "show", raised["nightly"]["id"])
    assert error["type"] == "system_error" and "has not succeeded since its run due 2026-11-22 02:00" in error["details"]
    assert cli("run", "nightly", "--", PY, "-c", "pass", env=at("2026-11-22T08:05:00Z")).returncode == 0
    assert cli.json("errors", "show", raised["nightly"]["id"])["status"] == "resolved"


def test_duration_trend(run_cli):
    from opsctl.jobs.report import trend

    assert trend([1, 1, 1, 2, 2, 2]) == "up 100%"
    assert trend([10, 10, 10, 10.5]) == "steady"
    assert trend([4, 4, 2, 2]) == "down 50%"
    assert trend([1, 2]) is None


def test_unknown_job_and_bad_schedule(cli, tmp_path):
    missing = cli("jobs", "show", "ghost")
    assert missing.returncode == 2 and "no job 'ghost'" in missing.stderr
    (tmp_path / "opsctl.yaml").write_text("jobs:\n  bad: {schedule: 'every night'}\n")
    broken = cli("jobs", "list")
    assert broken.returncode == 1 and "jobs.bad" in broken.stderr and "invalid cron expression" in broken.stderr


def test_human_output(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(CONFIG)
    cli("run", "nightly", "--", PY, "-c", "pass")
    listed = cli("jobs", "list", env={"COLUMNS": "200"})
    assert listed.returncode == 0 and "nightly" in listed.stdout and "100% of 1" in listed.stdout
    shown = cli("jobs", "show", "nightly")
    assert shown.returncode == 0 and "SUCCESS" in shown.stdout


def test_jobs_list_checks_the_rules(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text("rules:\n  - {name: typo, when: 'pct >', severity: WARNING}\n")
    proc = cli("jobs", "list")
    assert proc.returncode == 1 and "rule 'typo'" in proc.stderr
