"""Alert rules as the job runbook writes them (`alerts:`), `for:` / `cooldown:`, and `opsctl rules test`."""

from __future__ import annotations

import json
import sys

from opsctl import clock
from opsctl.jobs.service import run_job
from tests.delivery_support import slack_env  # noqa: F401
from tests.people_support import no_mail_env, write_config  # noqa: F401
import pytest

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

# pasted from the job runbook, as written there
RUNBOOK = '''
alerts:
  - name: job_failed
    condition: "status == 'failed' && retries >= 3"
    severity: ERROR
    channel: "#data-alerts"
    mention: "@data-team"
    message: "Job {job_name} failed"
'''


def _job(retries: int, code: int = 1) -> list[str]:
    return [sys.executable, "-c", f"print('{{\"retries\": {retries}}}'); raise SystemExit({code})"]


def test_the_runbook_yaml_routes_to_its_channel_with_the_group_mention(slack_env):
    slack_env.add_channel("data-alerts", "C0DATAALRT")
    slack_env.usergroups["data-team"] = "S0DATATEAM"
    write_config(RUNBOOK)
    clock.set_now("2026-03-02T09:00:00Z")
    outcome = run_job("nightly", _job(retries=3))
    assert [a["rule"] for a in outcome["alerts"]] == ["job_failed"]
    assert outcome["alerts"][0]["message"] == "Job nightly failed" and outcome["alerts"][0]["severity"] == "ERROR"
    [message] = slack_env.messages
    assert message.channel == "C0DATAALRT"  # the rule's channel, not SLACK_CHANNEL (#general)
    assert message.text.startswith("<!channel> <!subteam^S0DATATEAM>")  # blocking, plus the rule's group
    from opsctl import show_error

    error = show_error(outcome["error"]["id"])
    assert error["impact"] == "blocking" and error["source"] == "run:nightly:job_failed"
    from opsctl.context import Context

    assert Context().conn.execute("SELECT priority FROM errors").fetchone()["priority"] == "P1"  # ERROR is P1


def test_fewer_retries_do_not_match_and_the_mention_stays_text_without_the_scope(slack_env):
    slack_env.add_channel("data-alerts", "C0DATAALRT")
    slack_env.usergroups_scope = False
    write_config(RUNBOOK)
    assert run_job("nightly", _job(retries=1))["alerts"] == []
    outcome = run_job("other", _job(retries=5))
    assert [a["rule"] for a in outcome["alerts"]] == ["job_failed"]
    assert "@data-team" in slack_env.messages[-1].text


def test_for_needs_every_run_in_the_window_and_cooldown_spaces_alerts():
    write_config('''
alerts:
  - name: error_rate_high
    condition: "error_rate > 0.5"
    severity: WARNING
    for: 5m
    cooldown: 30m
''')
    from opsctl.api.errors import update_error

    def run(minute: int, rate: float) -> list[str]:
        clock.set_now(f"2026-03-02T09:{minute:02d}:00Z")
        script = f"print('{{\"error_rate\": {rate}}}')"
        return [a["rule"] for a in run_job("api", [sys.executable, "-c", script])["alerts"]]

    assert run(0, 0.9) == []  # pending
    assert run(3, 0.9) == []
    assert run(4, 0.1) == []  # broken: the window starts again
    assert run(6, 0.9) == []
    assert run(10, 0.9) == []
    fired = run(11, 0.9)
    assert fired == ["error_rate_high"]  # held 09:06-09:11
    assert run(12, 0.9) == ["error_rate_high"]  # still open: absorbed as a duplicate, not resolved
    from opsctl import list_errors

    [error] = [e for e in list_errors()["errors"] if e["service"] == "api/error_rate_high"]
    assert error["occurrences"] == 2
    update_error(error["id"], "resolved", solution="fixed")
    assert run(20, 0.9) == []  # cooldown: 30 minutes after the alert at 09:12
    assert run(42, 0.9) == ["error_rate_high"]


RULE_TESTS = '''
rule_files: [opsctl.yaml]
tests:
  - name: failing after three retries alerts
    job: nightly
    interval: 1m
    runs:
      - {status: failed, retries: 1}
      - {status: failed, retries: 3}
      - {status: success, retries: 3}
    expect:
      - run: 1
        alerts: []
      - run: 2
        alerts:
          - {name: job_failed, message: "Job nightly failed", severity: ERROR}
      - run: 3
        alerts: []
'''


def test_rules_test_passes_and_fails_with_a_diff(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(RUNBOOK)
    (tmp_path / "rules-test.yaml").write_text(RULE_TESTS)
    out = cli.json("rules", "test", "rules-test.yaml")
    assert out["ok"] is True and out["passed"] == 1 and out["rules"] == ["job_failed"]
    (tmp_path / "rules-test.yaml").write_text(RULE_TESTS.replace('"Job nightly failed"', '"Job nightly broke"')
                                              .replace("retries: 1}", "retries: 4}"))
    proc = cli("rules", "test", "rules-test.yaml")
    assert proc.returncode == 1
    assert "FAILED failing after three retries alerts" in proc.stdout
    assert "+ job_failed (not expected)" in proc.stdout  # run 1 now matches
    assert "~ job_failed: expected {'message': 'Job nightly broke'" in proc.stdout
    proc = cli("rules", "test", "rules-test.yaml", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["failed"] == 1
    proc = cli("rules", "test", "missing.yaml", "--json")
    assert proc.returncode == 2


def test_a_broken_seed_rule_is_a_config_error_naming_the_valid_values(cli, tmp_path):
    (tmp_path / "opsctl.yaml").write_text(RUNBOOK.replace("severity: ERROR", "severity: FATAL"))
    proc = cli("channels", "list", "--json")
    assert proc.returncode == 1
    message = json.loads(proc.stdout)["error"]
    assert "alert 'job_failed'" in message and "CRITICAL, ERROR, WARNING, INFO" in message


def test_the_group_is_looked_up_when_slack_sends_and_remembered(slack_env):
    slack_env.add_channel("data-alerts", "C0DATAALRT")
    slack_env.usergroups["data-team"] = "S0DATATEAM"
    write_config(RUNBOOK)
    clock.set_now("2026-03-02T09:00:00Z")
    slack_env.fail_next("usergroups.list", status=500)  # Slack could not be asked: the text stays, nothing cached
    first = run_job("nightly", _job(retries=3))
    assert "@data-team" in slack_env.messages[-1].text and first["error"]["id"]
    from opsctl import update_error

    update_error(first["error"]["id"], "resolved")
    run_job("other", _job(retries=4))
    run_job("third", _job(retries=5))
    assert [m.text.split()[1] for m in slack_env.messages if m.thread_ts is None][1:] == [
        "<!subteam^S0DATATEAM>", "<!subteam^S0DATATEAM>"]
    from tests.ledger_support import query

    assert query("SELECT value FROM kv WHERE key = 'slack:usergroup:data-team'") == [{"value": "S0DATATEAM"}]
    assert len(slack_env.calls("usergroups.list")) == 2  # the failed ask, then one: the id was remembered
